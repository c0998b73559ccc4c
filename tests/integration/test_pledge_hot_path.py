"""The pledge request on the real PostgreSQL: the signed-in person is loaded once per
request (by the access check), and forgotten when the request ends."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import council_member
from web.app import create_app
from workers.runtime.bootstrap import Runtime

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
