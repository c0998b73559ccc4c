"""One canonical form of an email address: spellings of one mailbox are one key; a
``+tag`` is one inbox for budgets but another account."""

from __future__ import annotations

import pytest

from domain.addresses import mailbox, recipient
from domain.person import email_key


@pytest.mark.parametrize(
    "spelling",
    [
        "victim@example.gov.uk",
        " Victim@Example.GOV.UK ",
        '"victim"@example.gov.uk',
        '"VICTIM"@example.gov.uk',
        '"vic\\tim"@example.gov.uk',  # a backslash escape in a quoted string is the character itself
        "victim@example.gov.uk.",  # a trailing dot names the same domain
    ],
)
def test_spellings_of_one_mailbox_have_one_key(spelling: str) -> None:
    assert mailbox(spelling) == email_key(spelling) == "victim@example.gov.uk"


def test_an_internationalised_domain_is_one_mailbox_in_either_spelling() -> None:
    assert mailbox("ann@Bücher.de") == mailbox("ann@xn--bcher-kva.de") == "ann@xn--bcher-kva.de"
    assert mailbox("ann@bu\u0308cher.de") == mailbox("ann@bücher.de")  # decomposed accent: NFC


def test_a_plus_tag_is_another_account_but_the_same_inbox() -> None:
    assert mailbox("victim+1@x.org") != mailbox("victim+2@x.org") != mailbox("victim@x.org")
    assert {recipient(a) for a in ("victim+1@x.org", '"Victim+2"@X.org', "VICTIM@x.org")} == {"victim@x.org"}


@pytest.mark.parametrize(
    ("address", "inbox"),
    [
        ("+only@x.org", "+only@x.org"),  # no local part before the tag: nothing to drop
        ("a+b+c@x.org", "a@x.org"),
        ('"a@b+c"@x.org', "a@b@x.org"),  # the last @ parts local from domain
        ("no-at-sign", "no-at-sign"),
    ],
)
def test_the_recipient_form_drops_only_a_tag_of_the_local_part(address: str, inbox: str) -> None:
    assert recipient(address) == inbox
    assert recipient(recipient(address)) == recipient(address) and mailbox(mailbox(address)) == mailbox(address)


def test_different_mailboxes_stay_apart() -> None:
    keys = {mailbox(a) for a in ("ann@x.org", "ann@y.org", "anne@x.org", "a.nn@x.org", '"ann "@x.org')}
    assert len(keys) == 5


def test_a_password_holding_the_local_part_is_refused_however_the_address_is_quoted() -> None:
    from domain.passwords import problems

    refused = "Do not use your name or email address in your password."
    assert refused in problems("my zephyrine.q password", email='"Zephyrine.Q"@example.gov.uk')
    assert refused in problems("my zephyrine.q password", email="zephyrine.q@example.gov.uk")
