"""A person's page, ``/people/<id>``: their name, job title and organisation, and the sections
they chose to show (their projects, the pledges they made for their organisation, what they
follow); ``/account/page``, where they choose. An erased person's page says only "Former
member" (410 Gone): the facts stay in the history, the person does not."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, Response, request
from markupsafe import Markup, escape

from domain.person import PAGE_SECTIONS
from web.pages import api, errors, flow
from web.pages.organisations import KIND_NAMES
from web.pages.projects import name_of

bp = Blueprint("people", __name__)

SECTION_NAMES = {
    "projects": ("Projects", "the projects you proposed, are on the team of, or are the key contact for"),
    "pledges": ("Pledges", "the pledges you made for your organisation"),
    "follows": ("Following", "the projects you follow"),
    "comments": ("Comments", "what you said in projects' discussions (not what a moderator hid)"),
}
ROLE_NAMES = {"proposer": "Proposed it", "team": "On the team", "key_contact": "Key contact"}
FORMER = "Former member"


@bp.app_template_global()
def person_link(person_id: Any, name: Any, fallback: str = FORMER) -> Markup:
    """A person's name as a link to their page, for every template that names someone; an erased
    person ("Former member") or one without an id is plain text, since they have no page."""
    shown = str(name or fallback)
    if not person_id or not name or name == FORMER:
        return escape(shown)
    return Markup('<a class="govuk-link" href="/people/{}">{}</a>').format(str(person_id), shown)


@bp.get("/people/<uuid:person_id>")
def person(person_id: UUID) -> Response:
    answer = api.get(f"/api/v1/people/{person_id}", **api.fresh())
    if answer.status == 404:
        return errors.page(404, "There is nobody on Pipeline with that address.")
    found: dict[str, Any] = flow.body_of(answer)
    if found.get("erased"):
        return flow.form("pages/people/former.html", status=410)
    me = api.me() or {}
    mine = me.get("id") == found["id"]
    organisation = found.get("organisation") or {}
    return flow.form(
        "pages/people/person.html",
        person=found,
        mine=mine,
        operator=bool(me.get("is_operator")) and not mine,
        kind_name=KIND_NAMES.get(organisation.get("kind") or "", ""),
        section_names=SECTION_NAMES,
        role_names=ROLE_NAMES,
        phase_name=name_of,
    )


@bp.route("/account/page", methods=["GET", "POST"])
def choose() -> Response:
    me = flow.signed_in()
    if request.method == "POST":
        answer = api.call("PUT", "/api/v1/me/page", {"shown": request.form.getlist("shown")})
        if answer.ok:
            return flow.done("Your page now shows what you chose.", f"/people/{me['id']}")
        return flow.form("pages/people/choose.html", answer, **_choices(request.form.getlist("shown")))
    mine = flow.body_of(api.get(f"/api/v1/people/{me['id']}", **api.fresh()))
    return flow.form("pages/people/choose.html", **_choices(mine.get("shown") or []))


def _choices(shown: list[str]) -> dict[str, Any]:
    items = [
        {
            "value": name,
            "text": SECTION_NAMES[name][0],
            "hint": {"text": "Show " + SECTION_NAMES[name][1] + "."},
            "checked": name in shown,
        }
        for name in PAGE_SECTIONS
        if name in SECTION_NAMES
    ]
    return {"items": items, "values": {}}
