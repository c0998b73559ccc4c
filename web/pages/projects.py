"""Project pages: find (search, filters, sort), the project page, propose and edit, phase, goal, archive, history.

Every read and write goes through the JSON API (:mod:`web.pages.api`); the choices offered
in the forms (phases, bands, levels, kinds, sorts) are the API's own lists, so a page never
offers a value the API would refuse. Who may edit, change the phase, set the goal or
archive is the API's decision: the page shows those links to the people the API is likely
to allow, and shows the API's refusal as a page to anyone else who tries."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from uuid import UUID

import nh3
from flask import Blueprint, Response, make_response, render_template, request
from markupsafe import Markup

from domain import local_time
from domain.organisation import KINDS
from domain.project import BUDGET_BANDS, COLLABORATION_LEVELS, PHASES
from projections.projects import SORTS
from web import messages
from web.pages import api, dates, flow, results
from web.pages.api import me
from web.pages.forms import number, present, text, words

bp = Blueprint("projects", __name__)
bp.add_app_template_global(dates.items, "date_items")

# The API's query arguments for GET /api/v1/projects that the search form carries.
FILTERS = (
    "q",
    "phase",
    "tag",
    "organisation",
    "organisation_kind",
    "nation",
    "region",
    "collaboration_level",
    "budget_band",
    "goal_state",
    "quiet",
    "updated_since",
    "updated_until",
    "include_archived",
    "sort",
)
PAGE_SIZE = 20
GOAL_STATES = ("none", "open", "met", "missed")
NATIONS = ("England", "Scotland", "Wales", "Northern Ireland")

LABELS = {
    "q": "Search words",
    "phase": "Phase",
    "tag": "Tag",
    "organisation": "Organisation",
    "organisation_kind": "Kind of organisation",
    "nation": "Nation",
    "region": "Region",
    "collaboration_level": "Collaboration",
    "budget_band": "Budget",
    "goal_state": "Goal",
    "quiet": "Activity",
    "updated_since": "Updated since",
    "updated_until": "Updated until",
    "include_archived": "Archived projects",
    "sort": "Sort by",
    "limit": "Results per page",
    "cursor": "Page",
    "title": "Title",
    "summary": "Summary",
    "description": "Description",
    "tags": "Tags",
    "department": "Department",
    "key_contact_id": "Key contact",
    "phase_start": "Phase start",
    "phase_end": "Phase end",
    "phase_dates_estimated": "Phase dates",
    "next_assessment": "Next service assessment",
    "links.prototype": "Prototype link",
    "links.repository": "Code repository link",
    "links.blog": "Blog link",
    "min_partners": "Partner organisations",
    "money": "Money",
    "days": "Staff time",
    "deadline": "Deadline",
}
TEXT_FIELDS = ("title", "summary", "description", "department")
DAY_FIELDS = ("phase_start", "phase_end", "next_assessment")
CHOICE_FIELDS = ("budget_band", "collaboration_level")
LINK_FIELDS = ("prototype", "repository", "blog")


def name_of(value: Any) -> str:
    return messages.CHOICES.get(str(value), str(value).replace("_", " ").capitalize())


def options(values: tuple[str, ...], selected: Any, blank: str | None = None) -> list[dict[str, Any]]:
    """GOV.UK select items for ``values`` (with a first blank item when ``blank`` is given)."""
    items = [{"value": "", "text": blank, "selected": not selected}] if blank is not None else []
    return items + [{"value": v, "text": name_of(v), "selected": v == selected} for v in values]


def described(html: str | None) -> Markup:
    """The API's rendered, sanitised Markdown, cleaned once more here before it is marked safe."""
    return Markup(nh3.clean(html or "", url_schemes={"http", "https", "mailto"}))  # noqa: S704 (cleaned just now)


@bp.app_template_filter("project_name")
def _name_filter(value: Any) -> str:
    return name_of(value)


@bp.app_template_filter("project_phase_item")
def _phase_item(phase: str, selected: Any) -> dict[str, Any]:
    """A GOV.UK radio item for ``phase``."""
    return {"value": phase, "text": name_of(phase), "checked": phase == selected}


