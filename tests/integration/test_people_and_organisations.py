"""People and organisations over HTTP, on the embedded and the production database: filters
by organisation name (and a value that names nothing says so), the organisations directory,
a person's page and what they chose to show, and admins who never leave an organisation
without one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from tests.factories import email
from tests.hostile import operator
from tests.integration.test_membership_api import join, settled
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def client(any_runtime: Runtime) -> Any:
    return create_app(runtime=any_runtime).test_client()


def propose(client: Any, headers: dict[str, str], title: str) -> str:
    answer = client.post("/api/v1/projects", json={"title": title, "summary": "S", "phase": "alpha"}, headers=headers)
    assert answer.status_code == 201, answer.json
    return str(answer.json["id"])


def titles(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.json
    return [item["title"] for item in answer.json["items"]]


# ------------------------------------------------------------ organisation filter
def test_projects_are_found_by_their_organisations_name_in_any_case(client: Any) -> None:
    _, leeds = join(client, "LDS")
    _, wigan = join(client, "WGN")
    propose(client, leeds, "Leeds bins")
    propose(client, wigan, "Wigan parking")
    settled(client)
    for value in ("Leeds", "leeds city council", "LDS", "lds"):
        assert titles(client.get("/api/v1/projects", query_string={"organisation": value})) == ["Leeds bins"], value
    people = client.get("/api/v1/people", query_string={"organisation": "LEEDS"}).json["items"]
    assert {p["organisation"]["code"] for p in people} == {"LDS"}
    export = client.get("/api/v1/projects.csv", query_string={"organisation": "Wigan"})
    assert export.status_code == 200 and "Wigan parking" in export.text and "Leeds bins" not in export.text


def test_an_organisation_filter_that_names_nothing_says_so(client: Any) -> None:
    unknown = client.get("/api/v1/projects", query_string={"organisation": "Atlantis"})
    assert unknown.status_code == 422 and unknown.content_type == "application/problem+json"
    assert unknown.json["errors"] == {"organisation": ["No organisation called 'Atlantis'."]}
    ambiguous = client.get("/api/v1/projects", query_string={"organisation": "Kingston"})
    assert ambiguous.status_code == 422 and "more than one" in ambiguous.json["errors"]["organisation"][0]
    assert {c["code"] for c in ambiguous.json["candidates"]} >= {"KTT", "KHL"}
    no_id = client.get("/api/v1/activity", query_string={"organisation": "00000000-0000-0000-0000-000000000000"})
    assert no_id.status_code == 422 and "No organisation has the id" in no_id.json["detail"]
    assert client.get("/api/v1/people", query_string={"organisation": "Atlantis"}).status_code == 422


# ------------------------------------------------------------ directory
def test_the_directory_filters_by_kind_nation_and_region_and_counts_members_and_projects(client: Any) -> None:
    _, leeds = join(client, "LDS")
    join(client, "LDS", email())  # a pending member counts among its people
    propose(client, leeds, "Leeds bins")
    settled(client)
    found = client.get("/api/v1/organisations", query_string={"q": "Leeds", "region": "Yorkshire and The Humber"})
    leeds_row = next(o for o in found.json["items"] if o["code"] == "LDS")
    assert (leeds_row["member_count"], leeds_row["project_count"]) == (2, 1)
    welsh = client.get("/api/v1/organisations", query_string={"nation": "Wales", "limit": 500}).json["items"]
    assert welsh and {o["nation"] for o in welsh} == {"Wales"}
    assert all(o["project_count"] == 0 for o in welsh)
    none = client.get("/api/v1/organisations", query_string={"kind": "supplier", "has_members": "true"})
    assert none.status_code == 200 and none.json["items"] == []
    bad = client.get("/api/v1/organisations", query_string={"region": "Atlantis"})
    assert bad.status_code == 422 and "region" in bad.json["errors"]


# ------------------------------------------------------------ a person's page
def test_a_persons_page_shows_what_they_chose_and_an_erased_person_shows_nothing(client: Any) -> None:
    asha_id, asha = join(client, "KTT")
    tom_id, tom = join(client, "WGN")
    project = propose(client, asha, "Bulky waste")
    assert client.post(f"/api/v1/projects/{project}/follow", headers=tom).status_code in (200, 201)
    assert client.put(f"/api/v1/projects/{project}/pledges/mine", json={"money": "500"}, headers=tom).status_code == 200
    settled(client)
    page = client.get(f"/api/v1/people/{asha_id}").json
    assert page["shown"] == ["projects", "pledges", "comments"] and "follows" not in page
    assert [(p["title"], p["roles"]) for p in page["projects"]] == [("Bulky waste", ["proposer", "team"])]
    tom_page = client.get(f"/api/v1/people/{tom_id}").json
    assert [(p["project_title"], p["money"], p["organisation"]["code"]) for p in tom_page["pledges"]] == [
        ("Bulky waste", "500.00", "WGN")
    ]
    chosen = client.put("/api/v1/me/page", json={"shown": ["follows"]}, headers=tom)
    assert chosen.status_code == 200 and chosen.json["shown"] == ["follows"]
    tom_page = settled(client).get(f"/api/v1/people/{tom_id}?min_position={chosen.json['event_position']}").json
    assert "pledges" not in tom_page and [f["title"] for f in tom_page["follows"]] == ["Bulky waste"]
    assert client.put("/api/v1/me/page", json={"shown": ["secrets"]}, headers=tom).status_code == 422
    assert client.put("/api/v1/me/page", json={"shown": []}).status_code == 401
    erased = client.delete("/api/v1/me", json={"password": "a long enough test passphrase"}, headers=tom)
    assert erased.status_code in (200, 204), erased.json
    gone = settled(client).get(f"/api/v1/people/{tom_id}").json
    assert (gone["name"], gone["erased"], gone["organisation"], gone["memberships"], gone["shown"]) == (
        "Former member",
        True,
        None,
        [],
        [],
    )


def test_a_persons_page_lists_what_they_said_but_not_what_a_moderator_hid(client: Any) -> None:
    _, asha = join(client, "KTT")
    tom_id, tom = join(client, "WGN")
    olive, _ = operator(client, "LDS")
    project = propose(client, asha, "Bulky waste")
    said = client.post(f"/api/v1/projects/{project}/comments", json={"body": "We collect these too"}, headers=tom)
    spam = client.post(f"/api/v1/projects/{project}/comments", json={"body": "Buy our bins"}, headers=tom)
    assert said.status_code == spam.status_code == 201, (said.json, spam.json)
    hidden = client.post(f"/api/v1/comments/{spam.json['id']}/hide", json={"reason": "Advertising"}, headers=olive)
    assert hidden.status_code == 200, hidden.json
    page = settled(client).get(f"/api/v1/people/{tom_id}?min_position={hidden.json['event_position']}").json
    assert [(c["body"], c["project_title"], c["organisation"]["code"]) for c in page["comments"]] == [
        ("We collect these too", "Bulky waste", "KTT")
    ]
    chosen = client.put("/api/v1/me/page", json={"shown": ["projects"]}, headers=tom)
    page = settled(client).get(f"/api/v1/people/{tom_id}?min_position={chosen.json['event_position']}").json
    assert "comments" not in page and page["shown"] == ["projects"]


# ------------------------------------------------------------ admins
def test_admins_step_down_and_hand_over_but_never_leave_none(client: Any) -> None:
    first_id, first = join(client, "BNH")
    second_id, second = join(client, "BNH")
    admins = "/api/v1/organisations/BNH/admins"
    assert client.post(admins, json={"person_id": second_id}, headers=first).status_code == 201
    assert client.delete(f"{admins}/{first_id}", headers=first).status_code == 200  # stepped down
    last = client.delete(f"{admins}/{second_id}", headers=second)
    assert last.status_code == 422 and "needs an admin" in last.json["detail"]
    assert (
        client.post("/api/v1/organisations/BNH/handover", json={"person_id": second_id}, headers=second).status_code
        == 422
    )
    handed = client.post("/api/v1/organisations/BNH/handover", json={"person_id": first_id}, headers=second)
    assert handed.status_code == 200, handed.json
    roles = {p["id"]: p["is_admin"] for p in settled(client).get("/api/v1/people?organisation=BNH").json["items"]}
    assert roles == {first_id: True, second_id: False}


def test_the_last_admin_erased_or_moving_away_hands_the_role_to_the_longest_standing_member(client: Any) -> None:
    admin_id, admin = join(client, "MAN")
    elder_id, _ = join(client, "MAN")
    third_id, _ = join(client, "MAN")
    settled(client)
    erased = client.delete("/api/v1/me", json={"password": "a long enough test passphrase"}, headers=admin)
    assert erased.status_code in (200, 204), erased.json
    people = settled(client).get("/api/v1/people?organisation=MAN").json["items"]
    assert [p["id"] for p in people if p["is_admin"]] == [elder_id]
    moved = client.patch("/api/v1/me", json={"organisation_code": "WGN"}, headers=_session(client, elder_id))
    assert moved.status_code == 200, moved.json
    people = settled(client).get("/api/v1/people?organisation=MAN").json["items"]
    assert [p["id"] for p in people if p["is_admin"]] == [third_id] and elder_id not in {p["id"] for p in people}
    assert next(p for p in people if p["id"] == admin_id)["name"] == "Former member"


def _session(client: Any, person_id: str) -> dict[str, str]:
    """Signed in again as ``person_id`` (``join`` kept its token only for the test that made it)."""
    token, _ = client.application.extensions["pipeline"].sessions.start(UUID(person_id))
    return {"Authorization": f"Bearer {token}"}


def test_whoever_creates_an_organisation_is_shown_as_its_admin(client: Any) -> None:
    body = {"name": "Ada", "email": email(), "password": "a long enough test passphrase"}
    created = client.post(
        "/api/v1/people", json={**body, "organisation_name": "Civic Tools", "organisation_kind": "supplier"}
    )
    assert created.status_code == 201, created.json
    shown = settled(client).get(f"/api/v1/people/{created.json['id']}").json
    assert (shown["is_admin"], shown["organisation"]["name"]) == (True, "Civic Tools")
