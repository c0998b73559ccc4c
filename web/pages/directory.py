"""The organisations directory, ``/organisations``: search by name and filter by kind, nation
and region with a plain GET form (it works without JavaScript), each organisation with how many
people and live projects it has on Pipeline."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Blueprint, Response, request

from domain.organisation import KINDS
from domain.register import places
from web.pages import api, flow
from web.pages.organisations import KIND_NAMES

bp = Blueprint("directory", __name__)

FILTERS = ("q", "kind", "nation", "region", "has_members")
PAGE_SIZE = 50
LABELS = {"q": "Name", "kind": "Kind", "nation": "Nation", "region": "Region", "has_members": "People"}


def _options(values: tuple[str, ...], selected: str | None, blank: str, names: dict[str, str]) -> list[dict[str, Any]]:
    first = {"value": "", "text": blank, "selected": not selected}
    return [first] + [{"value": v, "text": names.get(v, v), "selected": v == selected} for v in values]


def _next_page(next_link: str | None) -> str | None:
    cursor = parse_qs(urlsplit(next_link).query).get("cursor") if next_link else None
    if not cursor:
        return None
    query = {k: v for k, v in request.args.items() if k != "cursor" and v}
    return "/organisations?" + urlencode({**query, "cursor": cursor[0]})


@bp.get("/organisations")
def directory() -> Response:
    args = {k: request.args[k].strip() for k in (*FILTERS, "cursor") if request.args.get(k, "").strip()}
    answer = api.get("/api/v1/organisations", **args, limit=PAGE_SIZE, **api.fresh())
    nations, regions = places()
    values = request.args
    context: dict[str, Any] = {
        "values": values,
        "results": answer.body["items"] if answer.ok else [],
        "next_page": _next_page(answer.body.get("next")) if answer.ok else None,
        "searched": any(k in args for k in FILTERS),
        "kind_names": KIND_NAMES,
        "kinds": _options(KINDS, values.get("kind"), "Any kind", KIND_NAMES),
        "nations": _options(nations, values.get("nation"), "Any nation", {}),
        "regions": _options(regions, values.get("region"), "Any region", {}),
        "labels": LABELS,
    }
    if answer.ok:
        return flow.form("pages/organisations/directory.html", **context)
    return flow.form("pages/organisations/directory.html", answer, **context)
