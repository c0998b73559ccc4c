"""The calendar page: goal deadlines and phase runs by month, chosen with a GET form."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.site import Site, assert_accessible


def test_a_goal_deadline_and_a_phase_run_show_in_their_month(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    title = f"Calendar deadline project {uuid.uuid4().hex[:6]}"
    project = site.project(owner, title=title, phase_start="2029-05-02", phase_end="2029-09-30")
    site.api("PUT", f"/api/v1/projects/{project['id']}/goal", {"min_partners": 2, "deadline": "2029-07-15"}, owner)

    page.goto(site.base + "/calendar?from=2029-07&to=2029-08")
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar")
    july = page.get_by_role("region", name="July 2029")
    deadlines = july.get_by_role("table", name="Goal deadlines in July 2029")
    row = deadlines.get_by_role("row").filter(has_text=title)
    expect(row).to_contain_text("15 July 2029")
    expect(row.get_by_role("link", name=title)).to_have_attribute("href", f"/projects/{project['id']}")
    phases = july.get_by_role("table", name="Phases running in July 2029")
    expect(phases.get_by_role("row").filter(has_text=title)).to_contain_text("2 May 2029 to 30 September 2029")
    # August: the phase still runs, the deadline has passed.
    august = page.get_by_role("region", name="August 2029")
    expect(august.get_by_role("table", name="Phases running in August 2029")).to_contain_text(title)
    expect(august.get_by_role("table", name="Goal deadlines in August 2029").get_by_text(title)).to_have_count(0)
    expect(page.get_by_role("region", name="September 2029")).to_have_count(0)
    assert_accessible(page)


def test_months_are_chosen_with_the_form_without_javascript(no_js_page: Page, site: Site) -> None:
    owner = site.person("BRE")
    title = f"Calendar no-js project {uuid.uuid4().hex[:6]}"
    project = site.project(owner, title=title)
    site.api("PUT", f"/api/v1/projects/{project['id']}/goal", {"min_partners": 1, "deadline": "2030-02-10"}, owner)

    no_js_page.goto(site.base + "/calendar")
    no_js_page.get_by_label("From", exact=True).fill("2030-01")
    no_js_page.get_by_label("To", exact=True).fill("2030-03")
    no_js_page.get_by_role("button", name="Show months").click()
    expect(no_js_page).to_have_url(re.compile(r"/calendar\?from=2030-01&to=2030-03$"))
    expect(no_js_page.get_by_role("main").get_by_role("heading", level=2)).to_have_text(
        ["January 2030", "February 2030", "March 2030"]
    )
    expect(no_js_page.get_by_role("table", name="Goal deadlines in February 2030")).to_contain_text(title)
    expect(no_js_page.get_by_label("From", exact=True)).to_have_value("2030-01")


def test_a_malformed_month_gives_an_error_summary_not_a_failure(page: Page, site: Site) -> None:
    response = page.goto(site.base + "/calendar?from=2029-13&to=2030-01")
    assert response is not None and response.status == 422
    expect(page).to_have_title(re.compile(r"^Error: Calendar"))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    summary.get_by_role("link", name=re.compile("^Enter a month like 2027-03")).click()
    expect(page.get_by_label("From", exact=True)).to_be_focused()
    expect(page.get_by_label("From", exact=True)).to_have_value("2029-13")
    assert_accessible(page)


def test_a_reversed_range_names_the_to_field(page: Page, site: Site) -> None:
    response = page.goto(site.base + "/calendar?from=2030-05&to=2030-01")
    assert response is not None and response.status == 422
    expect(page.get_by_role("alert").get_by_role("link")).to_have_text(
        re.compile("^The last month must be between 2030-05")
    )
    expect(page.locator("#to-error")).to_contain_text("The last month must be between 2030-05")
