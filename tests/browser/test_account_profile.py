"""Your account: profile, password, notification choices, and erasure."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.site import Site, assert_accessible, sign_in


def test_change_profile(page: Page, site: Site) -> None:
    person = site.person("KHL")
    sign_in(page, site, person)
    page.goto(site.base + "/account")
    expect(page.get_by_label("Full name")).to_have_value(person.name)
    assert_accessible(page)
    job = f"Head of digital {uuid.uuid4().hex[:6]}"
    page.get_by_label("Job title (optional)").fill(job)
    page.get_by_role("button", name="Save my details").click()
    expect(page.get_by_text("Your details have been saved.")).to_be_visible()
    expect(page.get_by_label("Job title (optional)")).to_have_value(job)
    assert site.api("GET", "/api/v1/me", person=person)["job_title"] == job


def test_a_profile_with_a_bad_address_is_refused_with_the_error_summary(page: Page, site: Site) -> None:
    person = site.person("KHL")
    sign_in(page, site, person)
    page.goto(site.base + "/account")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Save my details").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile("^Error: Your account"))
    assert_accessible(page)
    assert site.api("GET", "/api/v1/me", person=person)["email"] == person.email


def test_change_password(page: Page, site: Site) -> None:
    person = site.person("KHL")
    sign_in(page, site, person)
    page.goto(site.base + "/account")
    page.get_by_role("link", name="Change your password").click()
    page.get_by_label("Current password").fill("wrong current password")
    page.get_by_label("New password").fill("another long enough passphrase")
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_role("alert")).to_contain_text("That is not your current password.")
    assert_accessible(page)
    page.get_by_label("Current password").fill(person.password)
    page.get_by_label("New password").fill("another long enough passphrase")
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    site.api("POST", "/api/v1/sessions", {"email": person.email, "password": "another long enough passphrase"})


def test_change_notification_choices(page: Page, site: Site) -> None:
    person = site.person("KHL")
    sign_in(page, site, person)
    page.goto(site.base + "/account")
    page.get_by_role("link", name="Choose which emails you get").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose which emails you get")
    assert_accessible(page)
    page.get_by_label("A weekly digest").check()
    page.get_by_label("Someone follows the project").uncheck()
    page.get_by_label("Tags").fill("waste, Parking")
    page.get_by_label("Words").fill("bins recycling")
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_text("Your email choices have been saved.")).to_be_visible()
    expect(page.get_by_label("A weekly digest")).to_be_checked()
    expect(page.get_by_label("Someone follows the project")).not_to_be_checked()
    expect(page.get_by_label("Tags")).to_have_value("waste, parking")

    choices = site.api("GET", "/api/v1/me/notifications", person=person)
    assert choices["frequency"] == "weekly"
    assert {k["name"]: k["on"] for k in choices["kinds"]}["new-follower"] is False
    assert choices["interests"] == {"tags": ["waste", "parking"], "words": ["bins", "recycling"]}


def test_a_bad_interest_word_is_shown_on_the_form(page: Page, site: Site) -> None:
    person = site.person("KHL")
    sign_in(page, site, person)
    page.goto(site.base + "/account/notifications")
    page.get_by_label("Words").fill("fine, !!!")
    page.get_by_role("button", name="Save my choices").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("One word of letters or digits")
    expect(page.get_by_label("Words")).to_have_value("fine, !!!")
    assert_accessible(page)
    assert site.api("GET", "/api/v1/me/notifications", person=person)["interests"]["words"] == []


def test_erase_the_account_then_it_cannot_sign_in(page: Page, site: Site) -> None:
    person = site.person("KHL")
    sign_in(page, site, person)
    page.goto(site.base + "/account")
    page.get_by_role("link", name="Erase your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase your account")
    assert_accessible(page)
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Erase my account").click()
    expect(page.get_by_role("alert")).to_contain_text("That is not your current password.")
    assert_accessible(page)

    page.get_by_label("Your password").fill(person.password)
    page.get_by_role("button", name="Erase my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account has been erased")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert_accessible(page)

    page.goto(site.base + "/sign-in")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a correct email address and password")
