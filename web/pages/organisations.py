"""Organisation pages: details, members, projects, pledges; admins manage members, approvals and domains.

Who is an admin is the API's rule (an admin of this organisation, or an operator): the page
shows the admin sections to those ``/api/v1/me`` says may use them, and the API refuses
anyone else whatever they post."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, render_template, request

from web.pages import api, errors, flow
from web.pages.api import Answer, me
from web.pages.forms import Problems, text

bp = Blueprint("organisations", __name__)


KIND_NAMES = {
    "council": "Council",
    "association": "Association",
    "central_government": "Central government",
    "public_body": "Public body",
    "supplier": "Supplier",
    "community": "Community group",
}


def _base(code_or_id: str) -> str:
    return "/api/v1/organisations/" + quote(code_or_id, safe="")


def _page_of(org: dict[str, Any]) -> str:
    return "/organisations/" + quote(org.get("code") or org["id"], safe="")


def _organisation(code_or_id: str) -> dict[str, Any]:
    """The organisation; an unknown one or a refusal ends the request with its page."""
    answer = api.get(_base(code_or_id), **api.fresh())
    if answer.status == 404:
        abort(errors.page(404, "There is no organisation with that code or id."))
    org: dict[str, Any] = flow.body_of(answer)
    return org


def may_manage(org: dict[str, Any]) -> bool:
    """Whether the signed-in person may use the admin sections (the API checks again)."""
    person = me()
    if person is None:
        return False
    mine = person.get("organisation") or {}
    return bool(person.get("is_operator") or (person.get("is_organisation_admin") and mine.get("id") == org["id"]))


def _items(path: str, **query: Any) -> tuple[list[dict[str, Any]], bool]:
    answer = api.get(path, **query)
    if not answer.ok:
        return [], False
    return answer.body["items"], bool(answer.body.get("next"))


def _context(org: dict[str, Any]) -> dict[str, Any]:
    """What the organisation page shows: its details, members, projects and pledges, and
    for those who may manage it, its members with their roles and the people waiting."""
    base = _base(org["id"])
    fresh = api.fresh()
    members, more_members = _items(base + "/people", limit=100, **fresh)
    projects, more_projects = _items(base + "/projects", limit=50, **fresh)
    pledges, more_pledges = _items(base + "/pledges", limit=50, **fresh)
    context: dict[str, Any] = {
        "org": org,
        "kind_name": KIND_NAMES.get(org.get("kind") or "", org.get("kind")),
        "members": members,
        "more_members": more_members,
        "projects": projects,
        "more_projects": more_projects,
        "pledges": pledges,
        "more_pledges": more_pledges,
        "manage": may_manage(org),
        "here": _page_of(org),
    }
    if context["manage"]:
        people, _ = _items("/api/v1/people", organisation=org["id"], limit=500, **fresh)
        context["people"] = [p for p in people if p.get("membership") == "member" and not p.get("erased")]
        context["pending"], _ = _items(base + "/pending-members", limit=100, **fresh)
        context["me_id"] = (me() or {}).get("id")
    return context


@bp.get("/organisations/<code_or_id>")
def organisation(code_or_id: str) -> Response:
    org = _organisation(code_or_id)
    return flow.form("pages/organisations/organisation.html", **_context(org))


def _admin_write(method: str, path: str, body: Any, org: dict[str, Any], message: str) -> Response:
    answer = api.call(method, path, body)
    if not answer.ok:
        return flow.refused(answer) if answer.status != 422 else errors.page(422, answer.detail, "You cannot do this")
    return flow.done(message, _page_of(org))


def _member_name(org: dict[str, Any], person_id: str) -> str | None:
    answer = api.get("/api/v1/people/" + quote(person_id, safe=""))
    if not answer.ok:
        return None
    mine = (answer.body.get("organisation") or {}).get("id") == org["id"]
    return str(answer.body["name"]) if mine else None


@bp.post("/organisations/<code_or_id>/admins")
def make_admin(code_or_id: str) -> Response:
    org = _organisation(code_or_id)
    person_id = request.form.get("person_id", "")
    name = _member_name(org, person_id) or "They"
    return _admin_write(
        "POST", _base(org["id"]) + "/admins", {"person_id": person_id}, org, f"{name} is now an admin of {org['name']}."
    )


@bp.route("/organisations/<code_or_id>/members/<person_id>/remove", methods=["GET", "POST"])
def remove_member(code_or_id: str, person_id: str) -> Response:
    org = _organisation(code_or_id)
    if me() is None:
        return flow.sign_in_first()
    name = _member_name(org, person_id)
    if name is None:
        return errors.page(404, f"That person is not a member of {org['name']}.")
    if request.method == "GET":
        return flow.form("pages/organisations/remove_member.html", org=org, name=name, here=_page_of(org))
    path = _base(org["id"]) + "/members/" + quote(person_id, safe="")
    return _admin_write("DELETE", path, None, org, f"{name} has been removed from {org['name']}.")


@bp.post("/organisations/<code_or_id>/pending/<person_id>/approve")
def approve(code_or_id: str, person_id: str) -> Response:
    org = _organisation(code_or_id)
    path = _base(org["id"]) + "/pending-members/" + quote(person_id, safe="") + "/approve"
    name = text("name") or "They"
    return _admin_write("POST", path, None, org, f"{name} is now a member of {org['name']}.")


@bp.route("/organisations/<code_or_id>/pending/<person_id>/decline", methods=["GET", "POST"])
def decline(code_or_id: str, person_id: str) -> Response:
    org = _organisation(code_or_id)
    if me() is None:
        return flow.sign_in_first()
    pending = api.get(_base(org["id"]) + "/pending-members", limit=500)
    if not pending.ok:
        return flow.refused(pending)
    person = next((p for p in pending.body["items"] if p["id"] == person_id), None)
    if person is None:
        return errors.page(404, f"That person is not waiting to join {org['name']}.")
    if request.method == "GET":
        return flow.form("pages/organisations/decline.html", org=org, person=person, here=_page_of(org))
    path = _base(org["id"]) + "/pending-members/" + quote(person_id, safe="") + "/decline"
    answer = api.post(path, {"reason": text("reason")})
    if not answer.ok:
        return flow.form("pages/organisations/decline.html", answer, org=org, person=person, here=_page_of(org))
    return flow.done(f"{person['name']}'s request to join {org['name']} has been declined.", _page_of(org))


@bp.route("/organisations/<code_or_id>/domains", methods=["POST"])
def add_domain(code_or_id: str) -> Response:
    org = _organisation(code_or_id)
    domain = text("domain") or ""
    answer = api.post(_base(org["id"]) + "/domains", {"domain": domain})
    if answer.ok:
        return flow.done(f"{domain} has been added to {org['name']}'s email domains.", _page_of(org))
    if answer.status in (400, 403, 409, 422) and may_manage(org):  # 403: not a domain this admin writes from
        return _organisation_with_problems(org, answer)
    return flow.refused(answer)


def _organisation_with_problems(org: dict[str, Any], answer: Answer) -> Response:
    """The organisation page again, with the domain form's problem in the API's words."""
    problems = Problems()
    messages = answer.errors.get("domain")
    problems.add("domain", messages[0] if isinstance(messages, list) and messages else answer.detail)
    body = render_template(
        "pages/organisations/organisation.html", problems=problems, values=request.form, **_context(org)
    )
    return Response(body, answer.status, mimetype="text/html")


@bp.route("/organisations/<code_or_id>/domains/<domain>/remove", methods=["GET", "POST"])
def remove_domain(code_or_id: str, domain: str) -> Response:
    org = _organisation(code_or_id)
    if me() is None:
        return flow.sign_in_first()
    if domain not in (org.get("domains") or []):
        return errors.page(404, f"{domain} is not one of {org['name']}'s email domains.")
    if request.method == "GET":
        return flow.form("pages/organisations/remove_domain.html", org=org, domain=domain, here=_page_of(org))
    path = _base(org["id"]) + "/domains/" + quote(domain, safe="")
    return _admin_write("DELETE", path, None, org, f"{domain} is no longer one of {org['name']}'s email domains.")
