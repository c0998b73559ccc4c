"""The project page: what it shows, the Markdown description made safe, and its history."""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.site import Site, assert_accessible, sign_in


def settled(site: Site, project_id: str, written: dict[str, Any]) -> None:
    """Wait until the read models show a write made through the API (not through this browser)."""
    position = written["event_position"]
    site.api("GET", f"/api/v1/projects/{project_id}?min_position={position}")
    site.api("GET", f"/api/v1/projects/{project_id}/pledges?min_position={position}")


def test_the_project_page_shows_the_project_its_goal_pledges_and_interest(page: Page, site: Site) -> None:
    owner, partner = site.person("KHL", name="Olive Owner"), site.person("BRE")
    title = f"Garden waste subscriptions {uuid.uuid4().hex[:6]}"
    project = site.project(
        owner,
        title=title,
        summary="One subscription service for garden waste.",
        description="## Why\n\nEvery council builds **the same form**.",
        tags=["waste", "payments"],
        phase="discovery",
        phase_start="2026-10-01",
        phase_end="2027-01-31",
        department="Environment",
        budget_band="50k-100k",
        collaboration_level="share_funding",
        key_contact_id=owner.id,
    )
    pid = project["id"]
    site.api("PUT", f"/api/v1/projects/{pid}/goal", {"money": "1000", "deadline": "2027-06-30"}, owner)
    site.api("POST", f"/api/v1/projects/{pid}/follow", None, partner)
    site.api("POST", f"/api/v1/projects/{pid}/needs", {}, partner)
    written = site.api("PUT", f"/api/v1/projects/{pid}/pledges/mine", {"money": "250", "days": "3"}, partner)
    settled(site, pid, written)
    partner_name = site.api("GET", "/api/v1/me", person=partner)["organisation"]["name"]

    page.goto(site.base + f"/projects/{pid}")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("One subscription service for garden waste.")).to_be_visible()
    expect(page.get_by_role("heading", name="Why", level=2)).to_be_visible()  # the Markdown, rendered
    expect(page.locator(".pipeline-project-description strong")).to_have_text("the same form")
    details = page.locator(".govuk-summary-list").first
    owner_name = site.api("GET", "/api/v1/me", person=owner)["organisation"]["name"]
    expect(details.get_by_role("link", name=owner_name)).to_have_attribute("href", "/organisations/KHL")
    expect(details).to_contain_text("Discovery")
    expect(details).to_contain_text("1 October 2026 to 31 January 2027")
    expect(details).to_contain_text("Environment")
    expect(details).to_contain_text("£50,000 to £100,000")
    expect(details).to_contain_text("Share funding")
    expect(details).to_contain_text("Olive Owner")  # the key contact
    expect(details).to_contain_text("waste, payments")
    expect(page.get_by_text("25% of the goal reached")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "25")
    expect(page.get_by_text("£250 of £1,000 (25%)")).to_be_visible()
    pledges = page.get_by_role("table")
    expect(pledges.get_by_role("rowheader", name=partner_name)).to_be_visible()
    expect(pledges).to_contain_text("3 days")
    expect(page.get_by_text("1 following")).to_be_visible()
    expect(page.get_by_text("1 organisation says “we need this too”")).to_be_visible()
    team = page.get_by_role("heading", name="Team").locator("xpath=following-sibling::ul[1]")
    expect(team).to_contain_text("Olive Owner")
    # Not signed in: no management links.
    expect(page.get_by_role("link", name="Edit the project")).to_have_count(0)
    assert_accessible(page)


def test_a_description_cannot_run_script_or_javascript_links(page: Page, site: Site) -> None:
    owner = site.person("MAN")
    nasty = (
        "Hello <script>window.pwned = 1</script> there.\n\n"
        '[click me](javascript:window.pwned=2) <img src=x onerror="window.pwned=3"> '
        '<a href="javascript:window.pwned=4">raw link</a>'
    )
    project = site.project(owner, description=nasty)
    settled(site, project["id"], project)
    page.goto(site.base + f"/projects/{project['id']}")
    description = page.locator(".pipeline-project-description")
    expect(description).to_contain_text("Hello")
    expect(description.locator("script")).to_have_count(0)
    expect(description.locator("[onerror]")).to_have_count(0)
    for anchor in description.locator("a").all():
        assert not (anchor.get_attribute("href") or "").strip().lower().startswith("javascript:")
    for name in ("click me", "raw link"):
        links = description.get_by_role("link", name=name)
        if links.count():
            links.first.click()
    assert page.evaluate("() => window.pwned") is None


def test_an_unknown_project_is_page_not_found(page: Page, site: Site) -> None:
    response = page.goto(site.base + f"/projects/{uuid.uuid4()}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")


def test_the_history_shows_each_change_who_made_it_and_when(page: Page, site: Site) -> None:
    owner = site.person("KHL", name="Harriet History")
    project = site.project(owner, title="History before")
    pid = project["id"]
    site.api("PATCH", f"/api/v1/projects/{pid}", {"title": "History after", "tags": ["archives"]}, owner)
    written = site.api("POST", f"/api/v1/projects/{pid}/phase", {"phase": "beta"}, owner)
    settled(site, pid, written)

    page.goto(site.base + f"/projects/{pid}")
    page.get_by_role("link", name="History", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("History of History after")
    expect(page.get_by_role("link", name="History", exact=True)).to_have_attribute("aria-current", "page")
    edited = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Edited"))
    expect(edited).to_contain_text("Harriet History")
    expect(edited.get_by_role("heading", name="Title")).to_be_visible()  # text reads as a word-level diff
    expect(edited.get_by_role("deletion")).to_contain_text("before")
    expect(edited.get_by_role("insertion")).to_contain_text("after")
    expect(edited.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Tags"))).to_contain_text("archives")
    expect(page.get_by_role("heading", name="Phase changed")).to_be_visible()
    expect(page.get_by_role("heading", name="Proposed")).to_be_visible()
    assert_accessible(page)


def test_a_member_sees_the_links_to_manage_the_project(page: Page, site: Site) -> None:
    owner = site.person("BRE")
    project = site.project(owner, title=f"Managed {uuid.uuid4().hex[:6]}")
    settled(site, project["id"], project)
    sign_in(page, site, owner)
    page.goto(site.base + f"/projects/{project['id']}")
    for name in ("Edit the project", "Change the phase", "Set a goal", "Archive the project"):
        expect(page.get_by_role("link", name=name)).to_be_visible()


def test_the_second_guard_removes_script_handlers_and_javascript_links() -> None:
    from web.pages.projects import described

    nasty = '<p>Hi</p><script>x()</script><a href="javascript:x()">a</a><img src="i.png" onerror="x()">'
    cleaned = str(described(nasty))
    assert "<p>Hi</p>" in cleaned
    assert "<script" not in cleaned and "javascript:" not in cleaned and "onerror" not in cleaned
