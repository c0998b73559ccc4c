"""Un-hiding in the pages, in-process (plain forms, no JavaScript): an operator finds the
action beside a hidden comment and in the project's history beside a hidden status update,
gives a reason, and the text reads again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hostile import operator
from tests.integration.test_membership_api import join, settled
from tests.integration.test_people_pages import browser_of, csrf, html
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def client(sqlite_runtime: Runtime) -> Any:
    return create_app(runtime=sqlite_runtime).test_client()


def test_an_operator_unhides_a_comment_from_its_place_in_the_thread(client: Any) -> None:
    _, ann = join(client, "WGN")
    olive, olive_id = operator(client, "KTT")
    project = client.post("/api/v1/projects", json={"title": "Bins", "summary": "S"}, headers=ann).json["id"]
    made = client.post(f"/api/v1/projects/{project}/comments", json={"body": "Acme can help"}, headers=ann).json["id"]
    client.post(f"/api/v1/comments/{made}/hide", json={"reason": "Advertising"}, headers=olive)
    settled(client)
    assert f"/comments/{made}/unhide" not in html(client.get(f"/projects/{project}")), "for operators only"
    browser = browser_of(client, olive_id)
    page = html(browser.get(f"/projects/{project}"))
    assert f"/comments/{made}/unhide" in page and f"/comments/{made}/hide" not in page
    form = browser.get(f"/comments/{made}/unhide")
    assert form.status_code == 200 and "Show the comment again" in html(form)
    blank = browser.post(f"/comments/{made}/unhide", data={"reason": "", "csrf_token": csrf(form)})
    assert blank.status_code == 422 and "govuk-error-summary" in html(blank)
    done = browser.post(f"/comments/{made}/unhide", data={"reason": "Not advertising", "csrf_token": csrf(form)})
    assert done.status_code == 303
    assert "Acme can help" in html(settled(client).get(f"/projects/{project}"))


def test_an_operator_unhides_a_status_update_from_the_projects_history(client: Any) -> None:
    _, ann = join(client, "WGN")
    olive, olive_id = operator(client, "KTT")
    project = client.post("/api/v1/projects", json={"title": "Bins", "summary": "S"}, headers=ann).json["id"]
    url = f"/api/v1/projects/{project}/status-updates"
    update = client.post(url, json={"body": "Supplier chosen"}, headers=ann).json["id"]
    client.post(f"{url}/{update}/hide", json={"reason": "Too early"}, headers=olive)
    settled(client)
    link = f"/projects/{project}/status-updates/{update}/unhide"
    assert link not in html(client.get(f"/projects/{project}/history")), "for operators only"
    browser = browser_of(client, olive_id)
    assert link in html(browser.get(f"/projects/{project}/history"))
    form = browser.get(link)
    assert form.status_code == 200
    done = browser.post(link, data={"reason": "Announced now", "csrf_token": csrf(form)})
    assert done.status_code == 303
    assert "Supplier chosen" in html(settled(client).get(f"/projects/{project}"))
    again = browser.post(link, data={"reason": "Twice", "csrf_token": csrf(browser.get(link))})
    assert again.status_code == 409 and "not hidden" in html(again)
