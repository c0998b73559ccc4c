"""GET .../history for a project, a person and an organisation: every event in order,
read from the event store, with actors, edits as changes, personal data only where
the reader may see it, and pages that add up to the whole."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain import clock, history
from domain.application import OrganisationRef
from domain.personal import FORMER_MEMBER
from tests.factories import PASSWORD, council_member, email
from web.app import create_app
from workers.adapters.keys import PREFIX as SEALED
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
START = datetime(2014, 9, 1, 9, tzinfo=UTC)


@dataclass
class World:
    rt: Runtime
    client: Any
    project: uuid.UUID
    owner: uuid.UUID
    backer: uuid.UUID
    supplier: uuid.UUID
    founder: uuid.UUID
    founder_email: str


def build(rt: Runtime, amendments: int = 3) -> World:
    app = rt.app
    with clock.set_to(START) as c, history.writing_history(history.DEMO):
        owner = council_member(app, "WGN", name="Owen Owner")
        c.advance(timedelta(hours=1))
        backer = council_member(app, "KTT", name="Bea Backer")
        c.advance(timedelta(hours=1))
        address = email()
        founder = app.sign_up(
            name="Fay Founder",
            email=address,
            job_title="Director",
            organisation=OrganisationRef(name="Chronicle Tools Ltd", kind="supplier"),
            password=PASSWORD,
        ).aggregate
        c.advance(timedelta(hours=1))
        app.verify_email(founder.id)
        c.advance(timedelta(hours=1))
        app.update_organisation(founder.organisation_id, {"description": "We make tools."}, actor=founder.id)
        c.advance(timedelta(hours=1))
        app.update_organisation(founder.organisation_id, {"description": "We make clocks."}, actor=founder.id)
        c.advance(timedelta(hours=1))
        app.update_profile(founder.id, {"job_title": "Chief clockmaker", "email": email()}, actor=founder.id)
        c.advance(timedelta(days=1))
        project = app.propose_project(owner.id, "concept", {"title": "Bins", "summary": "Bin days"}).aggregate
        steps = [
            lambda: app.edit_project(project.id, {"title": "Bin days", "tags": ["waste"]}, owner.id),
            lambda: app.follow(project.id, backer.id, following=True),
            lambda: app.declare_need(project.id, backer.id, "We need it"),
            lambda: app.request_contribution(project.id, backer.id, "Can we help?"),
            lambda: app.post_status_update(project.id, "Discovery starts", owner.id),
            lambda: app.change_phase(project.id, "discovery", owner.id),
        ]
        steps += [
            (lambda i=i: app.pledge_for_organisation(project.id, backer.id, pledge(i))) for i in range(1, amendments)
        ]
        for step in steps:
            c.advance(timedelta(hours=3))
            step()
        c.advance(timedelta(hours=3))
        app.erase(backer.id, actor=backer.id)
    rt.catch_up()
    client = create_app(runtime=rt).test_client()
    return World(rt, client, project.id, owner.id, backer.id, founder.organisation_id, founder.id, address)


def pledge(i: int) -> dict[str, Any]:
    return {"money": f"{i}.00", "days": "0.00", "contributions": [], "message": None}


def everything(client: Any, url: str, limit: int, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    next_url: str | None = f"{url}?limit={limit}"
    while next_url:
        assert len(items) < 1000, "the pages never end"
        response = client.get(next_url, headers=headers or {})
        assert response.status_code == 200, response.json
        assert len(response.json["items"]) <= limit
        items += response.json["items"]
        next_url = response.json["next"]
    return items


def test_a_project_history_has_every_event_around_it_in_order(any_runtime: Runtime) -> None:
    w = build(any_runtime)
    items = everything(w.client, f"/api/v1/projects/{w.project}/history", 100)
    assert [i["type"] for i in items] == [
        "Project.Proposed",
        "Project.Edited",
        "Follow.Followed",
        "Need.Declared",
        "ContributionRequest.Requested",
        "StatusUpdate.Posted",
        "Project.PhaseChanged",
        "Project.PledgeMade",
        "Project.PledgeAmended",
    ]
    assert [i["time"] for i in items] == sorted(i["time"] for i in items)
    assert items[0]["time"] == "2014-09-02T15:00:00.000000Z" and items[0]["version"] == 1
    edited = items[1]
    assert edited["actor"] == {"id": str(w.owner), "name": "Owen Owner"}
    assert edited["changes"] == [
        {"field": "title", "before": "Bins", "after": "Bin days"},
        {"field": "tags", "before": None, "after": ["waste"]},
    ]
    assert items[6]["changes"] == [{"field": "phase", "before": "concept", "after": "discovery"}]
    assert items[7]["data"]["pledge"]["money"] == "1.00" and items[8]["data"]["pledge"]["money"] == "2.00"
    erased = {"id": str(w.backer), "name": FORMER_MEMBER}
    assert [i["actor"] for i in items[2:5]] == [erased] * 3


def test_an_organisation_edit_shows_what_it_replaced(any_runtime: Runtime) -> None:
    w = build(any_runtime)
    items = everything(w.client, f"/api/v1/organisations/{w.supplier}/history", 100)
    edits = [i["changes"] for i in items if i["type"] == "Organisation.DetailsChanged"]
    assert edits == [
        [{"field": "description", "before": None, "after": "We make tools."}],
        [{"field": "description", "before": "We make tools.", "after": "We make clocks."}],
    ]
    council = everything(w.client, "/api/v1/organisations/wgn/history", 100)
    assert council[0]["type"] == "Organisation.Registered" and council[0]["data"]["code"] == "WGN"


def sign_in(client: Any, address: str) -> dict[str, str]:
    token = client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def test_personal_data_only_where_the_reader_may_see_it(any_runtime: Runtime) -> None:
    w = build(any_runtime)
    app = w.rt.app
    founder = w.founder
    url = f"/api/v1/people/{founder}/history"
    anyone = everything(w.client, url, 100)
    signed_up = anyone[0]
    assert signed_up["type"] == "Person.SignedUp"
    assert signed_up["data"]["name"] == "Fay Founder" and signed_up["data"]["job_title"] == "Director"
    assert "email" not in signed_up["data"] and "password_hash" not in signed_up["data"]
    profile = next(i for i in anyone if i["type"] == "Person.ProfileChanged")
    assert profile["changes"] == [{"field": "job_title", "before": "Director", "after": "Chief clockmaker"}]
    assert not any(i["type"] == "Person.EmailChanged" and i["changes"] for i in anyone)

    new_address = app.reveal(app.get_person(founder))["email"]
    app.verify_email(founder)  # the changed address must be verified before signing in with it
    themselves = everything(w.client, url, 100, sign_in(w.client, new_address))
    assert themselves[0]["data"]["email"] == w.founder_email
    changed = next(i for i in themselves if i["type"] == "Person.EmailChanged")
    assert changed["changes"] == [{"field": "email", "before": w.founder_email, "after": new_address}]
    assert "password_hash" not in json.dumps(themselves)

    for body in (anyone, themselves, everything(w.client, f"/api/v1/people/{w.backer}/history", 100)):
        assert SEALED not in json.dumps(body)
    erased = everything(w.client, f"/api/v1/people/{w.backer}/history", 100)
    assert erased[0]["data"]["name"] == FORMER_MEMBER and erased[-1]["type"] == "Person.Erased"


def test_pages_add_up_to_the_whole_history_across_snapshots(any_runtime: Runtime) -> None:
    w = build(any_runtime, amendments=110)  # more than Project's snapshot interval (100)
    url = f"/api/v1/projects/{w.project}/history"
    whole = everything(w.client, url, 500)
    assert len(whole) == 7 + 109
    for limit in (1, 7, 50):
        assert everything(w.client, url, limit) == whole, limit


def test_unknown_resources_wrong_kinds_and_bad_cursors_are_refused(any_runtime: Runtime) -> None:
    w = build(any_runtime)
    client = w.client
    assert client.get(f"/api/v1/projects/{uuid.uuid4()}/history").status_code == 404
    assert client.get(f"/api/v1/people/{w.project}/history").status_code == 404  # a project is no person
    assert client.get(f"/api/v1/projects/{w.owner}/history").status_code == 404
    assert client.get("/api/v1/organisations/NOPE/history").status_code == 404
    bad = client.get(f"/api/v1/projects/{w.project}/history", query_string={"after": "not-ours"})
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/projects/{w.project}/history", query_string={"limit": 0}).status_code == 422


def test_pages_keep_every_event_when_many_share_one_moment(any_runtime: Runtime) -> None:
    app = any_runtime.app
    with clock.set_to(START), history.writing_history(history.DEMO):  # the clock never moves
        owner, backer = council_member(app, "WGN"), council_member(app, "KTT")
        project = app.propose_project(owner.id, "concept", {"title": "Same time", "summary": "s"}).aggregate
        app.follow(project.id, backer.id, following=True)
        app.declare_need(project.id, backer.id, None)
        for i in range(1, 4):
            app.pledge_for_organisation(project.id, backer.id, pledge(i))
    any_runtime.catch_up()
    client = create_app(runtime=any_runtime).test_client()
    url = f"/api/v1/projects/{project.id}/history"
    whole = everything(client, url, 500)
    assert len({i["id"] for i in whole}) == len(whole) == 6
    assert everything(client, url, 1) == everything(client, url, 2) == whole
