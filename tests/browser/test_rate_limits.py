"""The pages spend the API's rate-limit budgets: a browser gets no more tries than a client
of the API from the same address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import serve
from tests.browser.site import Site


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A Pipeline allowing four tries a minute per address at signing in and verifying (one budget)."""
    yield from serve(tmp_path_factory.mktemp("tight"), PIPELINE_SIGN_IN_IP_LIMIT="4/minute")


def test_sign_in_tries_beyond_the_apis_limit_get_the_too_many_tries_page(page: Page, tight: Site) -> None:
    someone = tight.person("KHL")  # verified and signed in through the API: two of the four tries spent
    statuses = []
    for _ in range(3):
        page.goto(tight.base + "/sign-in")
        page.get_by_label("Email address").fill(someone.email)
        page.get_by_label("Password").fill("not the password at all")
        with page.expect_response(lambda r: r.url.endswith("/sign-in") and r.request.method == "POST") as answer:
            page.get_by_role("button", name="Sign in").click()
        statuses.append(answer.value.status)
    assert statuses == [401, 401, 429]
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many tries")
    assert answer.value.headers.get("retry-after")
    page.goto(tight.base + "/sign-in")  # the right password is refused too, until the window ends
    page.get_by_label("Email address").fill(someone.email)
    page.get_by_label("Password").fill(someone.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many tries")
    expect(page.get_by_role("link", name="Sign out")).to_have_count(0)
