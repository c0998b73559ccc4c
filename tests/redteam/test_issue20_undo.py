"""Red team (issue 20): the "this wasn't me" undo of an email change.

The undo moves the account back to the address it gave up. That is an address change like
any other, so it must keep item 4's invariant: a membership earned by a domain lasts only
while the account's address is on that domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.person import HELD_AFTER_CHANGE
from tests.factories import PASSWORD, council_email, email
from tests.integration.accounts.helpers import change_email, links, new_link, roomy_runtime, sign_up
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "pg"])
def red_rt(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    yield from roomy_runtime(request, tmp_path)


@pytest.fixture
def red_client(red_rt: Runtime) -> Any:
    return create_app(runtime=red_rt).test_client()


def verify(rt: Runtime, client: Any, address: str) -> None:
    token = new_link(rt, address, "verify-email", set())
    assert client.post("/api/v1/email-verifications", json={"token": token}).status_code == 200


def test_an_undo_back_to_a_private_address_ends_a_membership_earned_by_the_council_domain(
    red_rt: Runtime, red_client: Any
) -> None:
    """Someone with a private address moves to a council address, verifies it (member by
    domain, and admin: the first verified member), then follows the undo link mailed to the
    private address. The account is back on the private address, off every domain of the
    council, yet on main it stays member and admin for good: the undo's address change never
    asks whether the membership still follows the address (update_profile does)."""
    rt, client = red_rt, red_client
    private = email()
    person_id, me = sign_up(client, private, "KTT")
    verify(rt, client, private)
    at_council = council_email("KTT")
    assert change_email(client, me, at_council).status_code == 200
    verify(rt, client, at_council)
    person = rt.app.get_person(person_id)
    assert person.membership == "member" and rt.app.get_organisation(person.organisation_id).is_admin(person_id)

    undo = new_link(rt, private, "undo-email-change", set())
    undone = red_client.post("/api/v1/email-changes/undo", json={"token": undo})
    assert undone.status_code == 200 and undone.json["address_restored"] is True

    person = rt.app.get_person(person_id)
    assert rt.app.reveal(person)["email"] == private
    assert person.membership == "pending", "a private address keeps a membership earned by the council's domain"
    assert not rt.app.get_organisation(person.organisation_id).is_admin(person_id)


def test_a_thief_cannot_defeat_the_undo_by_signing_up_with_the_address_given_up(
    red_rt: Runtime, red_client: Any
) -> None:
    """A thief who knows the password moves the account from the owner's address A to their own
    B, and at once signs up a second account with A (no proof of A is needed to sign up: the
    account is merely unverified). The owner follows the undo link mailed to A, which proves A,
    yet the undo sees A "held by someone else" and leaves the account on B. The thief then asks
    for a reset link, which goes to B, and owns the account again."""
    rt, client = red_rt, red_client
    owners = council_email("WGN")
    person_id, me = sign_up(client, owners, "WGN")
    verify(rt, client, owners)
    thiefs = email()
    assert change_email(client, me, thiefs).status_code == 200
    squat = client.post(  # an unverified account on the owner's address: refused while the undo works
        "/api/v1/people",
        json={"name": "Pat Squatter", "email": owners, "organisation_code": "WGN", "password": PASSWORD},
    )
    assert squat.status_code == 409 and squat.content_type == "application/problem+json"

    undo = new_link(rt, owners, "undo-email-change", set())
    undone = client.post("/api/v1/email-changes/undo", json={"token": undo})
    assert undone.status_code == 200

    # the thief's way back in: a reset link to the address the account still has
    assert client.post("/api/v1/password-resets", json={"email": thiefs}, buffered=True).status_code == 202
    resets = links(rt, thiefs, "reset-password")
    if resets:
        (token,) = resets
        confirm = {"token": token, "new_password": "the thief's own new passphrase"}
        taken_back = client.post("/api/v1/password-resets/confirm", json=confirm).status_code == 200
    else:
        taken_back = False
    assert not taken_back, "the thief took the account back through the address the undo could not replace"
    assert undone.json["address_restored"] is True
    assert rt.app.reveal(rt.app.get_person(person_id))["email"] == owners


def test_an_address_change_racing_the_owners_undo_gives_the_thief_no_link_that_beats_it(
    red_rt: Runtime, red_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thief moved the account from the owner's A to their B. The owner follows the undo
    link mailed to A; at that same moment the thief moves the account on from B to C (they
    know the password and their session is still live). Forced here in the window between the
    owner's link being used (which voids the undo links mailed after it: none yet) and the
    sessions being signed out. The owner's undo reloads and restores A, as it should; but the
    notice for B -> C, written after it, mails B a fresh undo link, and with it the thief
    moves the account back to B, verified, and resets the password through B."""
    rt, client = red_rt, red_client
    owners = council_email("WGN")
    person_id, me = sign_up(client, owners, "WGN")
    verify(rt, client, owners)
    thiefs, thiefs_second = email(), email()
    assert change_email(client, me, thiefs).status_code == 200
    owners_undo = new_link(rt, owners, "undo-email-change", set())

    real_revoke_all = rt.sessions.revoke_all
    raced: list[int] = []

    def thief_moves_on_first(person: Any, **kwargs: Any) -> int:
        if not raced:  # the thief's change lands while the owner's undo is under way
            raced.append(change_email(client, me, thiefs_second).status_code)
        return real_revoke_all(person, **kwargs)

    monkeypatch.setattr(rt.sessions, "revoke_all", thief_moves_on_first)
    undone = client.post("/api/v1/email-changes/undo", json={"token": owners_undo})
    monkeypatch.setattr(rt.sessions, "revoke_all", real_revoke_all)
    assert raced == [200]
    assert undone.status_code == 200 and undone.json["address_restored"] is True
    assert rt.app.reveal(rt.app.get_person(person_id))["email"] == owners

    thiefs_undo = links(rt, thiefs, "undo-email-change")
    used = [client.post("/api/v1/email-changes/undo", json={"token": t}).status_code for t in thiefs_undo]
    assert 200 not in used, "the thief's later undo link took the account back to the thief's address"
    assert rt.app.reveal(rt.app.get_person(person_id))["email"] == owners


