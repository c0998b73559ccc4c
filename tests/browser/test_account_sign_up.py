"""Signing up (organisation from an accessible autocomplete, or a plain select without
JavaScript), the check-your-email page, and verifying by the emailed link."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.site import Site, assert_accessible
from tests.factories import PASSWORD


def test_sign_up_with_the_organisation_autocomplete_then_verify_by_the_emailed_link(page: Page, site: Site) -> None:
    email = f"{uuid.uuid4().hex[:12]}@breckland.gov.uk"
    name = f"Autocomplete Officer {uuid.uuid4().hex[:6]}"
    page.goto(site.base + "/sign-up")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Job title (optional)").fill("Service designer")
    organisation = page.get_by_role("combobox", name="Organisation")  # the enhanced select
    organisation.fill("Breckland")
    page.get_by_role("option", name=re.compile(r"^Breckland")).first.click()
    expect(organisation).to_have_value(re.compile(r"^Breckland"))
    assert_accessible(page)
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_text(email)).to_be_visible()
    assert_accessible(page)

    page.goto(site.link_sent_to(email, "/verify-email?token="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify your email address")
    assert_accessible(page)
    page.get_by_role("button", name="Verify my email address").click()
    expect(page.get_by_text("Your email address is verified.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_text(email + " (verified)")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Breckland"))).to_be_visible()


def test_sign_up_without_javascript_uses_the_plain_select(no_js_page: Page, site: Site) -> None:
    page = no_js_page
    council = site.api("GET", "/api/v1/organisations/MAN")["name"]
    email = f"{uuid.uuid4().hex[:12]}@manchester.gov.uk"
    page.goto(site.base + "/sign-up")
    page.get_by_label("Full name").fill("Select Officer")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Organisation", exact=True).select_option(label=council)
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    page.goto(site.link_sent_to(email, "/verify-email?token="))
    page.get_by_role("button", name="Verify my email address").click()
    expect(page.get_by_text("Your email address is verified.")).to_be_visible()
    expect(page.get_by_role("link", name=council)).to_be_visible()


def test_a_sign_up_with_mistakes_shows_what_to_correct(page: Page, site: Site) -> None:
    page.goto(site.base + "/sign-up")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_label("Create a password").fill("short")
    with page.expect_response(lambda r: r.url.endswith("/sign-up") and r.request.method == "POST") as posted:
        page.get_by_role("button", name="Create account").click()
    assert posted.value.status == 422
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile("^Error: Create an account"))
    summary.get_by_role("link").first.click()  # the summary's links lead to the fields
    expect(page.get_by_label("Email address").or_(page.get_by_label("Full name")).first).to_be_visible()
    assert_accessible(page)


def test_a_used_verification_link_says_so(page: Page, site: Site) -> None:
    page.goto(site.base + "/verify-email?token=not-a-real-token-at-all")
    page.get_by_role("button", name="Verify my email address").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    assert_accessible(page)


def test_a_form_posted_without_its_csrf_token_is_refused_and_stores_nothing(page: Page, site: Site) -> None:
    email = f"{uuid.uuid4().hex[:12]}@hull.gov.uk"
    page.goto(site.base + "/sign-up")  # the browser has a session, but the post leaves out the token
    form = {"name": "Forged Officer", "email": email, "organisation": "", "password": PASSWORD}
    council = site.api("GET", "/api/v1/organisations/KHL")
    form["organisation"] = council["id"]
    answer = page.request.post(site.base + "/sign-up", form=form, max_redirects=0)
    assert answer.status == 400
    assert "Sorry, there is a problem with your request" in answer.text()
    # Nothing was stored: the same address signs up through the API as if new (409 if taken).
    body = {"name": "Real Officer", "email": email, "organisation_code": "KHL", "password": PASSWORD}
    site.api("POST", "/api/v1/people", body, status=201)
