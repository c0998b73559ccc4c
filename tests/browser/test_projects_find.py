"""Find projects: search, filters, sort, pages of results, and bad filter values."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.site import Site, assert_accessible


def settled(site: Site, written: dict[str, Any]) -> None:
    """Wait until the read models show a write made through the API (not through this browser)."""
    site.api("GET", f"/api/v1/projects?limit=1&min_position={written['event_position']}")


def word() -> str:
    return "zq" + uuid.uuid4().hex[:8]


def test_a_project_is_found_by_search_words_and_by_a_filter(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    unique, tag = word(), word()
    title = f"Pothole reporting {unique}"
    settled(site, site.project(owner, title=title, summary=f"Report potholes {unique}.", tags=[tag], phase="alpha"))

    page.goto(site.base + "/projects")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find projects")
    page.get_by_label("Search words").fill(unique)
    page.get_by_role("button", name="Search").click()
    result = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=title))
    expect(result).to_be_visible()
    expect(result).to_contain_text(site.api("GET", "/api/v1/me", person=owner)["organisation"]["name"])
    expect(result).to_contain_text("Alpha")
    expect(result).to_contain_text(tag)
    assert_accessible(page)

    page.goto(site.base + "/projects")
    page.get_by_label("Tag").fill(tag)
    page.get_by_label("Phase").select_option("alpha")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=title)).to_be_visible()
    expect(page.get_by_label("Phase")).to_have_value("alpha")  # the form keeps what was asked

    page.get_by_label("Phase").select_option("live")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="No projects found")).to_be_visible()
    expect(page.get_by_role("link", name=title)).to_have_count(0)


def test_every_filter_reaches_the_api(page: Page, site: Site) -> None:
    owner = site.person("BRE")
    tag = word()
    title = f"Bristol parking permits {tag}"
    settled(
        site,
        site.project(owner, title=title, tags=[tag], budget_band="50k-100k", collaboration_level="share_funding"),
    )
    query = (
        f"tag={tag}&organisation=BRE&organisation_kind=council&nation=England&collaboration_level=share_funding"
        "&budget_band=50k-100k&goal_state=none&quiet=false&updated_since=2020-01-01T00:00:00Z"
        "&updated_until=2199-01-01T00:00:00Z&include_archived=true&sort=title"
    )
    page.goto(site.base + "/projects?" + query)
    expect(page.get_by_role("link", name=title)).to_be_visible()
    page.goto(site.base + f"/projects?tag={tag}&updated_since=2020-01-01&updated_until=2199-12-31")  # plain days
    expect(page.get_by_role("link", name=title)).to_be_visible()
    page.goto(site.base + f"/projects?tag={tag}&updated_until=2020-01-01")
    expect(page.get_by_role("link", name=title)).to_have_count(0)
    page.goto(site.base + "/projects?" + query)
    expect(page.get_by_label("Include archived projects")).to_be_checked()
    expect(page.get_by_label("Sort by")).to_have_value("title")
    page.goto(site.base + f"/projects?tag={tag}&budget_band=0-50k")
    expect(page.get_by_role("link", name=title)).to_have_count(0)
    page.goto(site.base + f"/projects?tag={tag}&organisation=KHL")
    expect(page.get_by_role("link", name=title)).to_have_count(0)


def test_results_come_in_pages_with_a_next_page_link(page: Page, site: Site) -> None:
    owner = site.person("MAN")
    tag = word()
    for n in range(3):
        written = site.project(owner, title=f"Paged project {n} {tag}", tags=[tag])
    settled(site, written)

    page.goto(site.base + f"/projects?tag={tag}&sort=title&limit=2")
    results = page.locator(".pipeline-project-result")
    expect(results).to_have_count(2)
    expect(page.get_by_role("heading", name="3 projects found")).to_be_visible()
    expect(page.get_by_role("link", name="Page 2")).to_have_attribute("href", re.compile("page=2"))
    expect(page.get_by_role("link", name=f"Paged project 0 {tag}")).to_be_visible()
    page.get_by_role("link", name="Next page").click()
    expect(results).to_have_count(1)
    expect(page.get_by_role("link", name=f"Paged project 2 {tag}")).to_be_visible()
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("link", name="Page 1").click()
    expect(page.get_by_role("link", name=f"Paged project 0 {tag}")).to_be_visible()


def test_a_bad_filter_value_is_an_error_summary_not_a_crash(page: Page, site: Site) -> None:
    response = page.goto(site.base + "/projects?phase=nonsense&updated_since=yesterday")
    assert response is not None and response.status == 422
    expect(page).to_have_title("Error: Find projects – Pipeline")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name="Phase")).to_have_attribute("href", "#phase")
    expect(summary.get_by_role("link", name="Updated since")).to_have_attribute("href", "#updated-since-day")
    expect(page.get_by_role("group", name="Updated since").get_by_label("Year")).to_have_value("yesterday")
    assert_accessible(page)


def test_relevance_without_search_words_is_explained(page: Page, site: Site) -> None:
    page.goto(site.base + "/projects?sort=relevance")
    expect(page.get_by_role("alert").get_by_role("link", name="Sort by")).to_be_visible()
