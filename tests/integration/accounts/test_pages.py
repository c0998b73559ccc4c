"""The account pages keep working with the email-change rules (issue 20, item 3): the profile
form sends the current password for a new address, and the "this wasn't me" link has a page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.factories import PASSWORD, council_email, email
from tests.integration.accounts.helpers import new_link, sign_up
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def csrf(page: Any) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, "the page has no CSRF token"
    return found.group(1)


def signed_in_browser(rt: Runtime, client: Any, address: str) -> Any:
    browser = client.application.test_client()
    form = {"email": address, "password": PASSWORD, "csrf_token": csrf(browser.get("/sign-in"))}
    assert browser.post("/sign-in", data=form).status_code == 303
    return browser


def test_the_profile_form_changes_the_address_only_with_the_current_password(rt: Runtime, client: Any) -> None:
    address = council_email("WGN")
    sign_up(client, address)
    browser = signed_in_browser(rt, client, address)
    moved = email()
    form = {"name": "Pat Tester", "email": moved, "job_title": "", "csrf_token": csrf(browser.get("/account"))}
    refused = browser.post("/account", data=form)
    assert refused.status_code == 403 and "Required to change your email." in refused.get_data(as_text=True)
    saved = browser.post("/account", data={**form, "current_password": PASSWORD})
    assert saved.status_code == 303
    assert moved in browser.get("/account").get_data(as_text=True)


def test_the_undo_page_takes_the_address_back_and_signs_out(rt: Runtime, client: Any) -> None:
    address = council_email("WGN")
    sign_up(client, address)
    browser = signed_in_browser(rt, client, address)
    form = {"name": "Pat Tester", "email": email(), "current_password": PASSWORD}
    assert browser.post("/account", data={**form, "csrf_token": csrf(browser.get("/account"))}).status_code == 303
    token = new_link(rt, address, "undo-email-change", set())

    stranger = client.application.test_client()  # whoever reads the old mailbox, not signed in
    shown = stranger.get(f"/undo-email-change?token={token}")
    assert shown.status_code == 200 and token in shown.get_data(as_text=True)
    done = stranger.post("/undo-email-change", data={"token": token, "csrf_token": csrf(shown)})
    assert (done.status_code, done.headers["Location"]) == (303, "/reset-password")
    assert browser.get("/account").status_code != 200  # the intruder's session is over
    again = stranger.get(f"/undo-email-change?token={token}")
    assert stranger.post("/undo-email-change", data={"token": token, "csrf_token": csrf(again)}).status_code == 422
