"""The whole story through the pages, as two council officers would live it, on the
embedded default: sign up in two councils, verify by the emailed link, propose, find it from
the other council, follow, pledge, ask to contribute and be approved, the goal met at its
deadline, a status update, and erasure. Then the main journey again with JavaScript off."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, Page, expect

from domain.local_time import in_london
from tests.browser.site import Site, assert_accessible
from tests.factories import PASSWORD, council_email

HULL, BRECKLAND = ("KHL", "Hull City Council"), ("BRE", "Breckland District Council")


def sign_up(page: Page, site: Site, name: str, council: tuple[str, str], script: bool = True) -> str:
    """Sign up through the page (the autocomplete with JavaScript, the select without), then
    verify by following the link in the email; answers the address."""
    address = council_email(council[0])
    page.goto(site.base + "/sign-up")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email address").fill(address)
    if script:
        box = page.get_by_role("combobox", name="Organisation")
        box.fill(council[1][:8])
        page.get_by_role("option", name=council[1]).click()
    else:
        page.get_by_label("Organisation", exact=True).select_option(label=council[1])
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("email")
    page.goto(site.link_sent_to(address, "/verify-email?token="))
    page.get_by_role("button", name="Verify my email address").click()
    expect(page.get_by_text("verified", exact=False).first).to_be_visible()
    return address


def sign_in(page: Page, site: Site, address: str) -> None:
    page.goto(site.base + "/sign-in")
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()


def propose(page: Page, site: Site, title: str) -> str:
    page.goto(site.base + "/projects/new")
    page.locator("#title").fill(title)
    page.locator("#summary").fill("One booking service for bulky waste collections, shared by councils.")
    page.get_by_role("button", name="Propose the project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return page.url.split("/projects/", 1)[1].split("?")[0]


def find(page: Page, site: Site, words: str, title: str) -> None:
    page.goto(site.base + "/projects")
    page.locator("#q").fill(words)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_two_councils_take_a_project_from_proposal_to_its_goal_met(browser: Browser, site: Site) -> None:
    hull_ctx, breck_ctx = browser.new_context(), browser.new_context()
    hull, breck = hull_ctx.new_page(), breck_ctx.new_page()
    try:
        tag = uuid.uuid4().hex[:8]
        hull_address = sign_up(hull, site, "Harriet Hull", HULL)
        breck_address = sign_up(breck, site, "Bram Breckland", BRECKLAND)
        sign_in(hull, site, hull_address)
        sign_in(breck, site, breck_address)

        title = f"Bulky waste booking {tag}"
        project_id = propose(hull, site, title)
        deadline = in_london(datetime.now(UTC) + timedelta(seconds=40))
        hull.goto(f"{site.base}/projects/{project_id}/goal")
        hull.get_by_label("Partner organisations").fill("1")
        day = hull.get_by_role("group", name="Deadline")
        for part, value in (("Day", deadline.day), ("Month", deadline.month), ("Year", deadline.year)):
            day.get_by_label(part).fill(str(value))
        hull.get_by_label("Time of the deadline (optional)").fill(f"{deadline:%H:%M:%S}")
        hull.get_by_role("button", name="Save the goal").click()
        expect(hull.get_by_text("Goal open")).to_be_visible()

        find(breck, site, f"bulky {tag}", title)
        breck.get_by_role("button", name="Follow this project").click()
        expect(breck.get_by_role("button", name="Stop following")).to_be_visible()
        breck.get_by_role("link", name="Pledge money, staff time or skills").click()
        breck.get_by_label("Money").fill("2500")
        breck.get_by_label("Staff time").fill("10")
        breck.get_by_role("button", name="Pledge").click()
        expect(breck.get_by_role("link", name="Amend the pledge")).to_be_visible()
        breck.get_by_role("link", name="Ask to contribute to this project").click()
        breck.get_by_label("Message to the team (optional)").fill("We built the same for our district.")
        breck.get_by_role("button", name="Send the request").click()

        hull.goto(site.link_sent_to(hull_address, f"/projects/{project_id}/contribution-requests/"))
        hull.get_by_role("button", name="Approve the request").click()
        hull.goto(f"{site.base}/projects/{project_id}")
        expect(hull.get_by_role("main")).to_contain_text("Bram Breckland")  # now on the team
        hull.get_by_role("link", name="Post a status update").click()
        hull.get_by_label("Update").fill("Breckland joined: alpha starts in January.")
        hull.get_by_role("button", name="Post the update").click()
        expect(hull.get_by_text("Breckland joined: alpha starts in January.")).to_be_visible()
        assert_accessible(hull)

        for _ in range(90):  # the embedded ticker decides the goal once its deadline passes
            breck.goto(f"{site.base}/projects/{project_id}")
            if breck.get_by_text("Goal met").count():
                break
            breck.wait_for_timeout(1000)
        expect(breck.get_by_text("Goal met").first).to_be_visible()

        breck.goto(site.base + "/account/erase")
        breck.get_by_label("Your password").fill(PASSWORD)
        breck.get_by_role("button", name="Erase my account").click()
        expect(breck.get_by_role("link", name="Sign in")).to_be_visible()
        hull.goto(f"{site.base}/projects/{project_id}")
        expect(hull.get_by_role("main")).not_to_contain_text("Bram Breckland")
        breck.goto(site.base + "/sign-in")
        breck.get_by_label("Email address").fill(breck_address)
        breck.get_by_label("Password").fill(PASSWORD)
        breck.get_by_role("button", name="Sign in").click()
        expect(breck.locator(".govuk-error-summary")).to_be_visible()
    finally:
        hull_ctx.close()
        breck_ctx.close()


def test_the_main_journey_works_without_javascript(browser: Browser, site: Site) -> None:
    owner = site.person("MAN")
    other_title = f"Pothole reporting {uuid.uuid4().hex[:8]}"
    other = site.project(owner, title=other_title)
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    try:
        address = sign_up(page, site, "Nia No-Script", HULL, script=False)
        sign_in(page, site, address)
        title = f"Library card renewals {uuid.uuid4().hex[:8]}"
        propose(page, site, title)
        find(page, site, other_title.split()[-1], other_title)
        page.get_by_role("button", name="Follow this project").click()
        expect(page.get_by_role("button", name="Stop following")).to_be_visible()
        page.get_by_role("link", name="Pledge money, staff time or skills").click()
        page.get_by_label("Staff time").fill("5")
        page.get_by_role("button", name="Pledge").click()
        expect(page.get_by_role("link", name="Amend the pledge")).to_be_visible()
        pledges = site.api("GET", f"/api/v1/projects/{other['id']}/pledges")
        assert [p["days"] for p in pledges] == ["5.00"]
    finally:
        ctx.close()


def focus_by_tab(page: Page, name: str, limit: int = 60) -> None:
    """Press Tab until the focused element's accessible name (label, text) contains ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; if (!e || e === document.body) return '';"
            " return (e.labels && e.labels[0] ? e.labels[0].innerText : e.innerText || e.value || '').trim() }"
        )
        if name in focused:
            return
    raise AssertionError(f"Tab never reached {name!r} on {page.url}")


def enter(page: Page) -> None:
    """Press Enter on the focused link or button, and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_keyboard_alone_signs_in_finds_and_follows_a_project(page: Page, site: Site) -> None:
    reader, owner = site.person("BRE"), site.person("KHL")
    title = f"Keyboard parking permits {uuid.uuid4().hex[:8]}"
    site.project(owner, title=title)
    page.goto(site.base + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.innerText").strip() == "Skip to main content"
    focus_by_tab(page, "Sign in")
    enter(page)
    focus_by_tab(page, "Email address")
    page.keyboard.type(reader.email)
    focus_by_tab(page, "Password")
    page.keyboard.type(reader.password)
    enter(page)
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()
    focus_by_tab(page, "Find projects")
    enter(page)
    focus_by_tab(page, "Search words")
    page.keyboard.type(title.split()[-1])
    enter(page)
    focus_by_tab(page, title)
    enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    focus_by_tab(page, "Follow this project")
    enter(page)
    expect(page.get_by_role("button", name="Stop following")).to_be_visible()
