"""Search results as GOV.UK shows them: how many were found, numbered pages (the
govukPagination component) and the tags to suggest as someone types one.

The page's own address says ``page=3``; the API is asked for that page with its offset cursor."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from web.pages import api

MAX_TAG_SUGGESTIONS = 500
MAX_OFFSET = 2**31 - 1  # the largest offset the API's cursors carry


def offset_cursor(offset: int) -> str:
    """The API's cursor for a search from ``offset`` (what its ``next`` links carry, written
    here because the pages may not import the API's modules; a unit test holds them equal)."""
    return base64.urlsafe_b64encode(json.dumps([offset]).encode()).decode().rstrip("=")


def page_number(text: str | None) -> int:
    """``page=`` as a page number: 1 for anything that is not a whole number from 1."""
    return int(text) if text and text.isascii() and text.isdigit() and 0 < int(text) < 100_000 else 1


def page_size(text: str | None, default: int) -> int:
    """``limit=`` as a number of results a page (1 to 100), else ``default``."""
    return int(text) if text and text.isascii() and text.isdigit() and 0 < int(text) <= 100 else default


def window(number: int, size: int) -> dict[str, str]:
    """The API's ``limit`` and ``cursor`` for page ``number`` of ``size`` results."""
    offset = min((number - 1) * size, MAX_OFFSET)
    return {"limit": str(size), **({"cursor": offset_cursor(offset)} if offset else {})}


def query_of(values: Mapping[str, str], **changes: Any) -> str:
    """``?...`` with the filled-in ``values`` and ``changes`` (None removes one); "" if none."""
    query = {k: v for k, v in values.items() if v and k != "page"}
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = str(value)
    return "?" + urlencode(query) if query else ""


def _numbers(current: int, last: int) -> list[int | None]:
    """The page numbers to link: the first, the last, and those beside the current one;
    None where numbers are left out (an ellipsis)."""
    shown = sorted({1, last, current - 1, current, current + 1} & set(range(1, last + 1)))
    found: list[int | None] = []
    for number in shown:
        if found and number - (found[-1] or 0) > 1:
            found.append(None)
        found.append(number)
    return found


def pagination(path: str, values: Mapping[str, str], current: int, total: int, size: int) -> dict[str, Any] | None:
    """The govukPagination arguments for ``total`` results, ``size`` a page (None: one page)."""
    last = max(1, -(-total // size))
    if last == 1 and current == 1:
        return None

    def href(number: int) -> str:
        return path + query_of(values, page=number if number > 1 else None)

    items = [
        {"ellipsis": True} if n is None else {"number": str(n), "href": href(n), "current": n == current}
        for n in _numbers(current, last)
    ]
    return {
        "items": items,
        "previous": {"href": href(current - 1)} if current > 1 else None,
        "next": {"href": href(current + 1)} if current < last else None,
        "landmarkLabel": "Pages of results",
    }


def known_tags() -> list[str]:
    """The tags in use, most used first: what the tag field suggests as someone types."""
    answer = api.get("/api/v1/tags")
    return [item["tag"] for item in answer.body.get("items", [])][:MAX_TAG_SUGGESTIONS] if answer.ok else []
