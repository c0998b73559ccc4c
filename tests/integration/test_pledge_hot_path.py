"""The pledge request on the real PostgreSQL: the signed-in person is loaded once per
request (by the access check), and forgotten when the request ends; a person cached at the
head version the session's query brought is used without asking the event store again."""

from __future__ import annotations

from typing import Any

import pytest
from flask import g

from tests.factories import council_member
from web.app import create_app
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


def test_a_pledge_loads_the_signed_in_person_once_and_forgets_it_after(
    pg_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pg_runtime.app
    owner, pledger = council_member(app, "WGN"), council_member(app, "MAN")
    project_id = app.propose_project(owner.id, "alpha", {"title": "Shared", "summary": "s"}).aggregate.id
    token, _ = pg_runtime.sessions.start(pledger.id)
    loads: list[Any] = []
    get = app.repository.get

    def counted(aggregate_id: Any, **kwargs: Any) -> Any:
        loads.append(aggregate_id)
        return get(aggregate_id, **kwargs)

    monkeypatch.setattr(app.repository, "get", counted)

    response = (
        create_app(runtime=pg_runtime)
        .test_client()
        .put(
            f"/api/v1/projects/{project_id}/pledges/mine",
            json={"money": "100.00", "days": "1.00", "contributions": ["testing"], "message": None},
            headers={"Authorization": f"Bearer {token}"},
        )
    )

    assert response.status_code == 200, response.json
    assert loads.count(pledger.id) == 1
    assert app.known_person(pledger.id) is None
    assert app.get_project(project_id).pledges[str(pledger.organisation_id)]["money"] == "100.00"


def test_a_person_cached_at_their_head_costs_no_query_to_the_event_store(
    pg_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pg_runtime.app
    owner, pledger = council_member(app, "WGN"), council_member(app, "MAN")
    project_id = app.propose_project(owner.id, "alpha", {"title": "Shared", "summary": "s"}).aggregate.id
    token, _ = pg_runtime.sessions.start(pledger.id)
    client = create_app(runtime=pg_runtime).test_client()
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/projects/{project_id}/pledges/mine"
    assert client.put(url, json=pledge("100.00"), headers=headers).status_code == 200  # the person is cached now
    asked: list[Any] = []
    get = app.repository.event_store.get

    def counted(originator_id: Any, **kwargs: Any) -> Any:
        asked.append(originator_id)
        return get(originator_id, **kwargs)

    monkeypatch.setattr(app.repository.event_store, "get", counted)

    response = client.put(url, json=pledge("200.00"), headers=headers)

    assert response.status_code == 200, response.json
    assert pledger.id not in asked  # the session's query brought the head version: the cached person is current
    assert project_id in asked  # the project is still brought up to date from the store
    assert app.get_project(project_id).pledges[str(pledger.organisation_id)]["money"] == "200.00"


def test_a_change_to_the_person_by_another_process_is_seen_by_the_next_request(
    pg_runtime: Runtime, pg_settings: Settings
) -> None:
    person = council_member(pg_runtime.app, "WGN")
    token, _ = pg_runtime.sessions.start(person.id)
    headers = {"Authorization": f"Bearer {token}"}
    with create_app(runtime=pg_runtime).test_client() as client:
        assert client.get("/api/v1/me", headers=headers).status_code == 200  # cached in this process
        other = build_runtime(pg_settings)
        try:
            other.app.update_profile(person.id, {"name": "Renamed elsewhere"}, actor=person.id)
            head = other.app.get_person(person.id).version
        finally:
            other.close()

        answer = client.get("/api/v1/me", headers=headers)

        assert answer.status_code == 200
        assert answer.json["name"] == "Renamed elsewhere"
        assert g.person.version == head  # the access check's person, not only the handler's


def pledge(money: str) -> dict[str, Any]:
    return {"money": money, "days": "1.00", "contributions": ["testing"], "message": None}
