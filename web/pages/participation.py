"""Taking part in a project: follow, need it too, pledge, ask to contribute and answer, status updates.

The panel (``pages/participation/_panel.html``) is included by the project page with
``project`` (the API's project detail) and ``me`` in context; what else it shows (followers,
needs, pledges, requests, every status update) it reads through :func:`participation_for`, a
Jinja global this blueprint registers, so the project page only includes the template.

Every read and write is an API call (:mod:`web.pages.api`): who may pledge, answer a request
or post an update is the API's decision; the panel only hides what it knows to be pointless
(e.g. the answer buttons for someone not on the team), and a refusal is shown as a page."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException, abort

from domain import local_time
from domain.project import CONTRIBUTION_KINDS
from web.pages import api, errors
from web.pages.api import me
from web.pages.flow import body_of, done, form, form_page, refused, safe_next, sign_in_first, signed_in
from web.pages.forms import text

bp = Blueprint("participation", __name__)

KINDS = {kind: kind.replace("_", " ").capitalize() for kind in CONTRIBUTION_KINDS}
PLEDGE_LABELS = {"money": "Money", "days": "Staff time", "contributions": "Named contributions", "message": "Message"}
PROJECTS = "/api/v1/projects"


# ------------------------------------------------------------------ template helpers
@bp.app_template_filter("participation_date")
def participation_date(stamp: str | None) -> str:
    """An API time stamp as people read it: '1 December 2026 at 11:14am', London time."""
    return local_time.time_label(stamp)


@bp.app_template_filter("participation_amount")
def participation_amount(value: Any) -> str:
    """'1500.00' -> '1,500'; '7.50' -> '7.5' (the API sends exact decimal strings)."""
    try:
        number = float(value or 0)
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


UPDATES_SHOWN = 500  # the newest, on the panel (the API's largest page)


def _items(answer: api.Answer) -> list[dict[str, Any]]:
    """A list answer's items, whether a plain list or a page (``{"items", "next"}``)."""
    if answer.ok and isinstance(answer.body, dict):
        return list(answer.body.get("items") or [])
    return answer.body if answer.ok and isinstance(answer.body, list) else []


def _next_cursor(answer: api.Answer) -> str | None:
    link = answer.body.get("next") if answer.ok and isinstance(answer.body, dict) else None
    return parse_qs(urlsplit(link).query).get("cursor", [None])[0] if link else None


def _org_id(person: dict[str, Any] | None) -> str | None:
    organisation = (person or {}).get("organisation") or {}
    return str(organisation["id"]) if organisation.get("id") else None


def _roles(project: dict[str, Any], person: dict[str, Any] | None) -> tuple[bool, bool, bool]:
    """(on the team, speaks for the owner, may answer requests) as far as a page can tell;
    the API still decides every action."""
    if not person:
        return False, False, False
    mine = _org_id(person)
    owner = str((project.get("organisation") or {}).get("id") or project.get("organisation_id") or "")
    on_team = any(
        str(t.get("person_id")) == str(person["id"]) and str(t.get("organisation_id")) == mine
        for t in project.get("team") or []
    )
    member = person.get("membership") == "member"
    for_owner = member and mine is not None and mine == owner
    operator = bool(person.get("is_operator"))
    may_answer = on_team or (for_owner and bool(person.get("is_organisation_admin"))) or operator
    return on_team, for_owner or operator, may_answer


@bp.app_template_global()
def participation_for(project: dict[str, Any]) -> dict[str, Any]:
    """Everything the panel shows beyond ``project``: read through the API for the viewer."""
    pid = project["id"]
    person = me()
    fresh = api.fresh()
    base = f"{PROJECTS}/{pid}"
    updates = sorted(
        _items(api.get(f"{base}/status-updates", limit=UPDATES_SHOWN, **fresh)),
        key=lambda u: u.get("posted_at") or "",
        reverse=True,
    )
    on_team, for_owner, may_answer = _roles(project, person)
    found: dict[str, Any] = {
        "updates": updates,
        "on_team": on_team,
        "may_post": on_team or for_owner,
        "may_answer": may_answer,
        "following": False,
        "need": None,
        "pledge": None,
        "open_requests": [],
        "my_requests": [],
        "kinds": KINDS,
        "owns": False,
    }
    if person is None:
        return found
    mine, me_id = _org_id(person), str(person["id"])
    owner = str((project.get("organisation") or {}).get("id") or project.get("organisation_id") or "")
    found["owns"] = mine is not None and mine == owner  # it backs others' projects, not its own
    followers = _items(api.get(f"{base}/followers", **fresh))
    found["following"] = any(str(f.get("person_id")) == me_id for f in followers)
    needs = _items(api.get(f"{base}/needs", **fresh))
    found["need"] = next((n for n in needs if str(n.get("organisation_id")) == mine), None)
    found["pledge"] = _my_pledge(pid)
    requests = _items(api.get(f"{base}/contribution-requests", **fresh))
    found["my_requests"] = [r for r in requests if str(r.get("person_id")) == me_id]
    if may_answer:
        found["open_requests"] = [r for r in requests if not r.get("decision")]
    return found


