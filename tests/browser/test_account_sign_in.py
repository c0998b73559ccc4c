"""Signing in (and back to where one was going), the wrong-password error, signing out,
and the password reset journey by the emailed link."""

from __future__ import annotations

import base64
import json
import re
import zlib

from playwright.sync_api import Page, expect

from tests import support
from tests.browser.site import Site, assert_accessible, sign_in


def api_token_of(page: Page) -> str:
    """The API token the browser's signed (not encrypted) session cookie carries."""
    value = next(c["value"] for c in page.context.cookies() if c["name"] in ("pipeline", "__Host-pipeline"))
    compressed = value.startswith(".")
    payload = value.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return str(json.loads(zlib.decompress(data) if compressed else data)["token"])


def test_sign_in_and_out(page: Page, site: Site) -> None:
    person = site.person("KHL")
    page.goto(site.base + "/sign-in")
    assert_accessible(page)
    sign_in(page, site, person)
    expect(page.get_by_text("You are signed in.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")

    token = api_token_of(page)
    page.get_by_role("link", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out")
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    # The session is over, in the browser and in the API.
    page.goto(site.base + "/account")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/account$"))
    code, _, _ = support.request("GET", site.base + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert code == 401


def test_a_wrong_password_shows_the_error_summary(page: Page, site: Site) -> None:
    person = site.person("KHL")
    page.goto(site.base + "/sign-in")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Enter a correct email address and password")
    expect(page).to_have_title(re.compile("^Error: Sign in"))
    expect(page.get_by_label("Email address")).to_have_value(person.email)
    expect(page.get_by_role("link", name="Sign out")).to_have_count(0)
    assert_accessible(page)


def test_signing_in_returns_to_the_page_asked_for(no_js_page: Page, site: Site) -> None:
    page = no_js_page
    person = site.person("KHL")
    page.goto(site.base + "/account/notifications")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/account/notifications$"))
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose which emails you get")


def test_sign_in_never_sends_one_to_another_site(page: Page, site: Site) -> None:
    person = site.person("KHL")
    page.goto(site.base + "/sign-in?next=//example.org/")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(site.base + "/account")


def test_reset_password_by_the_emailed_link(page: Page, site: Site) -> None:
    person = site.person("KHL")
    page.goto(site.base + "/sign-in")
    page.get_by_role("link", name="I have forgotten my password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    assert_accessible(page)
    page.get_by_label("Email address").fill(person.email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page)

    page.goto(site.link_sent_to(person.email, "/reset-password?token="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile("^Error: Choose a new password"))
    assert_accessible(page)

    person.password = "a different and long enough passphrase"
    page.get_by_label("New password").fill(person.password)
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    sign_in(page, site, person)
    site.api("GET", "/api/v1/me", person=person, status=401)  # the old session was signed out
