"""Asking to contribute, and the team's answer: approved from the panel, declined from the
emailed link; someone not on the team sees the API's refusal as a page and nothing is stored."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.site import Person, Site, assert_accessible, sign_in
from tests.browser.test_participation_pledges import banner, open_panel, panel_of


def switch_to(page: Page, site: Site, person: Person) -> None:
    page.context.clear_cookies()
    sign_in(page, site, person)


def requests_of(site: Site, project: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = site.api("GET", f"/api/v1/projects/{project['id']}/contribution-requests")
    return {r["person_id"]: r for r in found}


def test_asked_to_contribute_then_approved_and_another_declined(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    project = site.project(owner, title="Panel requests project")
    asker = site.person("BRE")
    other = site.person("MAN")
    pending = site.api("POST", f"/api/v1/projects/{project['id']}/contribution-requests", {"message": "Spare?"}, other)

    sign_in(page, site, asker)
    open_panel(page, site, project).get_by_role("link", name="Ask to contribute to this project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask to contribute")
    assert_accessible(page)
    page.get_by_label("Message to the team (optional)").fill("We can do user research.")
    page.get_by_role("button", name="Send the request").click()
    banner(page, "Your request to contribute is sent")
    expect(panel_of(page)).to_contain_text("waiting for the team")
    expect(panel_of(page).get_by_role("link", name="Ask to contribute to this project")).to_have_count(0)

    switch_to(page, site, owner)
    panel = open_panel(page, site, project)
    expect(panel.get_by_role("heading", name="Requests to contribute")).to_be_visible()
    panel.get_by_role("link", name=f"Answer {asker.name}’s request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request to contribute from {asker.name}")
    expect(page.get_by_text("We can do user research.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Approve the request").click()
    banner(page, "The request is approved")
    expect(panel_of(page).get_by_role("link", name=f"Answer {asker.name}’s request")).to_have_count(0)
    team = site.api("GET", f"/api/v1/projects/{project['id']}")["team"]
    assert asker.id in [member["person_id"] for member in team]
    assert requests_of(site, project)[asker.id]["decision"] == "approved"

    # The other request, from the link the team was emailed.
    start = f"/projects/{project['id']}/contribution-requests/{pending['id'][:8]}"
    link = site.link_sent_to(owner.email, start)
    assert link.endswith(f"/contribution-requests/{pending['id']}")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request to contribute from {other.name}")
    page.get_by_label("Reason (optional)").fill("x" * 2001)
    page.get_by_role("button", name="Decline the request").click()
    expect(page.get_by_role("alert")).to_contain_text("The reason must be 2000 characters or fewer")
    expect(page.locator("#reason-error")).to_be_visible()
    assert_accessible(page)
    assert requests_of(site, project)[other.id]["decision"] is None
    page.get_by_label("Reason (optional)").fill("The team is full for now.")
    page.get_by_role("button", name="Decline the request").click()
    banner(page, "The request is declined")
    declined = requests_of(site, project)[other.id]
    assert (declined["decision"], declined["reason"]) == ("declined", "The team is full for now.")
    page.goto(link)
    expect(page.get_by_text("Declined ")).to_be_visible()
    expect(page.get_by_role("button", name="Approve the request")).to_have_count(0)

    switch_to(page, site, asker)
    expect(open_panel(page, site, project)).to_contain_text("You are on this project’s team.")


def test_someone_not_on_the_team_cannot_answer_a_request(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    project = site.project(owner, title="Panel refused answer project")
    asker = site.person("BRE")
    outsider = site.person("MAN")
    asked = site.api("POST", f"/api/v1/projects/{project['id']}/contribution-requests", {"message": "Hi"}, asker)
    address = f"/projects/{project['id']}/contribution-requests/{asked['id']}"

    sign_in(page, site, outsider)
    open_panel(page, site, project)
    expect(panel_of(page).get_by_role("heading", name="Requests to contribute")).to_have_count(0)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    page.goto(site.base + address)
    expect(page.get_by_text("Only the project’s team")).to_be_visible()
    expect(page.get_by_role("button", name="Approve the request")).to_have_count(0)
    assert_accessible(page)

    # The outsider posts the team's form anyway (with their own valid CSRF token): the API refuses.
    page.evaluate(
        """([action, token]) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            const field = document.createElement("input");
            field.type = "hidden";
            field.name = "csrf_token";
            field.value = token;
            form.appendChild(field);
            document.body.appendChild(form);
            form.submit();
        }""",
        [address + "/approve", token],
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this")
    expect(page.get_by_text("Only the project's team")).to_be_visible()
    assert_accessible(page)
    assert requests_of(site, project)[asker.id]["decision"] is None
    team = site.api("GET", f"/api/v1/projects/{project['id']}")["team"]
    assert asker.id not in [member["person_id"] for member in team]


def test_the_team_asking_again_sees_the_apis_answer_in_the_form(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    project = site.project(owner, title="Panel ask twice project")
    sign_in(page, site, owner)
    expect(open_panel(page, site, project)).to_contain_text("You are on this project’s team.")
    page.goto(f"{site.base}/projects/{project['id']}/contribution-requests/new")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("alert")).to_contain_text("You are already on the team.")
    assert_accessible(page)
    assert requests_of(site, project) == {}
