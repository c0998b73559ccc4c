"""Key-encryption keys and the email index: pure functions, no I/O."""

from __future__ import annotations

import uuid

import pytest

from domain.organisation import NAMESPACE
from workers.adapters.kek import Kek, KekError, KeyRing, UnknownKek, parse_ring
from workers.adapters.keys import email_index_id
from workers.runtime.settings import Settings

ADDRESS = "asha.patel@kingston.gov.uk"


def test_the_email_index_id_of_a_guessed_address_cannot_be_computed_without_the_secret() -> None:
    ours, guessed_secret = b"s" * 32, b"t" * 32
    public_scheme = uuid.uuid5(NAMESPACE, f"person-email:{ADDRESS}")  # how ids were made before: from public facts
    assert email_index_id(ours, ADDRESS) not in (public_scheme, email_index_id(guessed_secret, ADDRESS))


def test_the_email_index_id_ignores_case_and_surrounding_spaces() -> None:
    secret = b"s" * 32
    assert email_index_id(secret, f"  {ADDRESS.upper()} ") == email_index_id(secret, ADDRESS)
    assert email_index_id(secret, "someone.else@kingston.gov.uk") != email_index_id(secret, ADDRESS)


def test_a_wrapped_key_opens_only_under_its_kek_and_for_its_own_row() -> None:
    kek, other, secret = Kek.generate(), Kek.generate(), b"k" * 32
    wrapped = kek.wrap(secret, b"person-key:1")
    assert kek.unwrap(wrapped, b"person-key:1") == secret
    with pytest.raises(KekError):
        other.unwrap(wrapped, b"person-key:1")
    with pytest.raises(KekError):
        kek.unwrap(wrapped, b"person-key:2")  # copied to another person's row
    assert secret not in wrapped.encode() and kek.key not in wrapped.encode()


def test_a_key_ring_tells_keks_apart_by_id_and_refuses_an_unknown_one() -> None:
    new, old, stranger = Kek.generate(), Kek.generate(), Kek.generate()
    ring = KeyRing([new, old])
    assert ring.current == new and ring.get(old.id) == old and new.id != old.id
    with pytest.raises(UnknownKek):
        ring.get(stranger.id)


def test_a_key_file_holds_keys_and_comments_and_a_malformed_key_is_refused() -> None:
    new, old = Kek.generate(), Kek.generate()
    assert parse_ring(f"# the current one first\n{new.text()}\n{old.text()}\n") == [new, old]
    assert parse_ring(f"{new.text()}, {old.text()}") == [new, old]
    with pytest.raises(KekError):
        parse_ring("c2hvcnQ=")  # base64, but 5 bytes


def test_settings_never_print_the_secret_key() -> None:
    key = Kek.generate().text()
    assert key not in repr(Settings.from_env({"PIPELINE_SECRET_KEY": key}))
