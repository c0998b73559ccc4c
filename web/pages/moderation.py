"""Operators' moderation pages (lock and unlock a project, hide and un-hide a status update, suspend
and reinstate a person, rename a tag), each a GOV.UK form asking for the reason and a
confirmation; and restoring a field from the history page. Every one is one API call
(:mod:`web.api.moderation`): who may do it is the API's decision, shown as its refusal."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, Response, abort, request
from markupsafe import Markup

from domain.moderation import OPERATORS_ONLY
from web.pages import api, errors, flow
from web.pages.diff import word_diff
from web.pages.forms import present, text
from web.pages.projects import LABELS, _event

bp = Blueprint("moderation", __name__)
REASON = {"reason": "Reason", "old": "Tag to rename", "new": "New name"}
LOCKING = {
    False: ("Lock", "lock", "The project has been locked."),
    True: ("Unlock", "unlock", "The project has been unlocked."),
}


def operator_only() -> None:
    """Moderation pages are for operators: anyone else is told so at once (the API would
    refuse them anyway), and someone signed out is sent to sign in."""
    if not flow.signed_in().get("is_operator"):
        abort(errors.page(403, OPERATORS_ONLY))


def _reason_form(template: str, path: str, success: str, to: str, **context: Any) -> Response:
    """The reason form: GET shows it, POST sends ``{"reason": ...}`` to ``path``."""
    return flow.form_page(
        template,
        lambda: api.post(path, present({"reason": text("reason")})),
        success,
        to,
        labels=REASON,
        **context,
    )


@bp.route("/projects/<uuid:project_id>/lock", methods=["GET", "POST"], defaults={"unlock": False})
@bp.route("/projects/<uuid:project_id>/unlock", methods=["GET", "POST"], defaults={"unlock": True})
def lock(project_id: UUID, unlock: bool) -> Response:
    operator_only()
    project = flow.body_of(api.get(f"/api/v1/projects/{project_id}", **api.fresh()))
    verb, path, success = LOCKING[unlock]
    return _reason_form(
        "pages/moderation/lock.html",
        f"/api/v1/projects/{project_id}/{path}",
        success,
        f"/projects/{project_id}",
        project=project,
        verb=verb,
    )


@bp.route("/projects/<uuid:project_id>/status-updates/<uuid:update_id>/hide", methods=["GET", "POST"])
def hide(project_id: UUID, update_id: UUID) -> Response:
    operator_only()
    project = flow.body_of(api.get(f"/api/v1/projects/{project_id}", **api.fresh()))
    updates = flow.body_of(api.get(f"/api/v1/projects/{project_id}/status-updates", limit=100, **api.fresh()))
    update = next((u for u in updates["items"] if u["id"] == str(update_id)), None)
    if update is None:
        return flow.refused(api.Answer(404, {"detail": "No status update with that id shows on this project."}))
    return _reason_form(
        "pages/moderation/hide.html",
        f"/api/v1/projects/{project_id}/status-updates/{update_id}/hide",
        "The status update has been hidden.",
        f"/projects/{project_id}",
        project=project,
        update=update,
    )


@bp.route("/projects/<uuid:project_id>/status-updates/<uuid:update_id>/unhide", methods=["GET", "POST"])
def unhide(project_id: UUID, update_id: UUID) -> Response:
    """Shows a hidden update again; reached from the project's history, where operators see it hidden.
    Whether it is hidden is the API's decision (409 otherwise), shown as its refusal."""
    operator_only()
    project = flow.body_of(api.get(f"/api/v1/projects/{project_id}", **api.fresh()))
    return _reason_form(
        "pages/moderation/unhide.html",
        f"/api/v1/projects/{project_id}/status-updates/{update_id}/unhide",
        "The status update shows again.",
        f"/projects/{project_id}",
        project=project,
    )


@bp.route("/people/<uuid:person_id>/suspend", methods=["GET", "POST"], defaults={"reinstate": False})
@bp.route("/people/<uuid:person_id>/reinstate", methods=["GET", "POST"], defaults={"reinstate": True})
def suspend(person_id: UUID, reinstate: bool) -> Response:
    operator_only()
    person = flow.body_of(api.get(f"/api/v1/people/{person_id}", **api.fresh()))
    verb = "reinstate" if reinstate else "suspend"
    return _reason_form(
        "pages/moderation/suspend.html",
        f"/api/v1/people/{person_id}/{verb}",
        f"{person.get('name') or 'The person'} has been {'reinstated' if reinstate else 'suspended'}.",
        "/moderation",
        person=person,
        reinstate=reinstate,
    )


@bp.route("/moderation/tags", methods=["GET", "POST"])
def rename_tag() -> Response:
    operator_only()
    if request.method == "GET":
        return flow.form("pages/moderation/tags.html", values={"old": request.args.get("tag", "")}, labels=REASON)
    answer = api.post("/api/v1/tag-renames", present({k: text(k) for k in ("old", "new", "reason")}))
    if not answer.ok:
        return flow.form("pages/moderation/tags.html", answer, labels=REASON)
    renamed = answer.body
    count = renamed["projects_renamed"]
    projects = "1 project" if count == 1 else f"{count} projects"
    return flow.done(f"The tag ‘{renamed['old']}’ is now ‘{renamed['new']}’ on {projects}.", "/moderation")


@bp.get("/moderation")
def index() -> Response:
    """Where an operator's moderation starts (and where its confirmations land)."""
    operator_only()
    return flow.form("pages/moderation/index.html")


@bp.post("/projects/<uuid:project_id>/restorations")
def restore(project_id: UUID) -> Response:
    """The history page's button: restore one field from an earlier version."""
    flow.signed_in()
    field, version = text("field") or "", text("version") or ""
    number = version.isascii() and version.isdigit()  # "²".isdigit() too, and int() refuses it
    body = {"field": field, "version": int(version) if number else version}
    answer = api.post(f"/api/v1/projects/{project_id}/restorations", body)
    if not answer.ok:
        return flow.refused(answer)
    label = LABELS.get(field, field).lower()
    return flow.done(f"The {label} has been restored from version {version}.", f"/projects/{project_id}/history")


# ------------------------------------------------------------------ the history page's words
HEADINGS = {
    "Project.Locked": "Locked by an operator",
    "Project.Unlocked": "Unlocked by an operator",
    "StatusUpdate.Hidden": "Status update hidden by an operator",
    "StatusUpdate.Unhidden": "Status update shown again by an operator",
}


@bp.app_template_filter("history_heading")
def history_heading(entry: dict[str, Any]) -> str:
    """An entry's heading: what moderation and restoring did, in words; else the event's name."""
    kind, data = entry.get("type"), entry.get("data") or {}
    if kind == "Project.FieldRestored":
        field = next(iter(data.get("changes") or {}), "")
        return f"Restored {LABELS.get(field, field).lower()} from version {data.get('restored_version')}"
    if kind == "Project.TagRenamed":
        return f"Tag ‘{data.get('old')}’ renamed to ‘{data.get('new')}’"
    return HEADINGS.get(str(kind)) or _event(kind)


@bp.app_template_filter("word_diff")
def _word_diff(before: Any, after: Any) -> Markup:
    return word_diff("" if before is None else str(before), "" if after is None else str(after))
