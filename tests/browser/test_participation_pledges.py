"""Taking part through the panel: follow, "we need this too", and a pledge made, amended and withdrawn."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.site import Person, Site, assert_accessible, sign_in


def panel_of(page: Page) -> Locator:
    return page.get_by_role("region", name="Take part")


def open_panel(page: Page, site: Site, project: dict[str, Any]) -> Locator:
    page.goto(f"{site.base}/projects/{project['id']}/take-part")
    expect(page.get_by_role("heading", level=2, name="Take part")).to_be_visible()
    return panel_of(page)


def pledges_of(site: Site, project: dict[str, Any]) -> list[dict[str, Any]]:
    return site.api("GET", f"/api/v1/projects/{project['id']}/pledges")  # type: ignore[no-any-return]


def banner(page: Page, text: str) -> None:
    expect(page.get_by_role("alert", name="Success")).to_contain_text(text)


def test_another_council_follows_needs_it_and_stops(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    project = site.project(owner, title="Panel follow and need project")
    other = site.person("BRE")
    sign_in(page, site, other)
    panel = open_panel(page, site, project)
    assert_accessible(page)

    panel.get_by_role("button", name="Follow this project").click()
    banner(page, "You are following this project.")
    expect(panel_of(page).get_by_role("button", name="Stop following")).to_be_visible()
    followers = site.api("GET", f"/api/v1/projects/{project['id']}/followers")
    assert [f["person_id"] for f in followers] == [other.id]

    panel_of(page).get_by_role("button", name="We need this too").click()
    banner(page, "Your organisation needs this too")
    expect(panel_of(page).get_by_role("button", name="Withdraw “we need this too”")).to_be_visible()
    needs = site.api("GET", f"/api/v1/projects/{project['id']}/needs")
    assert [n["organisation_code"] for n in needs] == ["BRE"]

    panel_of(page).get_by_role("button", name="Withdraw “we need this too”").click()
    banner(page, "no longer says it needs this")
    panel_of(page).get_by_role("button", name="Stop following").click()
    banner(page, "You have stopped following this project.")
    expect(panel_of(page).get_by_role("button", name="Follow this project")).to_be_visible()
    assert site.api("GET", f"/api/v1/projects/{project['id']}/followers") == []
    assert site.api("GET", f"/api/v1/projects/{project['id']}/needs") == []


def test_need_with_a_comment(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    project = site.project(owner, title="Panel need comment project")
    other = site.person("MAN")
    sign_in(page, site, other)
    open_panel(page, site, project).get_by_role("link", name="Say your organisation needs this too").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Say your organisation needs this too")
    assert_accessible(page)
    page.get_by_label("Comment (optional)").fill("We need it by April.")
    page.get_by_role("button", name="We need this too").click()
    banner(page, "Your organisation needs this too")
    expect(panel_of(page)).to_contain_text("said it needs this too: “We need it by April.”")
    assert site.api("GET", f"/api/v1/projects/{project['id']}/needs")[0]["comment"] == "We need it by April."


def make_pledge(page: Page, money: str, days: str, kinds: list[str]) -> None:
    page.get_by_label("Money").fill(money)
    page.get_by_label("Staff time").fill(days)
    for kind in kinds:
        page.get_by_label(kind, exact=True).check()


def test_a_pledge_made_amended_and_withdrawn(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    project = site.project(owner, title="Panel pledge project")
    other = site.person("BRE")
    sign_in(page, site, other)
    open_panel(page, site, project).get_by_role("link", name="Pledge money, staff time or skills").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pledge to this project")
    assert_accessible(page)
    make_pledge(page, "1,500", "7.5", ["User research", "Testing"])
    page.get_by_label("Message to the team (optional)").fill("Glad to help.")
    page.get_by_role("button", name="Make the pledge").click()

    banner(page, "Your organisation's pledge is made.")
    panel = panel_of(page)
    expect(panel).to_contain_text("£1,500")
    expect(panel).to_contain_text("7.5 days")
    expect(panel).to_contain_text("Testing, User research")
    [pledge] = pledges_of(site, project)
    assert (pledge["money"], pledge["days"], pledge["contributions"]) == (
        "1500.00",
        "7.50",
        ["testing", "user_research"],
    )

    panel.get_by_role("link", name="Amend the pledge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amend your organisation’s pledge")
    expect(page.get_by_label("Money")).to_have_value("1500")
    expect(page.get_by_label("Testing", exact=True)).to_be_checked()
    page.get_by_label("Money").fill("2000")
    page.get_by_label("Testing", exact=True).uncheck()
    page.get_by_label("Hosting", exact=True).check()
    page.get_by_role("button", name="Amend the pledge").click()
    banner(page, "Your organisation's pledge is amended.")
    expect(panel_of(page)).to_contain_text("£2,000")
    expect(panel_of(page)).to_contain_text("Hosting, User research")
    [pledge] = pledges_of(site, project)
    assert (pledge["money"], pledge["contributions"]) == ("2000.00", ["hosting", "user_research"])

    panel_of(page).get_by_role("link", name="Withdraw the pledge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Are you sure you want to withdraw your organisation’s pledge?"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Withdraw the pledge").click()
    banner(page, "Your organisation's pledge is withdrawn.")
    expect(panel_of(page)).to_contain_text("Your organisation has not pledged to this project.")
    assert pledges_of(site, project) == []


def test_a_bad_pledge_shows_the_apis_problems_and_stores_nothing(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    project = site.project(owner, title="Panel bad pledge project")
    other = site.person("BRE")
    sign_in(page, site, other)
    page.goto(f"{site.base}/projects/{project['id']}/pledge")
    make_pledge(page, "12.345", "lots", ["Code review"])
    page.get_by_role("button", name="Make the pledge").click()

    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name="The money must be a number, like 2500 or 2500.50")).to_be_visible()
    expect(summary.get_by_role("link", name="The staff time must be a number, like 2500 or 2500.50")).to_be_visible()
    expect(page.locator("#money-error")).to_contain_text("Error:")
    expect(page.get_by_label("Money")).to_have_value("12.345")
    expect(page.get_by_label("Code review", exact=True)).to_be_checked()
    assert_accessible(page)
    summary.get_by_role("link", name=re.compile("^The money must")).click()
    expect(page.get_by_label("Money")).to_be_focused()

    page.get_by_label("Money").fill("")
    page.get_by_label("Staff time").fill("")
    page.get_by_label("Code review", exact=True).uncheck()
    page.get_by_role("button", name="Make the pledge").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "A pledge needs money, staff time or at least one named contribution."
    )
    assert_accessible(page)
    assert pledges_of(site, project) == []


def test_signed_out_the_panel_offers_sign_in_and_shows_updates(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    project = site.project(owner, title="Panel signed out project")
    site.api("POST", f"/api/v1/projects/{project['id']}/status-updates", {"body": "Beta is live."}, owner)
    panel = open_panel(page, site, project)
    expect(panel.get_by_role("link", name="Sign in")).to_have_attribute(
        "href", f"/sign-in?next=/projects/{project['id']}/take-part"
    )
    expect(panel.get_by_role("list", name="Status updates")).to_contain_text("Beta is live.")
    expect(panel.get_by_role("button")).to_have_count(0)
    assert_accessible(page)


def test_a_pledge_with_javascript_off(no_js_page: Page, site: Site) -> None:
    page = no_js_page
    owner = site.person("KHL")
    project = site.project(owner, title="Panel no-JS pledge project")
    other: Person = site.person("MAN")
    sign_in(page, site, other)
    open_panel(page, site, project).get_by_role("button", name="Follow this project").click()
    expect(panel_of(page).get_by_role("button", name="Stop following")).to_be_visible()
    panel_of(page).get_by_role("link", name="Pledge money, staff time or skills").click()
    make_pledge(page, "250", "", ["Accessibility audit"])
    page.get_by_role("button", name="Make the pledge").click()
    banner(page, "Your organisation's pledge is made.")
    expect(panel_of(page)).to_contain_text("Accessibility audit")
    [pledge] = pledges_of(site, project)
    assert (pledge["money"], pledge["days"], pledge["contributions"]) == ("250.00", "0.00", ["accessibility_audit"])
