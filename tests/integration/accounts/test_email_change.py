"""Changing the email address (issue 20, items 3 and 4), in both modes: it needs the current
password (wrong ones counted like failed sign-ins); the address given up is told, with a
"this wasn't me" link that signs every session out, removes the password and gives the
address back; and a membership earned by the old address's domain ends when the new one is
off the organisation's domains, while one an admin approved stays."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain import clock
from domain.person import HELD_AFTER_CHANGE, UNDONE
from tests.factories import PASSWORD, council_email, email
from tests.integration.accounts.helpers import change_email, links, new_link, sign_in, sign_up
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def verified_member(rt: Runtime, client: Any, code: str = "WGN") -> tuple[UUID, str, dict[str, str]]:
    """Someone who verified an address on the council's domain through the mailed link."""
    address = council_email(code)
    person_id, me = sign_up(client, address, code)
    token = new_link(rt, address, "verify-email", set())
    assert client.post("/api/v1/email-verifications", json={"token": token}).status_code == 200
    return person_id, address, me


def me_now(client: Any, me: dict[str, str]) -> dict[str, Any]:
    answer = client.get("/api/v1/me", headers=me)
    assert answer.status_code == 200
    return dict(answer.json)


# ------------------------------------------------------ item 3: the password
def test_an_email_change_needs_the_current_password_and_counts_wrong_ones(rt: Runtime, client: Any) -> None:
    address = email()
    _, me = sign_up(client, address)
    missing = client.patch("/api/v1/me", json={"email": email()}, headers=me)
    assert (missing.status_code, missing.mimetype) == (403, "application/problem+json")
    assert "current_password" in missing.json["errors"]
    statuses = [change_email(client, me, email(), password="not my password").status_code for _ in range(6)]
    assert statuses[:5] == [403] * 5 and statuses[5] == 429  # counted with failed sign-ins (5 a minute)
    assert me_now(client, me)["email"] == address  # nothing was stored
    renamed = client.patch("/api/v1/me", json={"name": "Pat Renamed"}, headers=me)
    assert renamed.status_code == 200  # other fields need no password


# ------------------------------------------------ item 3: "this wasn't me"
def test_the_address_given_up_gets_a_link_that_undoes_the_change(rt: Runtime, client: Any) -> None:
    person_id, address, me = verified_member(rt, client)
    other_session = sign_in(client, address)
    thief = email()
    assert change_email(client, me, thief).status_code == 200
    undo = new_link(rt, address, "undo-email-change", set())

    undone = client.post("/api/v1/email-changes/undo", json={"token": undo})
    assert undone.status_code == 200 and undone.json["address_restored"] is True
    assert client.get("/api/v1/me", headers=me).status_code == 401  # every session signed out
    assert client.get("/api/v1/me", headers=other_session).status_code == 401
    for who in (address, thief):  # the password the thief knew no longer signs in
        assert client.post("/api/v1/sessions", json={"email": who, "password": PASSWORD}).status_code == 401
    again = client.post("/api/v1/email-changes/undo", json={"token": undo})
    assert (again.status_code, again.json["errors"]) == (422, {"token": ["Unknown, used or expired."]})

    person = rt.app.get_person(person_id)
    assert (rt.app.reveal(person)["email"], person.email_verified, person.membership) == (address, True, "member")
    assert links(rt, thief, "undo-email-change") == set()  # the address left by the undo is offered no undo
    assert client.post("/api/v1/password-resets", json={"email": address}, buffered=True).status_code == 202
    reset = new_link(rt, address, "reset-password", set())
    chosen = PASSWORD + " mine again"
    confirm = {"token": reset, "new_password": chosen}
    assert client.post("/api/v1/password-resets/confirm", json=confirm).status_code == 200
    sign_in(client, address, chosen)


