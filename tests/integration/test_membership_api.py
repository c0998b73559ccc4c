"""Earned membership over HTTP: the attacks of issue 7 point 1, and the admins' tools
(pending members, approval, domains), on the embedded and the production database."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.factories import PASSWORD, council_email, email
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def client(any_runtime: Runtime) -> Any:
    return create_app(runtime=any_runtime).test_client()


def join(client: Any, code: str, address: str | None = None) -> tuple[str, dict[str, str]]:
    """Sign up at a council (on its own domain unless ``address`` is given), verify, sign in."""
    address = address or council_email(code)
    person = client.post(
        "/api/v1/people",
        json={"name": f"Pat {code}", "email": address, "organisation_code": code, "password": PASSWORD},
    )
    assert person.status_code == 201, person.json
    rt = client.application.extensions["pipeline"]
    rt.app.verify_email(uuid.UUID(person.json["id"]))
    token = client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD}).json["token"]
    return person.json["id"], {"Authorization": f"Bearer {token}"}


def settled(client: Any) -> Any:
    """The client, once every view has caught up (production mode has no worker here)."""
    client.application.extensions["pipeline"].catch_up()
    return client


def head(client: Any) -> int:
    return client.get("/api/v1/projections").json["items"][0]["head"]


def test_a_member_who_claims_another_council_cannot_act_for_it(client: Any) -> None:
    _, kingston = join(client, "KTT")
    project = client.post(
        "/api/v1/projects", json={"title": "Bins", "summary": "S", "phase": "alpha"}, headers=kingston
    )
    assert project.status_code == 201, project.json
    url = f"/api/v1/projects/{project.json['id']}"
    _, leeds = join(client, "LDS")
    moved = client.patch("/api/v1/me", json={"organisation_code": "KTT"}, headers=leeds)
    assert moved.status_code == 200 and moved.json["membership"] == "pending"
    before = head(client)
    assert client.patch(url, json={"title": "Hijacked"}, headers=leeds).status_code == 403
    assert client.post(f"{url}/archive", headers=leeds).status_code == 403
    assert client.patch("/api/v1/me", json={"organisation_code": "WGN"}, headers=leeds).status_code == 200
    after_move = head(client)
    refused = client.put(f"{url}/pledges/mine", json={"money": "10000000"}, headers=leeds)
    assert refused.status_code == 403 and "pending" in refused.json["detail"]
    assert head(client) == after_move == before + 1  # only the move was recorded
    shown = settled(client).get(f"{url}?min_position={after_move}").json
    assert shown["title"] == "Bins" and not shown["archived"]


def test_an_admins_removal_is_not_undone_by_moving_back(client: Any) -> None:
    _, admin = join(client, "BNH")
    member_id, member = join(client, "BNH")
    assert client.delete(f"/api/v1/organisations/BNH/members/{member_id}", headers=admin).status_code == 200
    back = client.patch("/api/v1/me", json={"organisation_code": "BNH"}, headers=member)
    assert back.status_code == 200 and back.json["membership"] == "pending"
    proposal = {"title": "Back door", "summary": "S", "phase": "alpha"}
    assert client.post("/api/v1/projects", json=proposal, headers=member).status_code == 403
    pending = settled(client).get("/api/v1/organisations/BNH/pending-members", headers=admin).json["items"]
    assert [(p["id"], p["email_domain"]) for p in pending] == [(member_id, "brighton-hove.gov.uk")]
    approved = client.post(f"/api/v1/organisations/BNH/pending-members/{member_id}/approve", headers=admin)
    assert approved.status_code == 200
    assert client.get("/api/v1/me", headers=member).json["membership"] == "member"
    assert client.post("/api/v1/projects", json=proposal, headers=member).status_code == 201


def test_verifying_first_without_the_councils_domain_makes_no_admin(client: Any) -> None:
    _, first = join(client, "CMD", email())
    me = client.get("/api/v1/me", headers=first).json
    assert (me["membership"], me["is_organisation_admin"]) == ("pending", False)
    assert (
        client.patch("/api/v1/organisations/CMD", json={"website": "https://x.example"}, headers=first).status_code
        == 403
    )
    _, on_domain = join(client, "CMD")
    assert client.get("/api/v1/me", headers=on_domain).json["is_organisation_admin"] is True


def test_admins_decline_and_manage_domains_and_others_may_not(client: Any) -> None:
    _, admin = join(client, "MAN")
    pending_id, pending = join(client, "MAN", email())
    before = head(client)
    for url in (
        f"/api/v1/organisations/MAN/pending-members/{pending_id}/approve",
        "/api/v1/organisations/MAN/domains",
    ):
        assert client.post(url, json={"domain": "man.example.org"}, headers=pending).status_code == 403
    assert head(client) == before
    declined = client.post(
        f"/api/v1/organisations/MAN/pending-members/{pending_id}/decline", json={"reason": "Unknown"}, headers=admin
    )
    assert declined.status_code == 200
    assert client.get("/api/v1/me", headers=pending).json["organisation"] is None
    elsewhere = client.post("/api/v1/organisations/MAN/domains", json={"domain": "man.example.org"}, headers=admin)
    assert elsewhere.status_code == 403  # the admin does not write from there
    added = client.post(
        "/api/v1/organisations/MAN/domains", json={"domain": "Digital.Manchester.gov.uk"}, headers=admin
    )
    assert added.status_code == 201 and "digital.manchester.gov.uk" in added.json["domains"]
    theirs = client.post("/api/v1/organisations/MAN/domains", json={"domain": "wigan.gov.uk"}, headers=admin)
    assert theirs.status_code == 403  # neither theirs to prove nor free (an operator gets 409: unit-tested)
    shared = client.post("/api/v1/organisations/MAN/domains", json={"domain": "gmail.com"}, headers=admin)
    assert shared.status_code == 422
    removed = client.delete("/api/v1/organisations/MAN/domains/digital.manchester.gov.uk", headers=admin)
    domains = settled(client).get(f"/api/v1/organisations/MAN?min_position={removed.json['event_position']}").json
    assert "manchester.gov.uk" in domains["domains"] and "digital.manchester.gov.uk" not in domains["domains"]


def test_a_supplier_cannot_take_a_councils_name(client: Any) -> None:
    founder = client.post(
        "/api/v1/people",
        json={
            "name": "Sam",
            "email": email(),
            "password": PASSWORD,
            "organisation_name": f"Widgets {uuid.uuid4().hex[:6]} Ltd",
            "organisation_kind": "supplier",
        },
    )
    assert founder.status_code == 201 and founder.json["is_admin"] is True
    rt = client.application.extensions["pipeline"]
    rt.app.verify_email(uuid.UUID(founder.json["id"]))
    org = founder.json["organisation"]["id"]
    token = client.post(
        "/api/v1/sessions",
        json={"email": rt.app.reveal(rt.app.get_person(uuid.UUID(founder.json["id"])))["email"], "password": PASSWORD},
    ).json["token"]
    renamed = client.patch(
        f"/api/v1/organisations/{org}",
        json={"name": "Royal Borough of Kingston upon Thames"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert renamed.status_code == 409, renamed.json
    assert "council" in renamed.json["detail"]


def test_a_removed_member_loses_the_team_powers_they_had_as_a_member(client: Any) -> None:
    """The proposer is on the team: removal (or a move) must end that too (found by a hostile review)."""
    _, admin = join(client, "KHL")
    bob_id, bob = join(client, "KHL")
    project = client.post("/api/v1/projects", json={"title": "Bob's", "summary": "S"}, headers=bob).json["id"]
    assert client.delete(f"/api/v1/organisations/KHL/members/{bob_id}", headers=admin).status_code == 200
    before = head(client)
    assert client.patch(f"/api/v1/projects/{project}", json={"title": "Still mine"}, headers=bob).status_code == 403
    assert client.post(f"/api/v1/projects/{project}/archive", headers=bob).status_code == 403
    posted = client.post(f"/api/v1/projects/{project}/status-updates", json={"body": "Hi"}, headers=bob)
    assert posted.status_code == 403
    assert head(client) == before
    listed = settled(client).get(f"/api/v1/people?min_position={before}")  # a person in no organisation
    assert listed.status_code == 200, listed.json
    shown = client.get(f"/api/v1/people/{bob_id}")
    assert shown.status_code == 200 and shown.json["organisation"] is None


def test_a_write_that_loses_a_race_is_a_409_not_a_500(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from eventsourcing.persistence import IntegrityError

    _, admin = join(client, "YOR")
    pending_id, _ = join(client, "YOR", email())
    rt = client.application.extensions["pipeline"]

    def lost_race(*args: Any, **kwargs: Any) -> Any:
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(rt.app, "approve_member", lost_race)
    answer = client.post(f"/api/v1/organisations/YOR/pending-members/{pending_id}/approve", headers=admin)
    assert answer.status_code == 409 and answer.content_type == "application/problem+json"
    assert "same moment" in answer.json["detail"]


def test_head_is_checked_like_get(client: Any) -> None:
    """HEAD runs the GET view: an admin-only list must not answer it anonymously (its length leaked)."""
    assert client.head("/api/v1/organisations/WGN/pending-members").status_code == 401
    _, member = join(client, "WGN", email())
    assert client.head("/api/v1/organisations/WGN/pending-members", headers=member).status_code == 403


def test_an_organisations_people_are_its_members_not_those_still_pending(client: Any) -> None:
    member_id, _ = join(client, "SHF")
    pending_id, _ = join(client, "SHF", email())
    listed = settled(client).get("/api/v1/organisations/SHF/people")
    assert listed.status_code == 200
    ids = [p["id"] for p in listed.json["items"]]
    assert member_id in ids and pending_id not in ids
