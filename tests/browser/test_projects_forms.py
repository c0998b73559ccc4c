"""Propose, edit, change the phase, set the goal, archive and restore: the forms, the API's
refusals shown on them, and the result on the project page."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.site import Site, assert_accessible, sign_in


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def settled(site: Site, written: dict[str, Any]) -> None:
    site.api("GET", f"/api/v1/projects/{written['id']}?min_position={written['event_position']}")


def test_propose_shows_the_apis_problems_then_proposes(page: Page, site: Site) -> None:
    proposer = site.person("KHL")
    sign_in(page, site, proposer)
    page.goto(site.base + "/")
    page.get_by_role("link", name="Propose a project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Propose a project")
    assert_accessible(page)

    phase_end = page.get_by_role("group", name="Phase end date")
    phase_end.get_by_label("Day").fill("31")
    phase_end.get_by_label("Month").fill("2")
    phase_end.get_by_label("Year").fill("2027")
    page.get_by_label("Prototype link").fill("not a link")
    page.get_by_role("button", name="Propose the project").click()
    expect(page).to_have_title("Error: Propose a project – Pipeline")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name="Title")).to_have_attribute("href", "#title")
    expect(summary.get_by_role("link", name="Summary")).to_have_attribute("href", "#summary")
    expect(summary.get_by_role("link", name="The phase end date must be a real date")).to_have_attribute(
        "href", "#phase-end-day"
    )
    expect(phase_end.get_by_label("Day")).to_have_class(re.compile("govuk-input--error"))
    expect(summary.get_by_role("link", name="Prototype link")).to_have_attribute("href", "#links-prototype")
    expect(page.locator("#title-error")).to_contain_text("Error:")
    expect(page.get_by_label("Prototype link")).to_have_value("not a link")  # what was typed is kept
    assert_accessible(page)

    title = unique("Council tax single person discount checker")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Summary").fill("Check claims against other data.")
    page.get_by_label("Description").fill("Built **together**.")
    page.get_by_label("Tags").fill("Council Tax, fraud, council tax")
    page.get_by_label("Alpha").check()
    for part in ("Day", "Month", "Year"):
        phase_end.get_by_label(part).fill("")
    page.get_by_label("Prototype link").fill("https://example.org/prototype")
    page.get_by_role("button", name="Propose the project").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("Your project has been proposed.")).to_be_visible()
    details = page.locator(".govuk-summary-list").first
    expect(details).to_contain_text("Alpha")
    expect(details).to_contain_text("council tax, fraud")
    expect(page.get_by_role("link", name="Prototype")).to_have_attribute("href", "https://example.org/prototype")
    expect(page.get_by_role("link", name="Edit the project")).to_be_visible()


def test_propose_works_without_javascript(no_js_page: Page, site: Site) -> None:
    page = no_js_page
    proposer = site.person("MAN")
    sign_in(page, site, proposer)
    page.goto(site.base + "/projects/new")
    page.get_by_role("button", name="Propose the project").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    title = unique("Library room booking")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Summary").fill("Book rooms in any library.")
    page.get_by_role("button", name="Propose the project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("Your project has been proposed.")).to_be_visible()


def test_propose_asks_to_sign_in_first(page: Page, site: Site) -> None:
    page.goto(site.base + "/projects/new")
    expect(page).to_have_url(site.base + "/sign-in?next=/projects/new")


def test_edit_changes_the_project_and_shows_problems(page: Page, site: Site) -> None:
    owner = site.person("BRE")
    before = unique("Parking suspension requests")
    project = site.project(owner, title=before, tags=["parking"])
    settled(site, project)
    sign_in(page, site, owner)
    page.goto(site.base + f"/projects/{project['id']}")
    page.get_by_role("link", name="Edit the project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the project")
    expect(page.get_by_label("Title")).to_have_value(before)
    expect(page.get_by_label("Tags")).to_have_value("parking")

    page.get_by_label("Title").fill("")
    assessment = page.get_by_role("group", name="Next service assessment")
    assessment.get_by_label("Day").fill("31")
    assessment.get_by_label("Year").fill("2027")
    page.get_by_role("button", name="Save changes").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name="Enter a title")).to_have_attribute("href", "#title")
    expect(summary.get_by_role("link", name="The next service assessment date must include a month")).to_have_attribute(
        "href", "#next-assessment-month"
    )
    expect(assessment.get_by_label("Day")).to_have_value("31")  # what was typed is kept
    assert_accessible(page)

    after = unique("Parking suspensions")
    page.get_by_label("Title").fill(after)
    assessment.get_by_label("Month").fill("3")
    page.get_by_label("Tags").fill("parking, highways")
    page.get_by_label("Department").fill("Highways")
    page.get_by_label("Budget").select_option("0-50k")
    page.get_by_label("Key contact").select_option(label=owner.name)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("The project has been updated.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(after)
    details = page.locator(".govuk-summary-list").first
    for shown in ("31 March 2027", "parking, highways", "Highways", "Up to £50,000", owner.name):
        expect(details).to_contain_text(shown)


def test_someone_outside_the_project_is_refused_by_the_api(page: Page, site: Site) -> None:
    owner, outsider = site.person("KHL"), site.person("MAN")
    project = site.project(owner, title=unique("Not yours"))
    settled(site, project)
    sign_in(page, site, outsider)
    page.goto(site.base + f"/projects/{project['id']}")
    expect(page.get_by_role("link", name="Edit the project")).to_have_count(0)
    page.goto(site.base + f"/projects/{project['id']}/edit")
    page.get_by_label("Title").fill("Taken over")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this")
    expect(page.get_by_text("Only the owning organisation's members, the team, or an operator")).to_be_visible()
    assert_accessible(page)


def test_change_the_phase(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    project = site.project(owner, title=unique("Phase project"))
    settled(site, project)
    sign_in(page, site, owner)
    page.goto(site.base + f"/projects/{project['id']}")
    page.get_by_role("link", name="Change the phase").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Which phase is the project in now?")
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("<span")
    expect(page.get_by_label("Concept")).to_be_checked()
    page.get_by_role("button", name="Change the phase").click()  # the same phase: the API refuses
    expect(page.get_by_role("alert")).to_contain_text("already in concept")
    assert_accessible(page)
    page.get_by_label("Beta").check()
    page.get_by_role("button", name="Change the phase").click()
    expect(page.get_by_text("The project is now in Beta.")).to_be_visible()
    expect(page.locator(".govuk-summary-list").first).to_contain_text("Beta")


def test_set_a_goal_then_the_bar_shows_it(page: Page, site: Site) -> None:
    owner, partner = site.person("BRE"), site.person("KHL")
    project_title = unique("Goal project")
    project = site.project(owner, title=project_title)
    settled(site, project)
    sign_in(page, site, owner)
    page.goto(site.base + f"/projects/{project['id']}")
    expect(page.get_by_text("No goal has been set.")).to_be_visible()
    page.get_by_role("link", name="Set a goal").click()
    page.get_by_role("button", name="Save the goal").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name="Enter a deadline")).to_have_attribute("href", "#deadline-day")
    assert_accessible(page)

    page.get_by_label("Money").fill("2,000")
    page.get_by_label("Staff time").fill("10")
    deadline = page.get_by_role("group", name="Deadline")
    for part, value in (("Day", "30"), ("Month", "9"), ("Year", "2027")):
        deadline.get_by_label(part).fill(value)
    page.get_by_role("button", name="Save the goal").click()
    expect(page.get_by_text("The goal has been set.")).to_be_visible()
    expect(page.get_by_text("0% of the goal reached")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "0")

    written = site.api("PUT", f"/api/v1/projects/{project['id']}/pledges/mine", {"money": "1000", "days": "5"}, partner)
    settled(site, written)
    page.reload()
    expect(page.get_by_text("50% of the goal reached")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "50")
    expect(page.get_by_text("£1,000 of £2,000 (50%)")).to_be_visible()
    expect(page.get_by_text("5 days of 10 days (50%)")).to_be_visible()
    page.goto(site.base + "/projects?q=" + project_title.split()[-1])
    result = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=project_title))
    expect(result).to_contain_text("Goal open: 50% reached, deadline 30 September 2027")
    expect(result.get_by_role("progressbar")).to_have_attribute("value", "50")
    result.get_by_role("link", name=project_title).click()
    page.get_by_role("link", name="Change the goal").click()
    expect(page.get_by_label("Money")).to_have_value("2000")
    deadline = page.get_by_role("group", name="Deadline")
    for part, value in (("Day", "30"), ("Month", "9"), ("Year", "2027")):
        expect(deadline.get_by_label(part)).to_have_value(value)
    expect(page.get_by_label("Time of the deadline (optional)")).to_have_value("")


def test_archive_and_restore_after_confirming(page: Page, site: Site) -> None:
    owner = site.person("MAN")
    title = unique("Archive me")
    project = site.project(owner, title=title)
    settled(site, project)
    sign_in(page, site, owner)
    page.goto(site.base + f"/projects/{project['id']}")
    page.get_by_role("link", name="Archive the project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure you want to archive this project?")
    assert_accessible(page)
    page.get_by_role("link", name="No, go back to the project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_role("link", name="Archive the project").click()
    page.get_by_role("button", name="Yes, archive the project").click()
    expect(page.get_by_text("The project has been archived.")).to_be_visible()
    expect(page.get_by_text("This project has been archived.")).to_be_visible()

    page.goto(site.base + "/projects?q=" + title.split()[-1])
    expect(page.get_by_role("link", name=title)).to_have_count(0)
    page.goto(site.base + "/projects?include_archived=true&q=" + title.split()[-1])
    expect(page.get_by_role("link", name=title)).to_be_visible()

    page.get_by_role("link", name=title).click()
    page.get_by_role("link", name="Restore the project").click()
    page.get_by_role("button", name="Yes, restore the project").click()
    expect(page.get_by_text("The project has been restored.")).to_be_visible()
    expect(page.get_by_text("This project has been archived.")).to_have_count(0)