def test_the_first_address_given_up_wins_over_a_later_one(rt: Runtime, client: Any) -> None:
    """A thief who moves the account on twice gets the second notice; the owner's link to the
    first address still works, and once used, the thief's no longer does."""
    person_id, address, me = verified_member(rt, client)
    second, third = email(), email()
    assert change_email(client, me, second).status_code == 200
    assert change_email(client, me, third).status_code == 200
    owners = new_link(rt, address, "undo-email-change", set())
    thiefs = new_link(rt, second, "undo-email-change", set())
    assert client.post("/api/v1/email-changes/undo", json={"token": owners}).json["address_restored"] is True
    assert client.post("/api/v1/email-changes/undo", json={"token": thiefs}).status_code == 422
    assert rt.app.reveal(rt.app.get_person(person_id))["email"] == address


def test_an_undo_whose_address_someone_else_took_still_signs_everyone_out(rt: Runtime, client: Any) -> None:
    _, address, me = verified_member(rt, client)
    moved = email()
    assert change_email(client, me, moved).status_code == 200
    undo = new_link(rt, address, "undo-email-change", set())
    with clock.set_to(clock.now() + HELD_AFTER_CHANGE):  # once the hold lapsed (the undo link still works
        sign_up(client, address)  # here: it lives on the wall clock) the address is someone else's
    undone = client.post("/api/v1/email-changes/undo", json={"token": undo})
    assert undone.status_code == 200 and undone.json["address_restored"] is False
    assert client.get("/api/v1/me", headers=me).status_code == 401
    assert client.post("/api/v1/sessions", json={"email": moved, "password": PASSWORD}).status_code == 401


def test_an_undo_link_edited_or_of_another_kind_is_refused_and_changes_nothing(rt: Runtime, client: Any) -> None:
    person_id, _, me = verified_member(rt, client)
    moved = email()
    assert change_email(client, me, moved).status_code == 200
    verify = new_link(rt, moved, "verify-email", set())  # a real token, of another purpose
    for token in ("x" * 43, verify, ""):
        refused = client.post("/api/v1/email-changes/undo", json={"token": token})
        assert (refused.status_code, refused.mimetype) == (422, "application/problem+json")
    assert client.get("/api/v1/me", headers=me).status_code == 200  # nobody was signed out
    assert not any(getattr(e, "reason", None) == UNDONE for e in rt.app.events.get(person_id))


# ------------------------------------------------- item 4: membership follows
def test_a_member_by_domain_who_moves_off_its_domains_stops_being_member_and_admin(rt: Runtime, client: Any) -> None:
    person_id, _, me = verified_member(rt, client, "KTT")
    assert me_now(client, me)["is_organisation_admin"] is True  # the first verified member
    changed = change_email(client, me, email())
    assert changed.status_code == 200
    assert (changed.json["membership"], changed.json["is_organisation_admin"]) == ("pending", False)
    position = changed.json["event_position"]
    history = client.get(f"/api/v1/people/{person_id}/history").json["items"]
    lapsed = [item for item in history if item["type"] == "Person.MembershipLapsed"]
    assert lapsed and "off the organisation's domains" in lapsed[0]["data"]["reason"]
    org = client.get("/api/v1/organisations/KTT/history").json["items"]
    assert [i["data"]["reason"] for i in org if i["type"] == "Organisation.AdminDropped"] == [
        lapsed[0]["data"]["reason"]
    ]
    rt.catch_up()  # the people view (production mode runs no worker here)
    shown = client.get(f"/api/v1/people/{person_id}?min_position={position}").json
    assert (shown["membership"], shown["is_admin"]) == ("pending", False)


def test_a_member_an_admin_approved_keeps_membership_off_the_domains(rt: Runtime, client: Any) -> None:
    _, _, admin = verified_member(rt, client, "BNH")
    outsider = email()
    approved_id, approved = sign_up(client, outsider, "BNH")
    token = new_link(rt, outsider, "verify-email", set())
    assert client.post("/api/v1/email-verifications", json={"token": token}).status_code == 200
    path = f"/api/v1/organisations/BNH/pending-members/{approved_id}/approve"
    assert client.post(path, headers=admin).status_code in (200, 201)
    assert change_email(client, approved, email()).json["membership"] == "member"
    _, _, on_domain = verified_member(rt, client, "BNH")
    same_domain = change_email(client, on_domain, council_email("BNH"))  # still on the council's domain
    assert same_domain.json["membership"] == "member"