@bp.app_template_filter("project_event")
def _event(kind: Any) -> str:
    """``Project.PhaseChanged`` -> "Phase changed"; other resources keep their name: "Pledge: made"."""
    resource, _, event = str(kind).rpartition(".")
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", event).lower().capitalize()
    return words if resource in ("", "Project") else f"{re.sub(r'(?<!^)(?=[A-Z])', ' ', resource)}: {words.lower()}"


@bp.app_template_filter("project_field")
def _field(name: Any) -> str:
    return LABELS.get(str(name), str(name).replace("_", " ").capitalize())


@bp.app_template_filter("project_value")
def _value(value: Any) -> str:
    """A field's value in a history entry, as text."""
    if value is None or value == "" or value == [] or value == {}:
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return name_of(value) if str(value) in messages.CHOICES else str(value)


@bp.app_template_filter("project_money")
def _money(value: Any) -> str:
    try:
        return f"£{float(value):,.2f}".replace(".00", "")
    except (TypeError, ValueError):
        return "£0"


@bp.app_template_filter("project_days")
def _days(value: Any) -> str:
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return "0 days"
    shown = f"{amount:,.2f}".rstrip("0").rstrip(".")
    return f"{shown} day" if amount == 1 else f"{shown} days"


@bp.app_template_filter("project_day")
def _day(value: Any) -> str:
    """A date, or the London day of a time: "3 March 2027"."""
    return local_time.day_label(value or None)


@bp.app_template_filter("project_moment")
def _moment(value: Any) -> str:
    """A time on London's clock: "3 March 2027 at 2:05pm"."""
    return local_time.time_label(value or None)


# ------------------------------------------------------------------ find
@bp.get("/projects")
def find() -> Response:
    args = {k: request.args.get(k, "").strip() for k in FILTERS if request.args.get(k, "").strip()}
    bounds = [dates.day_bound("updated_since", end=False), dates.day_bound("updated_until", end=True)]
    args.update({bound.name: bound.value for bound in bounds if bound.value is not None})
    number = results.page_number(request.args.get("page"))
    size = results.page_size(request.args.get("limit"), PAGE_SIZE)
    answer = api.get("/api/v1/projects", **args, **results.window(number, size), **api.fresh())
    total = int(answer.body.get("total") or 0) if answer.ok else 0
    context: dict[str, Any] = dict(
        values=request.args,
        results=answer.body["items"] if answer.ok else [],
        total=total,
        pagination=results.pagination("/projects", request.args, number, total, size),
        export="/api/v1/projects.csv" + results.query_of(args, sort=None),
        tags=results.known_tags(),
        searched=any(k in args for k in FILTERS),
        dates=bounds,
        phases=PHASES,
        kinds=KINDS,
        nations=NATIONS,
        levels=COLLABORATION_LEVELS,
        bands=BUDGET_BANDS,
        goal_states=GOAL_STATES,
        sorts=tuple(SORTS),
        options=options,
        field_names=LABELS,
    )
    if answer.ok:
        return make_response(render_template("pages/projects/find.html", problems=None, **context))
    return flow.form("pages/projects/find.html", answer, **context)


# ------------------------------------------------------------------ one project
def _project(project_id: UUID) -> api.Answer:
    return api.get(f"/api/v1/projects/{project_id}", **api.fresh())


def _may_manage(project: dict[str, Any]) -> bool:
    """Whether the API will probably let the signed-in person edit this project (it decides)."""
    person = me()
    if not person:
        return False
    if person.get("is_operator"):
        return True
    organisation = person.get("organisation") or {}
    owner = (project.get("organisation") or {}).get("id")
    if person.get("membership") == "member" and organisation.get("id") == owner:
        return True
    return any(member.get("person_id") == person.get("id") for member in project.get("team") or [])


def _key_contact(project: dict[str, Any]) -> str | None:
    contact = project.get("key_contact_id")
    if not contact:
        return None
    for member in project.get("team") or []:
        if member.get("person_id") == contact and member.get("name"):
            return str(member["name"])
    answer = api.get(f"/api/v1/people/{contact}")
    return str(answer.body.get("name") or "Former member") if answer.ok else None


@bp.get("/projects/<uuid:project_id>")
def show(project_id: UUID) -> Response:
    answer = _project(project_id)
    if not answer.ok:
        return flow.refused(answer)
    project = answer.body
    pledges = api.get(f"/api/v1/projects/{project_id}/pledges", **api.fresh())
    return make_response(
        render_template(
            "pages/projects/show.html",
            project=project,
            description=described(project.get("description_html")),
            pledges=pledges.body if pledges.ok else [],
            key_contact=_key_contact(project),
            may_manage=_may_manage(project),
        )
    )