# ------------------------------------------------------------------ shared steps
def project_page(pid: str) -> str:
    """The project page, or this blueprint's own page around the panel if there is none."""
    path = f"/projects/{pid}"
    try:
        current_app.url_map.bind("localhost").match(path, "GET")
    except HTTPException:
        return f"/projects/{pid}/take-part"
    return path


def _back(pid: str) -> str:
    """Where to go after an action: the page the panel was on (``next``), else the project page."""
    return safe_next(request.values.get("next"), project_page(str(pid)))


def _project(pid: Any) -> dict[str, Any]:
    body: dict[str, Any] = body_of(api.get(f"{PROJECTS}/{pid}", **api.fresh()))
    return body


def _find(path: str, item_id: Any, what: str) -> dict[str, Any]:
    """The item with ``item_id`` in a list answer, following its pages (an old update too)."""
    query: dict[str, Any] = dict(api.fresh())
    while True:
        answer = api.get(path, **query)
        body_of(answer)
        for item in _items(answer):
            if str(item.get("id")) == str(item_id):
                return item
        cursor = _next_cursor(answer)
        if cursor is None:
            abort(errors.page(404, f"There is no {what} with that address on this project."))
        query["cursor"] = cursor


def _my_pledge(pid: Any) -> dict[str, Any] | None:
    """The live pledge of the signed-in person's organisation to the project, if any."""
    mine = _org_id(me())
    pledges = _items(api.get(f"{PROJECTS}/{pid}/pledges", **api.fresh()))
    return next((p for p in pledges if mine and str(p.get("organisation_id")) == mine), None)


def _after(answer: api.Answer, message: str, pid: Any) -> Response:
    """A small action's answer (follow, need): the banner and back, or the refusal as a page."""
    return done(message, _back(pid)) if answer.ok else refused(answer)


# ------------------------------------------------------------------ the panel on its own page
@bp.get("/projects/<uuid:pid>/take-part")
def take_part(pid: Any) -> str:
    """The panel as a page of its own (also where actions return when there is no project page)."""
    return render_template("pages/participation/take_part.html", project=_project(pid))


# ------------------------------------------------------------------ follow, need
@bp.post("/projects/<uuid:pid>/follow")
def follow(pid: Any) -> Response:
    if me() is None:
        return sign_in_first()
    return _after(api.post(f"{PROJECTS}/{pid}/follow"), "You are following this project.", pid)


@bp.post("/projects/<uuid:pid>/unfollow")
def unfollow(pid: Any) -> Response:
    if me() is None:
        return sign_in_first()
    answer = api.call("DELETE", f"{PROJECTS}/{pid}/follow")
    return _after(answer, "You have stopped following this project.", pid)


@bp.route("/projects/<uuid:pid>/need", methods=["GET", "POST"])
def need(pid: Any) -> Response:
    """Say "we need this too", with an optional comment (the panel's button posts here without one)."""
    signed_in()
    return form_page(
        "pages/participation/need.html",
        lambda: api.post(f"{PROJECTS}/{pid}/needs", {"comment": text("comment")}),
        "Your organisation needs this too: the team has been told.",
        _back(pid),
        project=_project(pid),
        back=_back(pid),
    )


@bp.post("/projects/<uuid:pid>/need/withdraw")
def withdraw_need(pid: Any) -> Response:
    if me() is None:
        return sign_in_first()
    answer = api.call("DELETE", f"{PROJECTS}/{pid}/needs")
    return _after(answer, "Your organisation no longer says it needs this.", pid)


def _amount(name: str) -> str | None:
    """A typed amount as the API's decimal string ('£1,500' -> '1500'); the API checks it."""
    value = request.form.get(name, "").strip().replace(",", "").removeprefix("£").strip()
    return value or None


# ------------------------------------------------------------------ pledge
@bp.route("/projects/<uuid:pid>/pledge", methods=["GET", "POST"])
def pledge(pid: Any) -> Response:
    """Make or amend your organisation's pledge: money, staff days, named contributions."""
    if me() is None:
        return sign_in_first()
    project = _project(pid)
    current = _my_pledge(pid)
    context: dict[str, Any] = {"project": project, "current": current, "kinds": KINDS, "back": _back(pid)}
    if request.method == "GET":
        values: dict[str, Any] = {}
        if current:
            values = {
                "money": participation_amount(current.get("money")).replace(",", ""),
                "days": participation_amount(current.get("days")).replace(",", ""),
                "message": current.get("message") or "",
            }
        chosen = (current or {}).get("contributions") or []
        return form("pages/participation/pledge.html", values=values, chosen=chosen, **context)
    body = {
        "money": _amount("money") or "0",
        "days": _amount("days") or "0",
        "contributions": request.form.getlist("contributions"),
        "message": text("message"),
    }
    answer = api.call("PUT", f"{PROJECTS}/{pid}/pledges/mine", body)
    if answer.ok:
        return done("Your organisation's pledge is " + ("amended." if current else "made."), _back(pid))
    rename = {f"contributions.{i}": "contributions" for i in range(len(KINDS) + 1)}
    return form(
        "pages/participation/pledge.html",
        answer,
        chosen=body["contributions"],
        labels=PLEDGE_LABELS,
        rename=rename,
        **context,
    )


