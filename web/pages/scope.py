"""Which requests are pages (HTML for browsers) rather than the JSON API.

The API's request checks (bearer-token access rules, unknown query parameters, JSON-only
bodies, idempotency keys) are for API clients. A page does not pass them itself: it calls
the API in-process (:mod:`web.pages.api`), and that inner request passes every one of them."""

from __future__ import annotations

from flask import request

PAGES = "pages"  # the parent blueprint of every page


def is_page() -> bool:
    return PAGES in request.blueprints
