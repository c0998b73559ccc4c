"""The engagement report's period, as a council officer sets it: a GOV.UK date input for each
end (day, month and year), read as days in London, with the table's words when a part is
missing; and the same without JavaScript."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from tests.browser.site import Site, assert_accessible


def type_date(page: Page, legend: str, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def test_an_officer_sets_the_reports_period_with_date_inputs_and_corrects_a_part(page: Page, site: Site) -> None:
    page.goto(site.base + "/reports/engagement")
    expect(page.get_by_role("heading", level=1)).to_have_text("Engagement report")
    assert_accessible(page)

    # A summer period, with the month of its start left out.
    type_date(page, "From", "1", "", "2026")
    type_date(page, "To", "31", "7", "2026")
    page.get_by_role("button", name="Show the report").click()
    expect(page).to_have_title(re.compile("^Error: Engagement report"))
    problem = page.get_by_role("alert").get_by_role("link", name="The 'from' date must include a month")
    expect(problem).to_have_attribute("href", "#from-month")
    start = page.get_by_role("group", name="From")
    expect(start.get_by_label("Month")).to_have_class(re.compile("govuk-input--error"))
    expect(start.get_by_label("Year")).not_to_have_class(re.compile("govuk-input--error"))
    expect(start.get_by_label("Day")).to_have_value("1")
    expect(page.get_by_role("group", name="To").get_by_label("Month")).to_have_value("7")
    expect(page.get_by_role("img")).to_have_count(0)
    assert_accessible(page)
    problem.click()
    expect(start.get_by_label("Month")).to_be_focused()

    # Corrected: the period is London's days, 1 June 00:00 BST to the end of 31 July.
    start.get_by_label("Month").fill("6")
    page.get_by_role("button", name="Show the report").click()
    expect(page.get_by_text("From 1 June 2026 at midnight to 31 July 2026 at 11:59pm.")).to_be_visible()
    data = page.get_by_role("link", name="engagement report (JSON)")
    sent = parse_qs(urlsplit(data.get_attribute("href") or "").query)
    assert sent["from"] == ["2026-06-01T00:00:00+01:00"]
    assert sent["to"] == ["2026-07-31T23:59:59.999999+01:00"]
    report = site.api("GET", "/api/v1/reports/engagement?from=2026-06-01T00:00:00%2B01:00")
    assert report["period"]["from"] == "2026-05-31T23:00:00+00:00"
    expect(page.get_by_role("group", name="From").get_by_label("Month")).to_have_value("6")
    assert_accessible(page)

    # A period that ends before it starts: the API's refusal, in the table's words, on the 'to' date.
    type_date(page, "To", "31", "5", "2026")
    page.get_by_role("button", name="Show the report").click()
    backwards = page.get_by_role("alert").get_by_role(
        "link", name="The 'to' date must be the same as or after the 'from' date"
    )
    expect(backwards).to_have_attribute("href", "#to-day")
    assert_accessible(page)


def test_the_period_is_set_and_corrected_without_javascript(no_js_page: Page, site: Site) -> None:
    page = no_js_page
    page.goto(site.base + "/reports/engagement")
    type_date(page, "From", "1", "1", "2026")
    type_date(page, "To", "31", "", "")
    page.get_by_role("button", name="Show the report").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link", name="The 'to' date must include a month and year")).to_have_attribute(
        "href", "#to-month"
    )

    type_date(page, "To", "31", "1", "2026")
    page.get_by_role("button", name="Show the report").click()
    expect(page.get_by_text("From 1 January 2026 at midnight to 31 January 2026 at 11:59pm.")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
