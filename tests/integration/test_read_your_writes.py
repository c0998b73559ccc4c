"""Read-your-writes: a read with min_position waits for its projection, or says 503."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import support
from tests.conftest import worker_env
from tests.factories import PASSWORD as PW
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def test_a_read_waits_for_the_worker_then_shows_the_write(pg_runtime: Runtime, tmp_path: Path) -> None:
    client = create_app(runtime=pg_runtime).test_client()
    created = client.post(
        "/api/v1/people",
        json={
            "password": PW,
            "name": "Ann",
            "email": "ann@example.gov.uk",
            "organisation_name": "Wigan Borough Council",
        },
    )
    assert created.status_code == 201
    position = created.json["event_position"]
    person_url = f"/api/v1/people/{created.json['id']}"

    # No worker yet: the projection cannot reach the position, and the API says so.
    behind = client.get(f"{person_url}?min_position={position}")
    assert behind.status_code == 503
    assert behind.headers["Retry-After"] == "1"
    assert behind.content_type == "application/problem+json"
    assert client.get(person_url).status_code == 404  # without min_position: the view as it is

    worker = support.Process(["worker"], worker_env(pg_runtime.settings), tmp_path / "worker.log")
    try:
        support.wait_until(
            lambda: client.get(f"{person_url}?min_position={position}").status_code == 200,
            timeout=30,
            message="the worker to apply the sign-up",
        )
    finally:
        worker.stop()
    person = client.get(f"{person_url}?min_position={position}").json
    assert person["organisation"]["code"] == "WGN"
    listed = client.get(f"/api/v1/people?organisation=WGN&min_position={position}").json
    assert [p["id"] for p in listed["items"]] == [created.json["id"]]
    wigan = client.get(f"/api/v1/organisations/WGN?min_position={position}").json
    assert wigan["member_count"] == 1


def test_a_min_position_beyond_the_log_is_refused(sqlite_runtime: Runtime) -> None:
    client = create_app(runtime=sqlite_runtime).test_client()
    response = client.get("/api/v1/organisations?min_position=999999")
    assert response.status_code == 422
    assert "min_position" in response.json["errors"]


def test_in_the_embedded_mode_a_write_is_readable_at_once(sqlite_runtime: Runtime) -> None:
    client = create_app(runtime=sqlite_runtime).test_client()
    created = client.post(
        "/api/v1/people", json={"password": PW, "name": "Bo", "email": "bo@example.gov.uk", "organisation_code": "KTT"}
    ).json
    response = client.get(f"/api/v1/people/{created['id']}?min_position={created['event_position']}")
    assert response.status_code == 200
    assert response.json["name"] == "Bo"
