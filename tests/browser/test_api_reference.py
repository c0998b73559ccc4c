"""The API reference renders in Chromium from the app's own assets, with no console error
(a Content-Security-Policy refusal would be one)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.site import Site


def test_the_api_reference_renders_the_endpoints_with_no_console_error(page: Page, site: Site) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    outside: list[str] = []
    page.on("request", lambda request: outside.append(request.url) if not request.url.startswith(site.base) else None)
    page.goto(site.base + "/api/reference")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/organisations").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/projects").first).to_be_visible()
    assert errors == []
    assert [url for url in outside if not url.startswith("data:")] == []
