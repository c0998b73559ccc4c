"""Similar projects and the engagement report."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.site import Site, assert_accessible


def test_similar_lists_a_resembling_project_and_not_an_unrelated_one(page: Page, site: Site) -> None:
    owner, other = site.person("KHL"), site.person("BRE")
    word = uuid.uuid4().hex[:6]
    tag = f"parking {word}"
    titles = (f"Resident parking permits {word}", f"Visitor parking permits {word}", f"Library hours {word}x")
    first = site.project(owner, title=titles[0], summary="Apply for a permit.", tags=[tag])
    alike = site.project(other, title=titles[1], summary="Buy visitor permits.", tags=[tag])
    site.project(other, title=titles[2], summary="When we open.")

    page.goto(site.base + f"/projects/{first['id']}")
    page.get_by_role("navigation", name="Project sections").get_by_role("link", name="Similar projects").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Projects like {titles[0]}")
    found = page.get_by_role("link", name=titles[1])
    expect(found).to_have_attribute("href", f"/projects/{alike['id']}")
    expect(page.get_by_role("listitem").filter(has=found)).to_contain_text(f"shares the tags {tag}")
    expect(page.get_by_role("link", name=titles[2])).to_have_count(0)
    expect(page.get_by_role("link", name=titles[0], exact=True)).to_have_attribute("href", f"/projects/{first['id']}")
    assert_accessible(page)


def test_similar_for_no_such_project_is_a_page_not_found(page: Page, site: Site) -> None:
    response = page.goto(site.base + f"/projects/{uuid.uuid4()}/similar")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")


def test_the_report_shows_the_apis_figures_and_charts_with_their_figures(page: Page, site: Site) -> None:
    owner = site.person("MAN")
    site.project(owner, title=f"Report figures project {uuid.uuid4().hex[:6]}")
    report = site.api("GET", "/api/v1/reports/engagement?forgotten_days=30")

    page.goto(site.base + "/reports/engagement?forgotten_days=30")
    expect(page.get_by_role("heading", level=1)).to_have_text("Engagement report")
    projects = page.locator(".govuk-summary-list__row").filter(has_text="Projects proposed")
    proposed = report["projects"]["proposed"]
    assert proposed >= 1
    expect(projects.locator("dd")).to_have_text(f"{proposed} ({report['projects']['archived']} archived since)")
    people = page.locator(".govuk-summary-list__row").filter(has_text="People who signed up")
    expect(people.locator("dd")).to_contain_text(str(report["people"]["signed_up"]))
    expect(page.get_by_text("Projects are counted as forgotten after 30 days.")).to_be_visible()

    funnel = page.get_by_role("table", name="The funnel: organisations and people reaching each step")
    for org, person in zip(report["funnel"]["organisations"], report["funnel"]["people"], strict=True):
        row = funnel.get_by_role("row").filter(
            has=page.get_by_role("cell", name=org["step"].replace("_", " "), exact=True)
        )
        expect(row.get_by_role("cell").nth(1)).to_have_text(str(org["count"]))
        expect(row.get_by_role("cell").nth(3)).to_have_text(str(person["count"]))

    chart = page.get_by_role("img", name=re.compile("^Bar chart of the funnel"))
    signed = report["funnel"]["organisations"][0]["count"]
    expect(chart).to_have_attribute("alt", re.compile(f"signed up: {signed} organisations"))
    expect(chart).to_have_attribute("src", "/api/v1/reports/engagement/charts/funnel.svg?forgotten_days=30")
    for name in ("Bar chart of people signing up", "Bar chart of the funnel", "Heat map of cohort retention"):
        image = page.get_by_role("img", name=re.compile("^" + name))
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0, name
    assert_accessible(page)


def test_bad_report_values_give_an_error_summary(page: Page, site: Site) -> None:
    response = page.goto(site.base + "/reports/engagement?from=2026-02-30&forgotten_days=30")
    assert response is not None and response.status == 400
    expect(page).to_have_title(re.compile("^Error: Engagement report"))
    expect(page.get_by_role("alert").get_by_role("link")).to_have_text("The 'from' date must be a real date")
    expect(page.get_by_role("alert").get_by_role("link")).to_have_attribute("href", "#from-day")
    expect(page.get_by_role("img")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("group", name="From").get_by_label("Day").fill("")
    page.get_by_role("group", name="From").get_by_label("Month").fill("")
    page.get_by_role("group", name="From").get_by_label("Year").fill("")
    page.get_by_label("Forgotten after").fill("soon")
    page.get_by_role("button", name="Show the report").click()
    said = "The number of days after which a project counts as forgotten must be a whole number, like 3"
    link = page.get_by_role("alert").get_by_role("link", name=said)
    link.click()
    expect(page.get_by_label("Forgotten after")).to_be_focused()
