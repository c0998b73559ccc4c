"""The discussion on a project page, in-process: paged by whole threads with GOV.UK
pagination, a new thread landing on the page where it shows, links that come back to the
page they left."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from tests.integration.test_membership_api import join, settled
from tests.integration.test_people_pages import browser_of, html
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def client(sqlite_runtime: Runtime) -> Any:
    return create_app(runtime=sqlite_runtime).test_client()


def test_the_discussion_on_a_project_page_is_paged_with_govuk_pagination(client: Any) -> None:
    ann_id, ann = join(client, "WGN")
    project = client.post("/api/v1/projects", json={"title": "Bins", "summary": "S"}, headers=ann).json["id"]
    app = client.application.extensions["pipeline"].app
    for n in range(21):  # one more than a page of threads
        app.post_comment(UUID(project), UUID(ann_id), f"Thread number {n:02d}")
    settled(client)
    first = html(client.get(f"/projects/{project}"))
    assert "Thread number 19" in first and "Thread number 20" not in first
    assert "govuk-pagination" in first and f'href="/projects/{project}?page=2#discussion"' in first
    second = html(client.get(f"/projects/{project}?page=2"))
    assert "Thread number 20" in second and "Thread number 00" not in second
    browser = browser_of(client, ann_id)
    form = html(browser.get(f"/projects/{project}?page=2"))
    assert f'name="next" value="/projects/{project}?page=2#discussion"' in form, "a new thread lands on the last page"
    reply = f"/projects/{project}/comments/new?reply_to="
    assert reply in form and "next=/projects/" in form.replace("%2F", "/")
