"""People related to a project hear about it, as in the original Pipeline (embedded mode)."""

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


def member(client: Any, code: str) -> tuple[str, str, dict[str, str]]:
    email = council_email(code)
    person = client.post(
        "/api/v1/people",
        json={"name": f"Officer {code}", "email": email, "organisation_code": code, "password": PASSWORD},
    ).json
    rt = client.application.extensions["pipeline"]
    rt.app.verify_email(uuid.UUID(person["id"]))
    token = client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).json["token"]
    return person["id"], email, {"Authorization": f"Bearer {token}"}


def mail_to(runtime: Runtime, kind: str) -> list[str]:
    """Recipients of messages of ``kind`` (sent messages keep no address: count them by person)."""
    rows = runtime.db.query("SELECT person_id FROM outbox WHERE kind = :kind ORDER BY created_at", {"kind": kind})
    return [r["person_id"] for r in rows]


def test_followers_pledgers_and_team_hear_of_updates_and_edits_but_not_the_author(
    client: Any, sqlite_runtime: Runtime
) -> None:
    owner_id, _, owner = member(client, "WGN")
    follower_id, _, follower = member(client, "KTT")
    pledger_id, _, pledger = member(client, "LDS")
    bystander_id, _, _ = member(client, "BNH")
    project = client.post("/api/v1/projects", json={"title": "Potholes", "summary": "Report them"}, headers=owner).json[
        "id"
    ]
    client.post(f"/api/v1/projects/{project}/follow", headers=follower)
    client.put(f"/api/v1/projects/{project}/pledges/mine", json={"money": "100.00"}, headers=pledger)
    assert (
        client.post(
            f"/api/v1/projects/{project}/status-updates", json={"body": "Alpha starts Monday"}, headers=owner
        ).status_code
        == 201
    )
    assert sorted(mail_to(sqlite_runtime, "project-news")) == sorted([follower_id, pledger_id])
    client.patch(f"/api/v1/projects/{project}", json={"summary": "Report potholes online"}, headers=owner)
    client.patch(f"/api/v1/projects/{project}", json={"summary": "Report potholes online"}, headers=owner)
    news = mail_to(sqlite_runtime, "project-news")
    assert len(news) == 4  # the second, identical edit changed nothing and told nobody
    assert owner_id not in news and bystander_id not in news


def test_an_erased_follower_is_not_emailed(client: Any, sqlite_runtime: Runtime) -> None:
    _, _, owner = member(client, "WGN")
    follower_id, _, follower = member(client, "KTT")
    project = client.post("/api/v1/projects", json={"title": "Parking", "summary": "Permits"}, headers=owner).json["id"]
    client.post(f"/api/v1/projects/{project}/follow", headers=follower)
    assert client.delete("/api/v1/me", json={"password": PASSWORD}, headers=follower).status_code == 200
    client.post(f"/api/v1/projects/{project}/status-updates", json={"body": "News"}, headers=owner)
    assert follower_id not in mail_to(sqlite_runtime, "project-news")


def test_the_team_of_a_project_much_like_a_new_one_hears_of_it_but_one_shared_tag_is_not_enough(
    client: Any, sqlite_runtime: Runtime
) -> None:
    first_id, _, first = member(client, "WGN")
    _, _, second = member(client, "KTT")
    _, _, newcomer = member(client, "LDS")
    post = {"summary": "s"}
    client.post("/api/v1/projects", json={**post, "title": "Bulky waste", "tags": ["waste", "booking"]}, headers=first)
    client.post("/api/v1/projects", json={**post, "title": "Parking permits", "tags": ["booking"]}, headers=second)
    assert mail_to(sqlite_runtime, "matching-interest") == []  # one shared tag is not enough
    alike = {**post, "title": "Bulky waste collection", "tags": ["waste", "booking", "forms"]}
    client.post("/api/v1/projects", json=alike, headers=newcomer)
    assert mail_to(sqlite_runtime, "matching-interest") == [first_id]  # two tags and two title words


def test_nobody_is_mailed_at_an_address_they_have_not_verified(client: Any, sqlite_runtime: Runtime) -> None:
    """A follower who changes their address to someone else's must not turn project news into
    mail to that address (found by a hostile review)."""
    _, _, owner = member(client, "WGN")
    project = client.post("/api/v1/projects", json={"title": "Relay", "summary": "S"}, headers=owner).json["id"]
    follower_id, _, follower = member(client, "KTT")
    assert client.post(f"/api/v1/projects/{project}/follow", headers=follower).status_code in (200, 201)
    update = {"body": "First news"}
    assert client.post(f"/api/v1/projects/{project}/status-updates", json=update, headers=owner).status_code == 201
    assert mail_to(sqlite_runtime, "project-news") == [follower_id]
    moved = client.patch(
        "/api/v1/me", json={"email": "victim@victim-corp.example", "current_password": PASSWORD}, headers=follower
    )
    assert moved.status_code == 200 and moved.json["email_verified"] is False
    update = {"body": "Cheap pills"}
    assert client.post(f"/api/v1/projects/{project}/status-updates", json=update, headers=owner).status_code == 201
    assert mail_to(sqlite_runtime, "project-news") == [follower_id]  # nothing more
