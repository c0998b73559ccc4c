"""Status updates: the owner posts two (newest first), corrects one and retracts the other;
an empty one shows the API's problem; others see the updates but no correct/retract links."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.site import Site, assert_accessible, sign_in
from tests.browser.test_participation_pledges import banner, open_panel, panel_of
from tests.browser.test_participation_requests import switch_to


def updates_in(page: Page) -> Locator:
    return panel_of(page).get_by_role("list", name="Status updates").get_by_role("listitem")


def post(page: Page, site: Site, project: dict[str, Any], text: str) -> None:
    open_panel(page, site, project).get_by_role("link", name="Post a status update").click()
    page.get_by_label("Update").fill(text)
    page.get_by_role("button", name="Post the update").click()
    banner(page, "Your status update is posted.")


def test_the_owner_posts_corrects_and_retracts_updates_newest_first(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    project = site.project(owner, title="Panel status updates project")
    sign_in(page, site, owner)

    open_panel(page, site, project).get_by_role("link", name="Post a status update").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Post a status update")
    assert_accessible(page)
    page.get_by_role("button", name="Post the update").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.locator("#body-error")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Update").fill("Discovery interviews booked.")
    page.get_by_role("button", name="Post the update").click()
    banner(page, "Your status update is posted.")
    post(page, site, project, "Alpha starts in March.")

    items = updates_in(page)
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("Alpha starts in March.")
    expect(items.nth(1)).to_contain_text("Discovery interviews booked.")
    expect(items.nth(1)).not_to_contain_text("(corrected")

    items.nth(1).get_by_role("link", name=re.compile("^Correct")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Correct a status update")
    expect(page.get_by_label("Update")).to_have_value("Discovery interviews booked.")
    assert_accessible(page)
    page.get_by_label("Update").fill("Discovery interviews booked for January.")
    page.get_by_role("button", name="Save the correction").click()
    banner(page, "The status update is corrected.")
    expect(updates_in(page).nth(1)).to_contain_text("Discovery interviews booked for January.")
    expect(updates_in(page).nth(1)).to_contain_text("(corrected")

    updates_in(page).nth(0).get_by_role("link", name=re.compile("^Retract")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure you want to retract this status update?")
    assert_accessible(page)
    page.get_by_role("button", name="Retract the update").click()
    banner(page, "The status update is retracted.")
    expect(updates_in(page)).to_have_count(1)
    expect(panel_of(page)).not_to_contain_text("Alpha starts in March.")

    stored = site.api("GET", f"/api/v1/projects/{project['id']}/status-updates")["items"]
    assert [(u["body"], u["revisions"]) for u in stored] == [("Discovery interviews booked for January.", 2)]

    reader = site.person("BRE")
    switch_to(page, site, reader)
    open_panel(page, site, project)
    expect(updates_in(page)).to_have_count(1)
    expect(panel_of(page).get_by_role("link", name=re.compile("^(Correct|Retract)"))).to_have_count(0)
    expect(panel_of(page).get_by_role("link", name="Post a status update")).to_have_count(0)

    page.goto(f"{site.base}/projects/{project['id']}/status-updates/new")  # the emailed link, forwarded
    page.get_by_label("Update").fill("Not mine to post.")
    page.get_by_role("button", name="Post the update").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this")
    assert len(site.api("GET", f"/api/v1/projects/{project['id']}/status-updates")["items"]) == 1


def test_the_emailed_post_an_update_link_asks_to_sign_in_first(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    project = site.project(owner, title="Panel update link project")
    page.goto(f"{site.base}/projects/{project['id']}/status-updates/new")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/projects/.+/status-updates/new$"))
