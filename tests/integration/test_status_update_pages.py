"""Status updates are paged by cursor like every other list: the 501st and older ones are
reached through the ``next`` links, each exactly once, newest first."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.factories import council_member
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
POSTED = 503


def test_every_status_update_is_reached_through_the_pages_once(any_runtime: Runtime) -> None:
    app = any_runtime.app
    owner = council_member(app, "WGN")
    project = app.propose_project(owner.id, "concept", {"title": "Bins", "summary": "Collections"}).aggregate
    posted = [app.post_status_update(project.id, f"Update {n}", owner.id).aggregate.id for n in range(POSTED)]
    any_runtime.catch_up()
    client = create_app(runtime=any_runtime).test_client()
    path: str | None = f"/api/v1/projects/{project.id}/status-updates?limit=200"
    seen: list[dict[str, Any]] = []
    while path is not None:
        page = client.get(path)
        assert page.status_code == 200, page.get_data(as_text=True)
        seen += page.json["items"]
        path = page.json["next"]
    assert len(seen) == POSTED
    assert {uuid.UUID(u["id"]) for u in seen} == set(posted)
    assert [u["posted_at"] for u in seen] == sorted((u["posted_at"] for u in seen), reverse=True)
    assert seen[-1]["body"] == "Update 0"
    pages = create_app(runtime=any_runtime).test_client()
    pages.environ_base["wsgi.url_scheme"] = "https"
    with pages.session_transaction() as browser:
        browser["token"] = any_runtime.sessions.start(owner.id)[0]
    oldest = pages.get(f"/projects/{project.id}/status-updates/{posted[0]}/edit")  # past the first 500
    assert oldest.status_code == 200 and "Update 0" in oldest.get_data(as_text=True)
    panel = pages.get(f"/projects/{project.id}")
    assert panel.status_code == 200 and f"Update {POSTED - 1}" in panel.get_data(as_text=True)


def test_a_cursor_not_given_out_by_the_api_is_400(sqlite_runtime: Runtime) -> None:
    owner = council_member(sqlite_runtime.app, "WGN")
    project = sqlite_runtime.app.propose_project(owner.id, "concept", {"title": "Bins", "summary": "x"}).aggregate
    client = create_app(runtime=sqlite_runtime).test_client()
    refused = client.get(f"/api/v1/projects/{project.id}/status-updates?cursor=WzEsMl0")
    assert refused.status_code == 400 and refused.content_type == "application/problem+json"
