"""People and organisations, as an officer would go through them: the organisations directory
(searched without JavaScript too), an organisation's page and its people's pages, choosing what
your own page shows, an organisation filter that names nothing, and an admin who edits the
details, cannot leave the organisation without an admin, hands the role over, and whose
successor's erasure hands it back. axe on every page and error state."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.site import Person, Site, assert_accessible, sign_in
from tests.factories import PASSWORD


def _organisation(site: Site) -> tuple[Person, Person, dict[str, str]]:
    """A new supplier with its creator (its admin) and an approved second member."""
    name = f"Civic Tools Co-op {uuid.uuid4().hex[:6]}"
    admin = Person(f"Ada {uuid.uuid4().hex[:4]}", f"{uuid.uuid4().hex[:12]}@civic-{uuid.uuid4().hex[:6]}.example", "")
    member = Person(f"Ben {uuid.uuid4().hex[:4]}", f"{uuid.uuid4().hex[:12]}@elsewhere.example.org", "")
    body = {"name": admin.name, "email": admin.email, "password": PASSWORD}
    admin.id = site.api("POST", "/api/v1/people", {**body, "organisation_name": name, "organisation_kind": "supplier"})[
        "id"
    ]
    org = site.api("GET", "/api/v1/people/" + admin.id)["organisation"]
    member.id = site.api(
        "POST",
        "/api/v1/people",
        {"name": member.name, "email": member.email, "password": PASSWORD, "organisation_id": org["id"]},
    )["id"]
    for someone in (admin, member):
        token = site.link_sent_to(someone.email, "/verify-email?token=").split("token=", 1)[1]
        site.api("POST", "/api/v1/email-verifications", {"token": token})
        someone.token = site.api("POST", "/api/v1/sessions", {"email": someone.email, "password": PASSWORD})["token"]
    site.api("POST", f"/api/v1/organisations/{org['id']}/pending-members/{member.id}/approve", person=admin)
    return admin, member, org


def test_an_officer_finds_an_organisation_its_people_and_chooses_what_their_page_shows(page: Page, site: Site) -> None:
    admin, member, org = _organisation(site)
    title = f"Shared street works map {uuid.uuid4().hex[:6]}"
    project = site.project(admin, title=title, phase="alpha")
    site.api("POST", f"/api/v1/projects/{project['id']}/follow", person=member)
    sign_in(page, site, member)

    page.get_by_role("link", name="Organisations").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations")
    assert_accessible(page)
    page.get_by_label("Name", exact=True).fill(org["name"])
    page.get_by_label("Kind", exact=True).select_option("supplier")
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row").filter(has_text=org["name"])
    expect(row.get_by_role("cell").nth(2)).to_have_text("2")  # people
    expect(row.get_by_role("cell").nth(3)).to_have_text("1")  # projects
    row.get_by_role("link", name=org["name"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(org["name"])
    page.get_by_role("link", name=member.name, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(member.name)
    expect(page.get_by_role("heading", name="Following")).to_have_count(0)  # follows are shown only by choice
    assert_accessible(page)

    page.get_by_role("link", name="Choose what it shows").click()
    assert_accessible(page)
    page.get_by_label("Following").check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_text("Your page now shows what you chose.")).to_be_visible()
    expect(page.locator("#follows").get_by_role("link", name=title)).to_be_visible()
    page.goto(f"{site.base}/people/{admin.id}")
    expect(page.locator("#projects")).to_contain_text("Proposed it")
    assert_accessible(page)

    page.goto(site.base + "/projects?organisation=Atlantis")
    expect(page.get_by_role("alert")).to_contain_text("No organisation called 'Atlantis'.")
    assert_accessible(page)
    page.goto(site.base + "/projects?organisation=" + org["name"].lower().replace(" ", "+"))
    expect(page.get_by_role("link", name=title)).to_be_visible()
    page.goto(site.base + "/organisations?region=Atlantis")
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)


def test_an_admin_edits_details_keeps_an_admin_and_hands_over(page: Page, site: Site) -> None:
    admin, member, org = _organisation(site)
    here = f"{site.base}/organisations/{org['id']}"
    sign_in(page, site, admin)
    page.goto(here)
    page.get_by_role("link", name=re.compile("^Change .*details$")).click()
    assert_accessible(page)
    page.get_by_label("Website (optional)").fill("not a web address")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Website (optional)").fill("https://civic-tools.example")
    page.get_by_label("Description (optional)").fill("We build tools for councils.")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("We build tools for councils.")).to_be_visible()

    page.get_by_role("link", name=re.compile("^Stop being admin")).click()
    assert_accessible(page)
    page.get_by_role("button", name="Stop being an admin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this")
    expect(page.get_by_text(re.compile("needs an admin"))).to_be_visible()
    assert_accessible(page)

    page.goto(here)
    page.get_by_role("link", name="Hand over your admin role").click()
    assert_accessible(page)
    page.get_by_role("button", name="Hand over").click()
    expect(page.get_by_role("alert")).to_be_visible()  # nobody chosen
    assert_accessible(page)
    page.get_by_label(member.name).check()
    page.get_by_role("button", name="Hand over").click()
    expect(page.get_by_text(f"{member.name} is now an admin of {org['name']}, and you are not.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Manage"))).to_have_count(0)

    site.api("DELETE", "/api/v1/me", {"password": PASSWORD}, member)  # the new admin leaves Pipeline
    response = page.goto(f"{site.base}/people/{member.id}")
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Former member")
    assert_accessible(page)
    assert site.api("GET", f"/api/v1/people/{admin.id}")["is_admin"]  # the role came back to the one left


def test_the_directory_search_works_without_javascript(no_js_page: Page, site: Site) -> None:
    page = no_js_page
    page.goto(site.base + "/organisations")
    page.get_by_label("Name", exact=True).fill("cardiff")
    page.get_by_label("Nation", exact=True).select_option("Wales")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/organisations\?q=cardiff&kind=&nation=Wales"))
    expect(page.get_by_role("link", name="Cardiff Council")).to_be_visible()  # axe: in the tab with JavaScript
