"""Emailed links decide against the account as it is saved (issue 20, items 1, 5 and 13), in
both modes: a verification link verifies only the address it was mailed to, even when the
address changes while the link is being used; links carry a generation, so a password change,
a newer link used or any address change voids older ones; and a reset request leaves no trace
in anything public (the log's head, the person's history)."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

import pytest

from domain.email_domains import covered
from tests.factories import PASSWORD, council_email, email
from tests.integration.accounts.helpers import change_email, new_link, sign_in, sign_up
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration

INVALID = {"token": ["Unknown, used or expired."]}


def state(rt: Runtime, person_id: UUID) -> dict[str, Any]:
    """The person as saved: address, verified, membership, and whether they are an admin."""
    person = rt.app.get_person(person_id)
    org = rt.app.get_organisation(person.organisation_id) if person.organisation_id else None
    return {
        "email": rt.app.reveal(person)["email"],
        "verified": person.email_verified,
        "membership": person.membership,
        "admin": bool(org and org.is_admin(person.id)),
        "on_domain": bool(org and covered(org.domains, rt.app.reveal(person)["email"] or "")),
    }


def refused_as_an_invalid_link(answer: Any) -> None:
    assert answer.status_code == 422, answer.json
    assert answer.mimetype == "application/problem+json"
    assert answer.json["errors"] == INVALID


# ----------------------------------------------------------- item 1: the race
def test_a_link_verifies_nothing_when_the_address_changes_after_the_link_was_checked(
    rt: Runtime, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving that made anyone a council's admin, made to happen every time: the
    link is checked against the address on file, then the address changes to one on the
    council's domain before the verification is saved."""
    mine = email()  # an address on no organisation's domain: pending at Wigan
    person_id, _ = sign_up(client, mine)
    token = new_link(rt, mine, "verify-email", set())
    theirs = council_email("WGN")
    redeem = rt.tokens.redeem

    def redeem_then_change_address(*args: Any, **kwargs: Any) -> Any:
        used = redeem(*args, **kwargs)
        rt.app.update_profile(person_id, {"email": theirs}, actor=person_id)  # the PATCH that raced it
        return used

    monkeypatch.setattr(rt.tokens, "redeem", redeem_then_change_address)
    refused_as_an_invalid_link(client.post("/api/v1/email-verifications", json={"token": token}))
    assert state(rt, person_id) == {
        "email": theirs,
        "verified": False,
        "membership": "pending",
        "admin": False,
        "on_domain": True,
    }


def test_verification_and_an_address_change_at_the_same_moment_never_verify_the_new_address(
    rt: Runtime, client: Any
) -> None:
    """Both requests sent together, many times: whichever wins, an address on the council's
    domain that was never mailed a link is never verified, and never makes a member or admin."""
    app = client.application
    outcomes = set()
    for _ in range(10):
        mine = email()
        person_id, me = sign_up(client, mine)
        token = new_link(rt, mine, "verify-email", set())
        theirs = council_email("WGN")
        start = threading.Barrier(2)
        answers: dict[str, int] = {}

        def verify(token: str = token, start: threading.Barrier = start, answers: dict[str, int] = answers) -> None:
            start.wait()
            own = app.test_client()
            answers["verify"] = own.post("/api/v1/email-verifications", json={"token": token}).status_code

        def change(
            theirs: str = theirs, me: dict[str, str] = me, start: threading.Barrier = start, answers: dict = answers
        ) -> None:
            start.wait()
            answers["change"] = change_email(app.test_client(), me, theirs).status_code

        threads = [threading.Thread(target=verify), threading.Thread(target=change)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)
        assert answers["verify"] in (200, 422) and answers["change"] in (200, 409), answers
        now = state(rt, person_id)
        if now["email"] == theirs:  # the change won: nothing about the new address is verified
            assert (now["verified"], now["membership"], now["admin"]) == (False, "pending", False), now
        else:  # the verification won and the change lost with a conflict: the mailed address only
            assert (now["email"], now["verified"], now["admin"]) == (mine, True, False), now
        outcomes.add((answers["verify"], answers["change"]))
    assert outcomes  # every round was checked