# ------------------------------------------------------------------ propose and edit
def _form_body() -> dict[str, Any]:
    """The posted project form as the API's fields (empty ones as None)."""
    body: dict[str, Any] = {name: text(name) for name in (*TEXT_FIELDS, *CHOICE_FIELDS)}
    body.update({name: dates.posted(name).value for name in DAY_FIELDS})
    body["tags"] = words("tags")
    estimated = request.form.get("phase_dates_estimated")
    body["phase_dates_estimated"] = None if not estimated else estimated == "yes"
    body["links"] = {name: text(f"links.{name}") for name in LINK_FIELDS}
    if "key_contact_id" in request.form:
        body["key_contact_id"] = text("key_contact_id")
    return body


def _form_context(values: Any, **extra: Any) -> dict[str, Any]:
    return dict(
        values=values,
        dates=[dates.posted(name) for name in DAY_FIELDS],  # as typed, for the page's own date problems
        phases=PHASES,
        bands=BUDGET_BANDS,
        levels=COLLABORATION_LEVELS,
        options=options,
        labels=LABELS,
        field_names=LABELS,
        tags=results.known_tags(),  # suggested as the tags field is typed in
        **extra,
    )


@bp.route("/projects/new", methods=["GET", "POST"])
def propose() -> Response:
    if not me():
        return flow.sign_in_first()
    if request.method == "GET":
        return flow.form("pages/projects/edit.html", **_form_context(request.form, project=None))
    body = _form_body()
    body["links"] = present(body["links"])
    body["phase"] = text("phase")
    answer = api.post("/api/v1/projects", present(body))
    if answer.ok:
        return flow.done("Your project has been proposed.", f"/projects/{answer.body['id']}")
    return flow.form("pages/projects/edit.html", answer, **_form_context(request.form, project=None))


def _as_values(project: dict[str, Any]) -> dict[str, Any]:
    """A project's fields as the edit form's values."""
    values: dict[str, Any] = {name: project.get(name) or "" for name in (*TEXT_FIELDS, *CHOICE_FIELDS)}
    for name in DAY_FIELDS:
        values[name] = dates.london_day(project.get(name))
    values["tags"] = ", ".join(project.get("tags") or [])
    estimated = project.get("phase_dates_estimated")
    values["phase_dates_estimated"] = "" if estimated is None else ("yes" if estimated else "no")
    for name in LINK_FIELDS:
        values[f"links.{name}"] = (project.get("links") or {}).get(name, "")
    values["key_contact_id"] = project.get("key_contact_id") or ""
    return values


