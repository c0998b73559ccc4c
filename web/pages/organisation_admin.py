"""What an organisation's admins do on its page beyond members and domains: change its details
(name, website, description), take the admin role from an admin or step down, and hand the
role over. The rules are the API's: it refuses the last admin's removal (422), and the page
shows that refusal in its words."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, request

from web.pages import api, errors, flow
from web.pages.api import me
from web.pages.forms import present, text
from web.pages.organisations import _admin_write, _base, _organisation, _page_of, may_manage

bp = Blueprint("organisation_admin", __name__)
LABELS = {"name": "Name", "website": "Website", "description": "Description"}


def _managed(code_or_id: str) -> dict[str, Any]:
    """The organisation, for someone who may manage it (anyone else gets a page saying so)."""
    org = _organisation(code_or_id)
    if me() is None:
        flow.signed_in()
    if not may_manage(org):
        abort(errors.page(403, f"Only an admin of {org['name']} (or an operator) may do this."))
    return org


@bp.route("/organisations/<code_or_id>/edit", methods=["GET", "POST"])
def edit(code_or_id: str) -> Response:
    org = _managed(code_or_id)
    context: dict[str, Any] = {"org": org, "here": _page_of(org), "labels": LABELS}
    if request.method == "GET":
        values = {"name": org["name"], "website": org.get("website") or "", "description": org.get("description") or ""}
        return flow.form("pages/organisations/edit.html", values=values, **context)
    body = {"website": text("website"), "description": request.form.get("description", "").strip() or None}
    if org.get("kind") != "council":
        body["name"] = text("name") or ""
    answer = api.call("PATCH", _base(org["id"]), body)
    if answer.ok:
        return flow.done(f"{body.get('name') or org['name']}'s details are saved.", _page_of(org))
    return flow.form("pages/organisations/edit.html", answer, **context)


def _admin_name(org: dict[str, Any], person_id: str) -> str | None:
    found = api.get("/api/v1/people/" + quote(person_id, safe=""))
    body = found.body if found.ok else {}
    ours = (body.get("organisation") or {}).get("id") == org["id"]
    return str(body["name"]) if ours and body.get("is_admin") else None


@bp.route("/organisations/<code_or_id>/admins/<person_id>/remove", methods=["GET", "POST"])
def remove_admin(code_or_id: str, person_id: str) -> Response:
    org = _managed(code_or_id)
    name = _admin_name(org, person_id)
    if name is None:
        return errors.page(404, f"That person is not an admin of {org['name']}.")
    yourself = (me() or {}).get("id") == person_id
    if request.method == "GET":
        return flow.form(
            "pages/organisations/remove_admin.html", org=org, name=name, yourself=yourself, here=_page_of(org)
        )
    done = "You are no longer an admin" if yourself else f"{name} is no longer an admin"
    path = _base(org["id"]) + "/admins/" + quote(person_id, safe="")
    return _admin_write("DELETE", path, None, org, f"{done} of {org['name']}.")


@bp.route("/organisations/<code_or_id>/handover", methods=["GET", "POST"])
def hand_over(code_or_id: str) -> Response:
    org = _managed(code_or_id)
    mine = (me() or {}).get("id")
    people = api.get("/api/v1/people", organisation=org["id"], limit=500, **api.fresh())
    members = [
        p
        for p in (people.body["items"] if people.ok else [])
        if p.get("membership") == "member" and not p.get("erased") and p["id"] != mine
    ]
    context: dict[str, Any] = {
        "org": org,
        "members": members,
        "here": _page_of(org),
        "labels": {"person_id": "New admin"},
    }
    if request.method == "GET":
        return flow.form("pages/organisations/handover.html", **context)
    chosen = request.form.get("person_id", "")
    answer = api.post(_base(org["id"]) + "/handover", present({"person_id": chosen or None}))
    if answer.ok:
        name = next((p["name"] for p in members if p["id"] == chosen), "They")
        return flow.done(f"{name} is now an admin of {org['name']}, and you are not.", _page_of(org))
    return flow.form("pages/organisations/handover.html", answer, **context)
