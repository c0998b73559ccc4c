"""GET/PUT /api/v1/me/notifications: people choose which emails they get and how often;
bad input is refused naming the field, and nothing is stored."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from domain.notifications import KINDS, MAX_WORDS
from tests.factories import PASSWORD, council_email
from web.app import create_app
from workers.runtime.bootstrap import Runtime, build_runtime

pytestmark = pytest.mark.integration
URL = "/api/v1/me/notifications"


@pytest.fixture
def client(sqlite_runtime: Runtime) -> Any:
    return create_app(runtime=sqlite_runtime).test_client()


def member(client: Any, code: str = "WGN", *, verified: bool = True) -> tuple[str, dict[str, str]]:
    email = council_email(code)
    person = client.post(
        "/api/v1/people",
        json={"name": f"Officer {code}", "email": email, "organisation_code": code, "password": PASSWORD},
    ).json
    if verified:
        client.application.extensions["pipeline"].app.verify_email(uuid.UUID(person["id"]))
    token = client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).json["token"]
    return person["id"], {"Authorization": f"Bearer {token}"}


def kinds_on(body: dict[str, Any]) -> dict[str, bool]:
    return {k["name"]: k["on"] for k in body["kinds"]}


def head(runtime: Runtime) -> int:
    return int(runtime.app.recorder.max_notification_id() or 0)


def test_someone_who_never_chose_gets_every_email_at_once(client: Any) -> None:
    _, me = member(client)
    response = client.get(URL, headers=me)
    assert response.status_code == 200
    body = response.json
    assert body["frequency"] == "immediate"
    assert body["interests"] == {"tags": [], "words": []}
    assert kinds_on(body) == dict.fromkeys(KINDS, True)
    verify = next(k for k in body["kinds"] if k["name"] == "verify-email")
    assert verify["switchable"] is False and verify["audience"] and verify["trigger"]


def test_choices_are_kept_and_what_is_left_out_keeps_its_value(client: Any) -> None:
    _, me = member(client)
    first = client.put(
        URL,
        json={
            "frequency": "weekly",
            "kinds": {"pledge": False, "new-follower": False},
            "interests": {"tags": ["Bins"]},
        },
        headers=me,
    )
    assert first.status_code == 200, first.json
    assert first.json["frequency"] == "weekly" and first.json["event_position"] > 0
    assert first.json["interests"] == {"tags": ["bins"], "words": []}
    second = client.put(URL, json={"kinds": {"pledge": True}, "interests": {"words": ["Potholes"]}}, headers=me)
    assert second.status_code == 200, second.json
    now = client.get(URL, headers=me).json
    assert now["frequency"] == "weekly"  # left out: kept
    assert now["interests"] == {"tags": ["bins"], "words": ["potholes"]}
    on = kinds_on(now)
    assert on["pledge"] is True and on["new-follower"] is False and on["project-news"] is True
    assert {k: v for k, v in now.items() if k != "event_position"} == {
        k: v for k, v in second.json.items() if k != "event_position"
    }


def test_choosing_the_same_again_records_nothing(client: Any, sqlite_runtime: Runtime) -> None:
    _, me = member(client)
    assert client.put(URL, json={"frequency": "daily"}, headers=me).status_code == 200
    before = head(sqlite_runtime)
    again = client.put(URL, json={"frequency": "daily"}, headers=me)
    assert again.status_code == 200 and again.json["event_position"] is None
    assert head(sqlite_runtime) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"frequency": "hourly"}, "frequency"),
        ({"kinds": {"carrier-pigeon": False}}, "kinds"),
        ({"kinds": {"verify-email": False}}, "kinds"),
        ({"kinds": {"pledge": "off"}}, "kinds"),
        ({"interests": {"words": ["two words"]}}, "interests"),
        ({"interests": {"words": [f"w{i}" for i in range(MAX_WORDS + 1)]}}, "interests"),
        ({"interests": {"tags": ["  "]}}, "interests"),
        ({"interests": {"colours": ["red"]}}, "interests"),
        ({"sms": True}, "sms"),
        ({}, "_schema"),
    ],
)
def test_bad_choices_are_refused_naming_the_field_and_nothing_is_stored(
    client: Any, sqlite_runtime: Runtime, body: dict[str, Any], field: str
) -> None:
    _, me = member(client)
    before, state = head(sqlite_runtime), client.get(URL, headers=me).json
    response = client.put(URL, json=body, headers=me)
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    assert field in response.json["errors"], response.json
    assert head(sqlite_runtime) == before
    assert client.get(URL, headers=me).json == state


def test_only_the_signed_in_person_reads_and_a_verified_one_chooses(client: Any) -> None:
    assert client.get(URL).status_code == 401
    assert client.put(URL, json={"frequency": "daily"}).status_code == 401
    _, unverified = member(client, verified=False)
    assert client.get(URL, headers=unverified).status_code == 200
    assert client.put(URL, json={"frequency": "daily"}, headers=unverified).status_code == 403


def test_a_kind_switched_off_here_is_not_emailed(client: Any, sqlite_runtime: Runtime) -> None:
    _, owner = member(client, "WGN")
    quiet_id, quiet = member(client, "KTT")
    keen_id, keen = member(client, "LDS")
    project = client.post("/api/v1/projects", json={"title": "Bins", "summary": "Collections"}, headers=owner).json
    for follower in (quiet, keen):
        client.post(f"/api/v1/projects/{project['id']}/follow", headers=follower)
    assert client.put(URL, json={"kinds": {"project-news": False}}, headers=quiet).status_code == 200
    posted = client.post(f"/api/v1/projects/{project['id']}/status-updates", json={"body": "News"}, headers=owner)
    assert posted.status_code == 201
    rows = sqlite_runtime.db.query("SELECT person_id FROM outbox WHERE kind = 'project-news'")
    assert [r["person_id"] for r in rows] == [keen_id]
    assert quiet_id != keen_id


def test_the_openapi_document_describes_both_methods(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "put"} <= set(paths[URL])
    assert "post" in paths["/unsubscribe"] and "get" in paths["/unsubscribe"]


def test_an_unsubscribe_landing_while_choices_are_saved_is_not_undone(
    client: Any, sqlite_runtime: Runtime, sqlite_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mail client's one-click (another process) lands between the read and the write of a
    PUT that changes something else: the PUT is written again over it, not over the old state."""
    person_id, me = member(client)
    assert client.put(URL, json={"frequency": "daily"}, headers=me).status_code == 200
    other = build_runtime(sqlite_settings)
    app, read, reads = sqlite_runtime.app, sqlite_runtime.app._preferences, []

    def read_then_someone_unsubscribes(pid: Any) -> Any:
        found = read(pid)
        reads.append(pid)
        if len(reads) == 1:
            other.app.unsubscribe(uuid.UUID(person_id), "project-news")
        return found

    monkeypatch.setattr(app, "_preferences", read_then_someone_unsubscribes)
    try:
        changed = client.put(URL, json={"kinds": {"pledge": False}}, headers=me)
    finally:
        other.close()
    assert changed.status_code == 200, changed.json
    assert {k for k, on in kinds_on(changed.json).items() if not on} == {"pledge", "project-news"}
    assert changed.json["frequency"] == "daily"
