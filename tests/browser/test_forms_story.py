"""Forms and pages that read like GOV.UK, as a council officer meets them: an own project
inviting its key contact, a date typed with a part missing, results counted and numbered,
tags suggested as they are typed (and the plain field without JavaScript)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.site import Site, assert_accessible, sign_in


def settled(site: Site, written: dict[str, Any]) -> None:
    site.api("GET", f"/api/v1/projects/{written['id']}?min_position={written['event_position']}")


def test_an_officer_sets_a_key_contact_corrects_a_date_and_pages_through_results(page: Page, site: Site) -> None:
    owner = site.person("KHL", name=f"Kit Hull {uuid.uuid4().hex[:4]}")
    tag = f"bins{uuid.uuid4().hex[:6]}"
    written = [site.project(owner, title=f"Bin round {n} {tag}", tags=[tag]) for n in range(3)]
    settled(site, written[-1])
    sign_in(page, site, owner)

    # Their own project: no key contact yet, and an invitation to set one; no "we need this".
    page.goto(f"{site.base}/projects/{written[0]['id']}")
    details = page.locator(".govuk-summary-list").first
    expect(details).to_contain_text("Not given.")
    expect(details.get_by_role("link", name=tag)).to_have_attribute("href", f"/projects?tag={tag}")
    expect(page.get_by_role("button", name="We need this too")).to_have_count(0)
    expect(page.get_by_text("This is your organisation’s project")).to_be_visible()
    assert_accessible(page)
    details.get_by_role("link", name="Set a key contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the project")

    # A date with its month left out: the summary names the part and the part is highlighted.
    start = page.get_by_role("group", name="Phase start date")
    start.get_by_label("Day").fill("1")
    start.get_by_label("Year").fill("2027")
    page.get_by_label("Key contact").select_option(label=owner.name)
    page.get_by_role("button", name="Save changes").click()
    summary = page.get_by_role("alert")
    problem = summary.get_by_role("link", name="The phase start date must include a month")
    expect(problem).to_have_attribute("href", "#phase-start-month")
    expect(start.get_by_label("Month")).to_have_class(re.compile("govuk-input--error"))
    expect(start.get_by_label("Day")).not_to_have_class(re.compile("govuk-input--error"))
    expect(start.get_by_label("Day")).to_have_value("1")
    expect(page.get_by_role("main")).not_to_contain_text("Missing data")
    assert_accessible(page)
    problem.click()
    expect(start.get_by_label("Month")).to_be_focused()
    start.get_by_label("Month").fill("4")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("The project has been updated.")).to_be_visible()
    details = page.locator(".govuk-summary-list").first
    expect(details).to_contain_text("1 April 2027 to not given")
    expect(details).to_contain_text(owner.name)
    expect(details.get_by_role("link", name="Set a key contact")).to_have_count(0)

    # Results: how many, numbered pages, and a type-ahead on the tag.
    page.goto(f"{site.base}/projects?sort=title&limit=2")
    page.locator("#tag").fill(tag[:6])
    suggestion = page.get_by_role("option", name=tag)
    expect(suggestion).to_be_visible()
    assert_accessible(page)
    suggestion.click()
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="3 projects found")).to_be_visible()
    expect(page.locator(".pipeline-project-result")).to_have_count(2)
    pages = page.get_by_role("navigation", name="Pages of results")
    expect(pages.get_by_role("link", name="Page 1")).to_have_attribute("aria-current", "page")
    pages.get_by_role("link", name="Page 2").click()
    expect(page.get_by_role("link", name=f"Bin round 2 {tag}")).to_be_visible()
    expect(page.locator(".pipeline-project-result")).to_have_count(1)
    expect(page.get_by_role("link", name="Download these projects as a spreadsheet (CSV)")).to_have_attribute(
        "href", re.compile(r"^/api/v1/projects\.csv\?.*tag=")
    )
    assert_accessible(page)


def test_the_tag_field_is_a_plain_field_without_javascript(no_js_page: Page, site: Site) -> None:
    owner = site.person("KHL")
    tag = f"potholes{uuid.uuid4().hex[:6]}"
    settled(site, site.project(owner, title=f"Pothole reports {tag}", tags=[tag]))
    no_js_page.goto(site.base + "/projects")
    no_js_page.get_by_label("Tag").fill(tag)
    no_js_page.get_by_role("button", name="Search").click()
    expect(no_js_page.get_by_role("heading", name="1 project found")).to_be_visible()
    expect(no_js_page.get_by_role("link", name=f"Pothole reports {tag}")).to_be_visible()
    expect(no_js_page.get_by_role("link", name="API reference")).to_have_attribute("href", "/api/reference")
    # axe runs in the tabs with JavaScript: the same page is checked in the story above.
