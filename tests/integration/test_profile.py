"""Profile changes and organisation admin actions over HTTP (embedded mode, in process)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.factories import PASSWORD, council_email
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def client(sqlite_runtime: Runtime) -> Any:
    return create_app(runtime=sqlite_runtime).test_client()


def join(client: Any, code: str, *, verified: bool) -> tuple[str, dict[str, str]]:
    email = council_email(code) if code != "NTH" else f"{uuid.uuid4().hex[:10]}@example.gov.uk"
    person = client.post(
        "/api/v1/people", json={"name": "Pat", "email": email, "organisation_code": code, "password": PASSWORD}
    ).json
    if verified:
        rt = client.application.extensions["pipeline"]
        rt.app.verify_email(uuid.UUID(person["id"]))
    token = client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).json["token"]
    return person["id"], {"Authorization": f"Bearer {token}"}


def test_a_new_email_must_be_verified_again_and_gets_a_new_link(client: Any, sqlite_runtime: Runtime) -> None:
    _, me = join(client, "WGN", verified=True)
    sent_before = sqlite_runtime.db.query("SELECT COUNT(*) AS n FROM outbox")[0]["n"]
    changed = client.patch(
        "/api/v1/me", json={"email": "moved.on@example.gov.uk", "current_password": PASSWORD}, headers=me
    )
    assert changed.status_code == 200
    assert (changed.json["email"], changed.json["email_verified"]) == ("moved.on@example.gov.uk", False)
    outbox = sqlite_runtime.db.query("SELECT COUNT(*) AS n FROM outbox")[0]["n"]
    assert outbox == sent_before + 2  # a link to the new address, a notice to the old one
    assert (
        client.patch("/api/v1/organisations/WGN", json={"website": "https://w.example"}, headers=me).status_code == 403
    )  # no longer verified


def test_moving_council_shows_in_the_directory_with_its_history(client: Any) -> None:
    person_id, me = join(client, "NTH", verified=False)
    moved = client.patch(
        "/api/v1/me",
        json={"organisation_name": "West Northamptonshire Council", "job_title": "Service designer"},
        headers=me,
    )
    assert moved.status_code == 200 and moved.json["organisation"]["code"] == "WNT"
    person = client.get(f"/api/v1/people/{person_id}?min_position={moved.json['event_position']}").json
    assert [m["organisation"]["code"] for m in person["memberships"]] == ["NTH", "WNT"]
    assert person["job_title"] == "Service designer"
    bad = client.patch("/api/v1/me", json={"organisation_code": "WNT", "organisation_name": "Wigan"}, headers=me)
    assert bad.status_code == 422
    assert client.patch("/api/v1/me", json={}, headers=me).status_code == 422


def test_an_admin_appoints_another_admin_and_removes_a_member(client: Any) -> None:
    _, admin = join(client, "LDS", verified=True)
    deputy_id, deputy = join(client, "LDS", verified=True)
    member_id, _ = join(client, "LDS", verified=False)
    appointed = client.post("/api/v1/organisations/LDS/admins", json={"person_id": deputy_id}, headers=admin)
    assert appointed.status_code == 201
    removed = client.delete(f"/api/v1/organisations/LDS/members/{member_id}", headers=deputy)
    assert removed.status_code == 200
    position = removed.json["event_position"]
    people = client.get(f"/api/v1/people?organisation=LDS&min_position={position}").json["items"]
    assert len(people) == 2 and all(p["is_admin"] for p in people)  # the first admin and the deputy
    assert deputy_id in {p["id"] for p in people} and member_id not in {p["id"] for p in people}
    assert client.get("/api/v1/organisations/LDS").json["member_count"] == 2
    unverified = client.post("/api/v1/organisations/LDS/admins", json={"person_id": member_id}, headers=admin)
    assert unverified.status_code in (404, 422)