# ------------------------------------------------------- item 5: generations
def test_a_reset_link_is_refused_after_the_password_was_changed(rt: Runtime, client: Any) -> None:
    address = email()
    _, me = sign_up(client, address)
    assert client.post("/api/v1/password-resets", json={"email": address}, buffered=True).status_code == 202
    token = new_link(rt, address, "reset-password", set())
    changed = PASSWORD + " changed"
    body = {"current_password": PASSWORD, "new_password": changed}
    assert client.put("/api/v1/me/password", json=body, headers=me).status_code == 200
    confirm = {"token": token, "new_password": PASSWORD + " by the old link"}
    refused_as_an_invalid_link(client.post("/api/v1/password-resets/confirm", json=confirm))
    sign_in(client, address, changed)  # the password is the one chosen after the link was mailed


def test_an_older_reset_link_is_refused_after_a_newer_one_was_used(rt: Runtime, client: Any) -> None:
    address = email()
    sign_up(client, address)
    assert client.post("/api/v1/password-resets", json={"email": address}, buffered=True).status_code == 202
    older = new_link(rt, address, "reset-password", set())
    assert client.post("/api/v1/password-resets", json={"email": address}, buffered=True).status_code == 202
    newer = new_link(rt, address, "reset-password", {older})
    chosen = PASSWORD + " newer"
    confirm = {"token": newer, "new_password": chosen}
    assert client.post("/api/v1/password-resets/confirm", json=confirm).status_code == 200
    confirm = {"token": older, "new_password": PASSWORD + " older"}
    refused_as_an_invalid_link(client.post("/api/v1/password-resets/confirm", json=confirm))
    sign_in(client, address, chosen)


def test_a_reset_link_is_refused_after_an_address_change(rt: Runtime, client: Any) -> None:
    address, other = email(), email()
    _, me = sign_up(client, address)
    assert client.post("/api/v1/password-resets", json={"email": address}, buffered=True).status_code == 202
    token = new_link(rt, address, "reset-password", set())
    assert change_email(client, me, other).status_code == 200
    assert change_email(client, me, address).status_code == 200  # and back: the link still must not work
    confirm = {"token": token, "new_password": PASSWORD + " by the old link"}
    refused_as_an_invalid_link(client.post("/api/v1/password-resets/confirm", json=confirm))
    sign_in(client, address, PASSWORD)


def test_a_verification_link_is_refused_after_changing_a_to_b_and_back_to_a(rt: Runtime, client: Any) -> None:
    first, second = council_email("WGN"), email()
    person_id, me = sign_up(client, first)
    old = new_link(rt, first, "verify-email", set())
    assert change_email(client, me, second).status_code == 200
    assert change_email(client, me, first).status_code == 200
    refused_as_an_invalid_link(client.post("/api/v1/email-verifications", json={"token": old}))
    assert state(rt, person_id)["verified"] is False
    fresh = new_link(rt, first, "verify-email", {old})  # the change back mailed its own link: that one works
    assert client.post("/api/v1/email-verifications", json={"token": fresh}).status_code == 200
    assert state(rt, person_id)["verified"] is True


# ---------------------------------------------------- item 13: no enumeration
def test_a_reset_request_answers_alike_and_moves_nothing_public_but_is_still_mailed(rt: Runtime, client: Any) -> None:
    address = email()
    person_id, _ = sign_up(client, address)
    rt.catch_up()

    def head() -> int:
        return int(client.get("/api/v1/projections").json["items"][0]["head"])

    before = head()
    known = client.post("/api/v1/password-resets", json={"email": address}, buffered=True)
    unknown = client.post("/api/v1/password-resets", json={"email": email()}, buffered=True)
    assert (known.status_code, known.json) == (unknown.status_code, unknown.json) == (202, {"event_position": None})
    assert head() == before  # the public log did not move
    history = client.get(f"/api/v1/people/{person_id}/history").json["items"]
    assert "Person.PasswordResetRequested" not in {item["type"] for item in history}
    token = new_link(rt, address, "reset-password", set())  # and the link was mailed all the same
    chosen = PASSWORD + " after reset"
    confirm = {"token": token, "new_password": chosen}
    assert client.post("/api/v1/password-resets/confirm", json=confirm).status_code == 200
    sign_in(client, address, chosen)