@bp.route("/projects/<uuid:pid>/pledge/withdraw", methods=["GET", "POST"])
def withdraw_pledge(pid: Any) -> Response:
    """Confirm, then withdraw your organisation's pledge."""
    if me() is None:
        return sign_in_first()
    project = _project(pid)
    current = _my_pledge(pid)
    if request.method == "GET":
        if current is None:
            return errors.page(404, "Your organisation has no pledge to this project to withdraw.")
        return form("pages/participation/withdraw_pledge.html", project=project, current=current, back=_back(pid))
    answer = api.call("DELETE", f"{PROJECTS}/{pid}/pledges/mine")
    if answer.ok:
        return done("Your organisation's pledge is withdrawn.", _back(pid))
    return refused(answer)


# ------------------------------------------------------------------ contribution requests
@bp.route("/projects/<uuid:pid>/contribution-requests/new", methods=["GET", "POST"])
def ask(pid: Any) -> Response:
    """Ask to contribute (join the team); the team decides."""
    signed_in()
    return form_page(
        "pages/participation/ask.html",
        lambda: api.post(f"{PROJECTS}/{pid}/contribution-requests", {"message": text("message")}),
        "Your request to contribute is sent: the team will answer it.",
        _back(pid),
        project=_project(pid),
        back=_back(pid),
    )


def _request_page(pid: Any, rid: Any, answer: api.Answer | None = None) -> Response:
    project = _project(pid)
    found = _find(f"{PROJECTS}/{pid}/contribution-requests", rid, "request to contribute")
    may_answer = _roles(project, me())[2]
    return form(
        "pages/participation/request.html",
        answer,
        project=project,
        item=found,
        may_answer=may_answer,
        back=_back(pid),
        labels={"reason": "Reason"},
    )


@bp.get("/projects/<uuid:pid>/contribution-requests/<uuid:rid>")
def contribution_request(pid: Any, rid: Any) -> Response:
    """A request to contribute (the team is emailed this link): approve or decline it."""
    return _request_page(pid, rid)


@bp.post("/projects/<uuid:pid>/contribution-requests/<uuid:rid>/approve")
def approve(pid: Any, rid: Any) -> Response:
    if me() is None:
        return sign_in_first()
    answer = api.post(f"{PROJECTS}/{pid}/contribution-requests/{rid}/approve")
    if answer.ok:
        return done("The request is approved: they are on the team now.", _back(pid))
    return _request_page(pid, rid, answer)


@bp.post("/projects/<uuid:pid>/contribution-requests/<uuid:rid>/decline")
def decline(pid: Any, rid: Any) -> Response:
    if me() is None:
        return sign_in_first()
    answer = api.post(f"{PROJECTS}/{pid}/contribution-requests/{rid}/decline", {"reason": text("reason")})
    if answer.ok:
        return done("The request is declined: they will be told.", _back(pid))
    return _request_page(pid, rid, answer)


# ------------------------------------------------------------------ status updates
@bp.route("/projects/<uuid:pid>/status-updates/new", methods=["GET", "POST"])
def post_update(pid: Any) -> Response:
    """Post a status update (the team is emailed this link when a project goes quiet)."""
    signed_in()
    return form_page(
        "pages/participation/update.html",
        lambda: api.post(f"{PROJECTS}/{pid}/status-updates", {"body": text("body") or ""}),
        "Your status update is posted.",
        _back(pid),
        project=_project(pid),
        back=_back(pid),
        update=None,
        labels={"body": "Update"},
    )


@bp.route("/projects/<uuid:pid>/status-updates/<uuid:uid>/edit", methods=["GET", "POST"])
def correct_update(pid: Any, uid: Any) -> Response:
    """Correct a status update (its earlier text stays in the project's history)."""
    signed_in()
    update = _find(f"{PROJECTS}/{pid}/status-updates", uid, "status update")
    return form_page(
        "pages/participation/update.html",
        lambda: api.call("PATCH", f"{PROJECTS}/{pid}/status-updates/{uid}", {"body": text("body") or ""}),
        "The status update is corrected.",
        _back(pid),
        project=_project(pid),
        back=_back(pid),
        update=update,
        labels={"body": "Update"},
        values=request.form if request.method == "POST" else {"body": update.get("body") or ""},
    )


@bp.route("/projects/<uuid:pid>/status-updates/<uuid:uid>/retract", methods=["GET", "POST"])
def retract_update(pid: Any, uid: Any) -> Response:
    """Confirm, then retract a status update (kept in the history, marked retracted)."""
    signed_in()
    return form_page(
        "pages/participation/retract.html",
        lambda: api.call("DELETE", f"{PROJECTS}/{pid}/status-updates/{uid}"),
        "The status update is retracted.",
        _back(pid),
        project=_project(pid),
        update=_find(f"{PROJECTS}/{pid}/status-updates", uid, "status update"),
        back=_back(pid),
    )
