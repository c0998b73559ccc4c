"""The organisation page (details, members by name, projects, pledges) and what its admins
do there: approve someone waiting, add and remove an email domain."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.site import Person, Site, assert_accessible, sign_in
from tests.factories import PASSWORD


def test_an_organisation_page_shows_its_members_and_projects(page: Page, site: Site) -> None:
    owner = site.person("MAN", name=f"Member {uuid.uuid4().hex[:6]}")
    title = f"Organisation page project {uuid.uuid4().hex[:6]}"
    project = site.project(owner, title=title)
    council = site.api("GET", "/api/v1/organisations/MAN")["name"]
    page.goto(site.base + "/organisations/MAN")
    expect(page.get_by_role("heading", level=1)).to_have_text(council)
    expect(page.get_by_role("link", name=title)).to_have_attribute("href", f"/projects/{project['id']}")
    expect(page.get_by_text(owner.name, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Manage"))).to_have_count(0)  # not signed in
    assert_accessible(page)


def test_an_unknown_organisation_is_not_found(page: Page, site: Site) -> None:
    response = page.goto(site.base + "/organisations/NO-SUCH-CODE")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")


def _verified(site: Site, email: str, body: dict[str, str]) -> Person:
    someone = Person(body["name"], email, "")
    someone.id = site.api("POST", "/api/v1/people", {**body, "email": email, "password": PASSWORD})["id"]
    token = site.link_sent_to(email, "/verify-email?token=").split("token=", 1)[1]
    site.api("POST", "/api/v1/email-verifications", {"token": token})
    return someone


def test_an_admin_approves_a_member_and_manages_email_domains(no_js_page: Page, site: Site) -> None:
    page = no_js_page
    name = f"Shared Services Association {uuid.uuid4().hex[:6]}"
    # The admin creates the organisation by signing up under a name not in the list.
    domain = f"assoc-{uuid.uuid4().hex[:8]}.org.uk"  # an admin may list their own address's domain
    admin_email = f"{uuid.uuid4().hex[:12]}@{domain}"
    page.goto(site.base + "/sign-up")
    page.get_by_label("Full name").fill("Association Admin")
    page.get_by_label("Email address").fill(admin_email)
    page.get_by_text("My organisation is not in the list").click()
    page.get_by_label("Name of your organisation").fill(name)
    page.get_by_label("Association").check()
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    page.goto(site.link_sent_to(admin_email, "/verify-email?token="))
    page.get_by_role("button", name="Verify my email address").click()
    expect(page.get_by_role("link", name=name)).to_be_visible()
    org = site.api("GET", "/api/v1/organisations?" + "q=" + name.replace(" ", "+"))["items"][0]
    assert org["name"] == name

    waiting = _verified(
        site,
        f"{uuid.uuid4().hex[:12]}@elsewhere.example.org",
        {"name": f"Waiting Officer {uuid.uuid4().hex[:6]}", "organisation_id": org["id"]},
    )
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=f"Manage {name}")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=waiting.name)
    row.get_by_role("button", name=f"Approve {waiting.name}").click()
    expect(page.get_by_text(f"{waiting.name} is now a member of {name}.")).to_be_visible()
    members = page.get_by_role("table", name="Members and their roles")
    expect(members.get_by_role("row").filter(has_text=waiting.name)).to_contain_text("Member")
    assert site.api("GET", f"/api/v1/people/{waiting.id}")["membership"] == "member"

    page.get_by_label("Add an email domain").fill("someone-elses-domain.org.uk")
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_role("alert")).to_contain_text("only from a verified address on it")
    page.get_by_label("Add an email domain").fill(domain)
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_text(f"{domain} has been added")).to_be_visible()
    page.get_by_role("link", name=f"Remove {domain}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Stop listing {domain}")
    page.get_by_role("button", name=f"Remove {domain}").click()
    expect(page.get_by_text(f"{domain} is no longer one of")).to_be_visible()
    assert domain not in site.api("GET", f"/api/v1/organisations/{org['id']}")["domains"]

    # Removing a member asks first.
    page.get_by_role("link", name=f"Remove {waiting.name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Remove {waiting.name} from {name}?")
    page.get_by_role("button", name=f"Remove {waiting.name}").click()
    expect(page.get_by_text(f"{waiting.name} has been removed from {name}.")).to_be_visible()
    assert site.api("GET", f"/api/v1/people/{waiting.id}")["organisation"] is None


def test_an_admin_declines_someone_waiting_after_confirming(page: Page, site: Site) -> None:
    admin = site.person("CMD")  # the first member by domain of this council in this session: its admin
    assert site.api("GET", "/api/v1/me", person=admin)["is_organisation_admin"]
    waiting = _verified(
        site,
        f"{uuid.uuid4().hex[:12]}@elsewhere.example.org",
        {"name": f"Declined Officer {uuid.uuid4().hex[:6]}", "organisation_code": "CMD"},
    )
    sign_in(page, site, admin)
    page.goto(site.base + "/organisations/CMD")
    page.get_by_role("link", name=f"Decline {waiting.name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Decline {waiting.name}'s request")
    assert_accessible(page)
    page.get_by_label("Reason (optional)").fill("We do not know you yet.")
    page.get_by_role("button", name="Decline").click()
    expect(page.get_by_text(f"{waiting.name}'s request to join")).to_be_visible()
    expect(page.get_by_role("link", name=f"Decline {waiting.name}")).to_have_count(0)
    assert site.api("GET", f"/api/v1/people/{waiting.id}")["membership"] != "pending"


def test_the_admin_sections_pass_the_accessibility_check(page: Page, site: Site) -> None:
    admin = site.person("BNH")  # the first member by domain of this council in this session: its admin
    assert site.api("GET", "/api/v1/me", person=admin)["is_organisation_admin"]
    sign_in(page, site, admin)
    page.goto(site.base + "/organisations/BNH")
    expect(page.get_by_role("heading", name=re.compile("^Manage"))).to_be_visible()
    page.get_by_label("Add an email domain").fill("not a domain")
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("^Remove ")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("?")
    assert_accessible(page)