def test_after_the_owners_undo_a_thief_who_moved_the_account_back_to_the_owners_address_has_no_link(
    red_rt: Runtime, red_client: Any
) -> None:
    """The thief moves the account A -> B -> A (A now unverified; B is mailed an undo link). The
    owner's undo finds the account on A already: it changes no address, only removes the password
    and verifies A. The thief's link to B must not move it back to B afterwards."""
    rt, client = red_rt, red_client
    owners = council_email("WGN")
    person_id, me = sign_up(client, owners, "WGN")
    verify(rt, client, owners)
    thiefs = email()
    assert change_email(client, me, thiefs).status_code == 200
    assert change_email(client, me, owners).status_code == 200
    owners_undo = new_link(rt, owners, "undo-email-change", set())
    thiefs_undo = new_link(rt, thiefs, "undo-email-change", set())

    assert client.post("/api/v1/email-changes/undo", json={"token": owners_undo}).json["address_restored"] is True
    assert client.post("/api/v1/email-changes/undo", json={"token": thiefs_undo}).status_code == 422
    person = rt.app.get_person(person_id)
    assert (rt.app.reveal(person)["email"], person.email_verified) == (owners, True)


def test_the_owner_is_told_of_a_change_even_when_the_thief_moved_back_before_the_notifier_ran(
    red_rt: Runtime, red_client: Any
) -> None:
    """In production the notifier reads the log after the fact. A thief who moves the account
    A -> B -> A before it gets there suppressed the owner's notice (and undo link): the
    notifier skipped the address given up when it equalled the account's address *now*. The
    thief kept the only undo link (to B), which moves the account to B, verified."""
    rt, client = red_rt, red_client
    owners = council_email("WGN")
    _, me = sign_up(client, owners, "WGN")
    verify(rt, client, owners)
    thiefs = email()
    assert change_email(client, me, thiefs).status_code == 200
    assert change_email(client, me, owners).status_code == 200  # before the notifier catches up
    assert links(rt, owners, "undo-email-change"), "the owner was never told their address was changed"


def test_an_address_given_up_is_free_for_anyone_once_its_undo_link_has_expired(
    red_rt: Runtime, red_client: Any
) -> None:
    """The hold lasts as long as the undo link: after it, the address is anyone's again."""
    rt, client = red_rt, red_client
    first = council_email("WGN")
    _, me = sign_up(client, first, "WGN")
    assert change_email(client, me, email()).status_code == 200
    index = rt.app.repository.get(rt.app.personal.email_index_id(first))
    assert not index.free_for(uuid.uuid4(), index.modified_on)  # someone else, at once: held
    assert index.free_for(uuid.uuid4(), index.modified_on + HELD_AFTER_CHANGE)  # a week later: free


def test_an_erasure_frees_the_addresses_held_for_the_account(red_rt: Runtime, red_client: Any) -> None:
    """Nobody can undo anything for an erased account, so what was held for it is free again."""
    rt, client = red_rt, red_client
    first = council_email("WGN")
    person_id, me = sign_up(client, first, "WGN")
    assert change_email(client, me, email()).status_code == 200
    assert client.delete("/api/v1/me", json={"password": PASSWORD}, headers=me).status_code == 200
    sign_up(client, first, "WGN")  # at once: the address is free
    assert rt.app.email_owner(first) not in (None, person_id)