def _changes(project: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Only what the form changed (an emptied field as None, an emptied title or summary as ""
    so the API says it is needed)."""
    before = _as_values(project)
    changes: dict[str, Any] = {}
    for name in (*TEXT_FIELDS, *DAY_FIELDS, *CHOICE_FIELDS, "key_contact_id"):
        if name not in body:
            continue
        after = body[name]
        if (after or "") != (before.get(name) or ""):
            changes[name] = after if after is not None or name not in ("title", "summary") else ""
    if body["tags"] != (project.get("tags") or []):
        changes["tags"] = body["tags"]
    estimated = body["phase_dates_estimated"]
    if ("" if estimated is None else "yes" if estimated else "no") != before["phase_dates_estimated"]:
        changes["phase_dates_estimated"] = estimated
    links = present(body["links"])
    if links != {k: v for k, v in (project.get("links") or {}).items() if v}:
        changes["links"] = {name: links.get(name) for name in LINK_FIELDS}
    return changes


def _members(project: dict[str, Any]) -> list[dict[str, Any]]:
    """People of the owning organisation: who may be the key contact."""
    organisation = (project.get("organisation") or {}).get("id")
    answer = api.get("/api/v1/people", organisation=organisation, limit=200)
    return answer.body.get("items", []) if answer.ok else []


@bp.route("/projects/<uuid:project_id>/edit", methods=["GET", "POST"])
def edit(project_id: UUID) -> Response:
    flow.signed_in()
    project = flow.body_of(_project(project_id))
    context = _form_context(request.form if request.method == "POST" else _as_values(project))
    context.update(project=project, members=_members(project))
    return flow.form_page(
        "pages/projects/edit.html",
        lambda: api.call("PATCH", f"/api/v1/projects/{project_id}", _changes(project, _form_body())),
        "The project has been updated.",
        f"/projects/{project_id}",
        **context,
    )


# ------------------------------------------------------------------ phase, goal, archive
@bp.route("/projects/<uuid:project_id>/phase", methods=["GET", "POST"])
def phase(project_id: UUID) -> Response:
    flow.signed_in()
    project = flow.body_of(_project(project_id))
    values = request.form if request.method == "POST" else {"phase": project.get("phase")}
    return flow.form_page(
        "pages/projects/phase.html",
        lambda: api.post(f"/api/v1/projects/{project_id}/phase", present({"phase": text("phase")})),
        f"The project is now in {name_of(text('phase'))}.",
        f"/projects/{project_id}",
        project=project,
        phases=PHASES,
        values=values,
        labels=LABELS,
    )


def _goal_values(project: dict[str, Any]) -> dict[str, Any]:
    goal = project.get("goal") or {}
    if not goal:
        return {}

    def plain(amount: Any) -> str:
        shown = str(amount or "")
        return "" if shown in ("", "0", "0.00") else shown.removesuffix(".00")

    return {
        "min_partners": str(goal.get("min_partners") or ""),
        "money": plain(goal.get("money")),
        "days": plain(goal.get("days")),
        "deadline": dates.london_day(goal.get("deadline")),
        "deadline-time": dates.london_clock(goal.get("deadline")),
    }


def _goal_body() -> dict[str, Any]:
    body = {"min_partners": number("min_partners"), "deadline": dates.moment("deadline").value}
    for name in ("money", "days"):
        amount = number(name)
        body[name] = str(amount) if amount is not None else None
    return present(body)


@bp.route("/projects/<uuid:project_id>/goal", methods=["GET", "POST"])
def goal(project_id: UUID) -> Response:
    flow.signed_in()
    project = flow.body_of(_project(project_id))
    values = request.form if request.method == "POST" else _goal_values(project)
    return flow.form_page(
        "pages/projects/goal.html",
        lambda: api.call("PUT", f"/api/v1/projects/{project_id}/goal", _goal_body()),
        "The goal has been set.",
        f"/projects/{project_id}",
        project=project,
        values=values,
        dates=[dates.moment("deadline")],
    )


@bp.route("/projects/<uuid:project_id>/archive", methods=["GET", "POST"], defaults={"restore": False})
@bp.route("/projects/<uuid:project_id>/restore", methods=["GET", "POST"], defaults={"restore": True})
def archive(project_id: UUID, restore: bool) -> Response:
    flow.signed_in()
    return flow.form_page(
        "pages/projects/archive.html",
        lambda: api.post(f"/api/v1/projects/{project_id}/{'restore' if restore else 'archive'}"),
        "The project has been restored." if restore else "The project has been archived.",
        f"/projects/{project_id}",
        project=flow.body_of(_project(project_id)),
        restore=restore,
    )


# ------------------------------------------------------------------ history
def _after(next_link: str | None) -> str | None:
    if not next_link:
        return None
    after = parse_qs(urlsplit(next_link).query).get("after")
    return after[0] if after else None


@bp.get("/projects/<uuid:project_id>/history")
def history(project_id: UUID) -> Response:
    current = _project(project_id)
    if not current.ok:
        return flow.refused(current)
    query = {"limit": 50, "after": request.args.get("after")}
    answer = api.get(f"/api/v1/projects/{project_id}/history", **query, **api.fresh())
    if not answer.ok:
        return flow.refused(answer)
    after = _after(answer.body.get("next"))
    return make_response(
        render_template(
            "pages/projects/history.html",
            project=current.body,
            entries=answer.body["items"],
            next_page=f"/projects/{project_id}/history?" + urlencode({"after": after}) if after else None,
            first_page=f"/projects/{project_id}/history" if request.args.get("after") else None,
            diffed=TEXT_FIELDS,  # shown as a word-level diff (web.pages.diff)
            restorable=_may_manage(current.body),  # restore buttons; the API decides (web.pages.moderation)
        )
    )
