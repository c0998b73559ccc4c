"""An operator's moderation, as a story through the pages: a long edit reads as a word-level
diff that wraps at 1280 px and is restored from its history; the project is locked (its
owner's edit refused) and unlocked; a status update hidden; a tag renamed and found under
its new name; the owner suspended (their sign-in refused) and reinstated. axe on each page
and on a form's error state."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, Page, expect

from tests import support
from tests.browser.site import Person, Site, assert_accessible, sign_in
from tests.browser.test_participation_pledges import banner

LONG_WORD = "https://example.org/" + "bulkywastecollectionbooking" * 12  # nowhere to break a line
BEFORE = " ".join(["Residents book a bulky waste collection by phone today."] * 12) + " " + LONG_WORD
AFTER = BEFORE.replace("by phone today", "online, from any council's site") + " Spam spam spam."


def operator(site: Site) -> Person:
    someone = site.person("LDS")
    support.run_cli("operators", "grant", someone.email, env=site.env, cwd=site.workdir)
    return someone


def no_horizontal_overflow(page: Page) -> None:
    widths = page.evaluate("() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways at {page.viewport_size}: {widths}"


def confirm_with_reason(page: Page, button: str, reason: str) -> None:
    """Every moderation form: refused without a reason (axe on the error), then done."""
    assert_accessible(page)
    page.get_by_role("button", name=button).click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator("#reason-error")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Reason").fill(reason)
    page.get_by_role("button", name=button).click()


def test_an_operator_restores_locks_hides_renames_and_suspends(page: Page, site: Site, browser: Browser) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    owner, moderator = site.person("KHL"), operator(site)
    tag = f"rubbish-{uuid.uuid4().hex[:6]}"
    project = site.project(owner, title="Moderated booking project", description=BEFORE, tags=[tag])
    url = f"{site.base}/projects/{project['id']}"
    site.api("PATCH", f"/api/v1/projects/{project['id']}", {"description": AFTER}, owner)
    update = site.api("POST", f"/api/v1/projects/{project['id']}/status-updates", {"body": "Buy pills"}, owner)
    sign_in(page, site, moderator)

    page.goto(f"{url}/history")
    expect(page.locator("ins.pipeline-diff__ins").first).to_contain_text("online, from any council's site")
    expect(page.locator("del.pipeline-diff__del").first).to_contain_text("by phone today")
    no_horizontal_overflow(page)
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(r"^Restore description from version \d+$")).first.click()
    banner(page, "The description has been restored from version")
    expect(page.get_by_role("heading", name=re.compile(r"^Restored description from version \d+$"))).to_be_visible()
    no_horizontal_overflow(page)

    page.goto(url)
    page.get_by_role("link", name=re.compile("^Lock this project")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure you want to lock this project?")
    confirm_with_reason(page, "Yes, lock the project", "Two councils claim it.")
    banner(page, "The project has been locked.")
    expect(page.get_by_text("An operator has locked this project")).to_contain_text("Two councils claim it.")
    assert_accessible(page)
    refused = site.api("PATCH", f"/api/v1/projects/{project['id']}", {"title": "Mine"}, owner, status=409)
    assert "locked this project" in refused["detail"]

    page.get_by_role("link", name=re.compile("^Hide")).first.click()
    expect(page.get_by_text("Buy pills")).to_be_visible()
    confirm_with_reason(page, "Yes, hide the update", "Advertising.")
    banner(page, "The status update has been hidden.")
    expect(page.get_by_text("Buy pills")).to_have_count(0)
    assert update["id"]

    page.get_by_role("link", name=re.compile("^Unlock this project")).click()
    confirm_with_reason(page, "Yes, unlock the project", "Settled between them.")
    banner(page, "The project has been unlocked.")
    page.goto(f"{url}/history")
    for heading in ("Locked by an operator", "Unlocked by an operator", "Status update hidden by an operator"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_text("Reason: Two councils claim it.")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Un-hide")).click()  # beside the hiding, in the history
    expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure you want to show this status update again?")
    confirm_with_reason(page, "Yes, show the update again", "Not advertising after all.")
    banner(page, "The status update shows again.")
    expect(page.get_by_text("Buy pills")).to_be_visible()

    page.goto(f"{site.base}/moderation/tags")
    assert_accessible(page)
    page.get_by_label("Tag to rename").fill(tag)
    page.get_by_label("New name").fill(tag.replace("rubbish", "waste"))
    confirm_with_reason(page, "Rename the tag", "One name for one thing.")
    banner(page, "is now")
    assert_accessible(page)
    page.goto(f"{site.base}/projects?tag={tag.replace('rubbish', 'waste')}")
    expect(page.get_by_role("link", name="Moderated booking project")).to_be_visible()

    page.goto(f"{site.base}/people/{owner.id}")  # the operator finds the form from the person's page
    page.get_by_role("link", name=re.compile("^Suspend ")).click()
    expect(page).to_have_url(re.compile(r"/suspend$"))  # arrived, before axe looks at it
    page.wait_for_load_state()
    confirm_with_reason(page, "Yes, suspend them", "Posted advertising.")
    banner(page, "has been suspended.")
    page.goto(f"{site.base}/people/{owner.id}")
    expect(page.locator("#suspended")).to_contain_text("because: Posted advertising.")  # the operator reads why
    assert_accessible(page)
    site.api("GET", "/api/v1/me", person=owner, status=401)
    site.api("POST", "/api/v1/sessions", {"email": owner.email, "password": owner.password}, status=403)
    theirs = browser.new_context()
    try:
        attempt = theirs.new_page()
        attempt.goto(f"{site.base}/sign-in")
        attempt.get_by_label("Email address").fill(owner.email)
        attempt.get_by_label("Password").fill(owner.password)
        attempt.get_by_role("button", name="Sign in").click()
        expect(attempt.get_by_text("An operator has suspended this account")).to_be_visible()
        assert_accessible(attempt)
    finally:
        theirs.close()
    page.goto(f"{site.base}/people/{owner.id}/reinstate")
    confirm_with_reason(page, "Yes, reinstate them", "Appeal upheld.")
    banner(page, "has been reinstated.")
    site.api("POST", "/api/v1/sessions", {"email": owner.email, "password": owner.password}, status=201)


def test_without_javascript_an_operator_locks_and_restores(no_js_page: Page, site: Site) -> None:
    page, owner, moderator = no_js_page, site.person("KHL"), operator(site)
    project = site.project(owner, title="Plain forms project", summary="First summary.")
    site.api("PATCH", f"/api/v1/projects/{project['id']}", {"summary": "Second summary."}, owner)
    url = f"{site.base}/projects/{project['id']}"
    sign_in(page, site, owner)
    response = page.goto(f"{url}/lock")
    assert response is not None and response.status == 403
    expect(page.get_by_text("Only an operator may do this.")).to_be_visible()
    page.context.clear_cookies()
    sign_in(page, site, moderator)
    page.goto(f"{url}/lock")
    page.get_by_label("Reason").fill("Checking a complaint.")
    page.get_by_role("button", name="Yes, lock the project").click()
    banner(page, "The project has been locked.")
    page.goto(f"{url}/unlock")
    page.get_by_label("Reason").fill("Complaint answered.")
    page.get_by_role("button", name="Yes, unlock the project").click()
    banner(page, "The project has been unlocked.")
    page.goto(f"{url}/history")
    page.get_by_role("button", name=re.compile(r"^Restore summary from version \d+$")).first.click()
    banner(page, "The summary has been restored from version")
    page.goto(url)
    expect(page.get_by_text("First summary.")).to_be_visible()
