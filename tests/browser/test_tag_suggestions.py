"""Tags suggested as they are typed on the project form (propose and edit): the tags already in
use are offered for the one being typed after the last comma, the ones before it are kept;
without JavaScript the field is the plain comma-separated text field it always was."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.site import Site, assert_accessible, sign_in


def settled(site: Site, written: dict[str, Any]) -> None:
    site.api("GET", f"/api/v1/projects/{written['id']}?min_position={written['event_position']}")


def tags_in_use(site: Site) -> tuple[str, str]:
    """Two new tags, on another council's project, so the form has them to suggest."""
    word = uuid.uuid4().hex[:6]
    waste, parking = f"wastecollect{word}", f"parkingpermit{word}"
    settled(site, site.project(site.person("BRE"), title=f"Tagged elsewhere {word}", tags=[waste, parking]))
    return waste, parking


def test_an_officer_proposes_and_edits_a_project_choosing_suggested_tags(page: Page, site: Site) -> None:
    waste, parking = tags_in_use(site)
    owner = site.person("KHL")
    sign_in(page, site, owner)
    page.goto(site.base + "/projects/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Propose a project")

    # Typing after a comma: only the last tag is completed, and the one before is kept.
    tags = page.get_by_label("Tags")
    tags.fill("roads, " + waste[:-2])
    suggestion = page.get_by_role("option", name=waste, exact=True)
    expect(suggestion).to_be_visible()
    expect(page.get_by_role("option", name=parking)).to_have_count(0)
    assert_accessible(page)
    suggestion.click()
    expect(tags).to_have_value(f"roads, {waste}")

    # A refusal (no title) keeps the tags as typed, and the field still suggests.
    page.get_by_role("button", name="Propose the project").click()
    expect(page).to_have_title(re.compile("^Error: Propose a project"))
    expect(page.get_by_role("alert").get_by_role("link", name="Enter a title")).to_be_visible()
    expect(page.get_by_label("Tags")).to_have_value(f"roads, {waste}")
    assert_accessible(page)

    title = f"Kerbside collection booking {uuid.uuid4().hex[:6]}"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Summary").fill("Book a bulky waste collection.")
    page.get_by_role("button", name="Propose the project").click()
    expect(page.get_by_text("Your project has been proposed.")).to_be_visible()
    details = page.locator(".govuk-summary-list").first
    expect(details.get_by_role("link", name=waste)).to_have_attribute("href", f"/projects?tag={waste}")
    expect(details.get_by_role("link", name="roads")).to_be_visible()

    # Editing: the tags held are in the field; a tag already chosen is not offered again.
    page.get_by_role("link", name="Edit the project").first.click()
    tags = page.get_by_label("Tags")
    expect(tags).to_have_value(f"roads, {waste}")
    # (all of the tag but its last letters: the site is shared with other stories, whose tags
    # may also contain "parkin", and only the first ten matches are offered)
    tags.fill(f"roads, {waste}, {parking[:-2]}")
    expect(page.get_by_role("option", name=parking, exact=True)).to_be_visible()
    expect(page.get_by_role("option", name=waste, exact=True)).to_have_count(0)
    assert_accessible(page)
    page.keyboard.press("ArrowDown")  # to the suggestion, and choose it
    page.keyboard.press("Enter")
    expect(tags).to_have_value(f"roads, {waste}, {parking}")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("The project has been updated.")).to_be_visible()
    expect(page.locator(".govuk-summary-list").first.get_by_role("link", name=parking)).to_be_visible()


def test_the_project_forms_tags_are_a_plain_field_without_javascript(no_js_page: Page, site: Site) -> None:
    waste, parking = tags_in_use(site)
    owner = site.person("KHL")
    sign_in(no_js_page, site, owner)
    no_js_page.goto(site.base + "/projects/new")
    no_js_page.get_by_label("Title").fill(f"Bin day finder {uuid.uuid4().hex[:6]}")
    no_js_page.get_by_label("Summary").fill("Find your bin day.")
    no_js_page.get_by_label("Tags").fill(f"{waste}, {parking}")
    expect(no_js_page.locator(".autocomplete__wrapper")).to_have_count(0)  # the plain field, as sent
    expect(no_js_page.locator("input#tags")).to_have_attribute("type", "text")
    no_js_page.get_by_role("button", name="Propose the project").click()
    expect(no_js_page.get_by_text("Your project has been proposed.")).to_be_visible()
    details = no_js_page.locator(".govuk-summary-list").first
    expect(details.get_by_role("link", name=waste)).to_be_visible()
    expect(details.get_by_role("link", name=parking)).to_be_visible()
    # axe runs in the tabs with JavaScript: the same form is checked in the story above.


def test_tags_that_start_with_what_is_typed_are_offered_first(page: Page, site: Site) -> None:
    word = uuid.uuid4().hex[:6]
    inside, starting = f"shared{word}", f"{word}bookings"
    for n in range(2):  # the tag that only contains the word is the more used, so listed first
        site.project(site.person("BRE"), title=f"Inside {word} {n}", tags=[inside])
    settled(site, site.project(site.person("BRE"), title=f"Starting {word}", tags=[starting]))
    sign_in(page, site, site.person("KHL"))
    page.goto(site.base + "/projects/new")
    page.get_by_label("Tags").fill(word)
    options = page.get_by_role("listbox").get_by_role("option")  # not the select boxes' options
    expect(options).to_have_count(2)
    expect(options.first).to_have_text(starting)
    expect(options.nth(1)).to_have_text(inside)
