"""The home page and the frame every page shares."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.browser.site import Site, assert_accessible


def test_home_page_says_what_pipeline_is_and_shows_its_figures(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    site.project(owner, title="Home page figures project")
    page.goto(site.base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Build it once, together")
    expect(page.get_by_text("Projects", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Find projects").first).to_be_visible()
    assert_accessible(page)


def test_pages_run_no_inline_script_without_the_nonce(page: Page, site: Site) -> None:
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Security Policy" in message.text else None)
    response = page.goto(site.base + "/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "script-src 'self' 'nonce-" in policy
    expect(page.locator("body")).to_have_class("govuk-template__body js-enabled govuk-frontend-supported")
    assert refused == []


def test_an_unknown_address_is_a_page_not_found_page(page: Page, site: Site) -> None:
    response = page.goto(site.base + "/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page)


def test_home_page_lists_an_open_goal_closing_soon_and_the_new_project(page: Page, site: Site) -> None:
    owner = site.person("BRE")
    title = f"Home page goal {uuid.uuid4().hex[:8]}"
    project = site.project(owner, title=title)
    deadline = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d")
    site.api("PUT", f"/api/v1/projects/{project['id']}/goal", {"min_partners": 2, "deadline": deadline}, owner)
    page.goto(site.base + "/")
    closing = page.get_by_role("heading", name="Goals closing soon").locator("xpath=..")
    expect(closing.get_by_role("link", name=title)).to_have_attribute("href", f"/projects/{project['id']}")
    recent = page.get_by_role("heading", name="Recent activity").locator("xpath=..")
    expect(recent).to_contain_text(title)
