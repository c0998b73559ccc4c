"""Operators' moderation: lock and unlock a project, hide and un-hide a status update, suspend and
reinstate a person, rename or merge a tag; and restoring a project's field to an earlier
version (the project's own people or an operator). Every one records an event with the
reason given, shown in the project's history or the person's record."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from marshmallow import Schema, fields, validate

from domain.project import EDITABLE
from projections import projects as view
from projections import runner
from web.api.common import runtime, wait_for_views
from web.api.fields import Prose
from web.api.project_schemas import ProjectWrittenSchema, Tag
from web.http.arguments import Blueprint
from web.http.auth import actor_id
from web.http.errors import ProblemSchema
from web.http.validation import InputSchema

blp = Blueprint(
    "moderation",
    __name__,
    url_prefix="/api/v1",
    description="Operators' moderation (lock, hide, suspend, tag renames) and restoring a field.",
)


class ReasonSchema(InputSchema):
    reason = Prose(
        required=True,
        blank=False,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "Why: shown in the history to everyone who reads it"},
    )


class RestoreSchema(InputSchema):
    field = fields.String(required=True, validate=validate.OneOf(EDITABLE))
    version = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=10**9),
        metadata={"description": "The project's version (a history entry's `version`) whose value to restore"},
    )


class TagRenameSchema(InputSchema):
    old = Tag(required=True, metadata={"description": "The tag to rename"})
    new = Tag(required=True, metadata={"description": "Its new name (a merge if a project has it already)"})
    reason = ReasonSchema._declared_fields["reason"]


class TagRenamedSchema(Schema):
    old = fields.String()
    new = fields.String()
    projects_renamed = fields.Integer(metadata={"description": "How many projects had the old tag"})
    event_position = fields.Integer(allow_none=True)


class PersonWrittenSchema(Schema):
    id = fields.UUID()
    suspended = fields.Boolean()
    event_position = fields.Integer(allow_none=True)


REFUSED = dict(schema=ProblemSchema, description="Not an operator")
CLASH = dict(schema=ProblemSchema, description="Already so (locked, hidden, suspended)")


def _project(project_id: UUID, position: int | None) -> dict[str, Any]:
    return {"id": project_id, "event_position": position}


@blp.route("/projects/<uuid:project_id>/lock", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, ProjectWrittenSchema)
@blp.alt_response(403, **REFUSED)
@blp.alt_response(409, **CLASH)
def lock(data: dict[str, Any], project_id: UUID) -> dict[str, Any]:
    """Lock a project (operators): every change to it is refused until it is unlocked."""
    return _project(project_id, runtime().app.lock_project(project_id, data["reason"], actor_id(), lock=True).position)


@blp.route("/projects/<uuid:project_id>/unlock", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, ProjectWrittenSchema)
@blp.alt_response(403, **REFUSED)
@blp.alt_response(409, schema=ProblemSchema, description="Not locked")
def unlock(data: dict[str, Any], project_id: UUID) -> dict[str, Any]:
    """Unlock a project (operators)."""
    return _project(project_id, runtime().app.lock_project(project_id, data["reason"], actor_id(), lock=False).position)


@blp.route("/projects/<uuid:project_id>/status-updates/<uuid:update_id>/hide", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, ProjectWrittenSchema)
@blp.alt_response(403, **REFUSED)
@blp.alt_response(409, **CLASH)
def hide(data: dict[str, Any], project_id: UUID, update_id: UUID) -> dict[str, Any]:
    """Hide a status update (operators): kept in the log, left out of every list."""
    written = runtime().app.hide_status_update(project_id, update_id, data["reason"], actor_id())
    return _project(update_id, written.position)


@blp.route("/projects/<uuid:project_id>/status-updates/<uuid:update_id>/unhide", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, ProjectWrittenSchema)
@blp.alt_response(403, **REFUSED)
@blp.alt_response(404, schema=ProblemSchema, description="No such status update on this project")
@blp.alt_response(409, schema=ProblemSchema, description="Not hidden")
def unhide(data: dict[str, Any], project_id: UUID, update_id: UUID) -> dict[str, Any]:
    """Show a hidden status update again (operators): listed, on the page and in the feed once more."""
    written = runtime().app.hide_status_update(project_id, update_id, data["reason"], actor_id(), hide=False)
    return _project(update_id, written.position)


@blp.route("/projects/<uuid:project_id>/restorations", methods=["POST"])
@blp.arguments(RestoreSchema)
@blp.response(200, ProjectWrittenSchema)
@blp.alt_response(403, schema=ProblemSchema, description="Not the project's people nor an operator")
@blp.alt_response(409, schema=ProblemSchema, description="The project is locked or archived")
@blp.alt_response(422, schema=ProblemSchema, description="No such earlier version, or the value is the same")
def restore(data: dict[str, Any], project_id: UUID) -> dict[str, Any]:
    """Restore one field to the value it had at an earlier version (a new event naming that version)."""
    app = runtime().app
    return _project(
        project_id, app.restore_project_field(project_id, data["field"], data["version"], actor_id()).position
    )


def _suspension(person_id: UUID, reason: str, *, suspend: bool) -> dict[str, Any]:
    rt = runtime()
    written = rt.app.suspend_person(person_id, reason, actor_id(), suspend=suspend)
    if suspend:
        rt.sessions.revoke_all(person_id)  # after the event: a session started meanwhile is refused by it
    return {"id": person_id, "suspended": suspend, "event_position": written.position}


@blp.route("/people/<uuid:person_id>/suspend", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, PersonWrittenSchema)
@blp.alt_response(403, **REFUSED)
@blp.alt_response(404, schema=ProblemSchema, description="No such person (or erased)")
@blp.alt_response(409, **CLASH)
def suspend(data: dict[str, Any], person_id: UUID) -> dict[str, Any]:
    """Suspend a person (operators): sign-in refused, their sessions ended, what they wrote kept."""
    return _suspension(person_id, data["reason"], suspend=True)


@blp.route("/people/<uuid:person_id>/reinstate", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, PersonWrittenSchema)
@blp.alt_response(403, **REFUSED)
@blp.alt_response(404, schema=ProblemSchema, description="No such person (or erased)")
@blp.alt_response(409, schema=ProblemSchema, description="Not suspended")
def reinstate(data: dict[str, Any], person_id: UUID) -> dict[str, Any]:
    """Reinstate a suspended person (operators): they may sign in again."""
    return _suspension(person_id, data["reason"], suspend=False)


@blp.route("/tag-renames", methods=["POST"])
@blp.arguments(TagRenameSchema)
@blp.response(200, TagRenamedSchema)
@blp.alt_response(403, **REFUSED)
@blp.alt_response(422, schema=ProblemSchema, description="Renamed to itself")
@blp.alt_response(503, schema=ProblemSchema, description="The projects view is behind the log; retry shortly")
def rename_tag(data: dict[str, Any]) -> dict[str, Any]:
    """Rename a tag, or merge it into another (operators): on every project that has it, and on
    projects proposed or edited later with the old name."""
    rt = runtime()
    wait_for_views(["projects"], runner.head(rt.app))  # the projects that have it, as of now (each decided on)
    projects = [UUID(p) for p in view.tagged(rt.db, data["old"])]
    written, renamed = rt.app.rename_tag(data["old"], data["new"], data["reason"], actor_id(), projects=projects)
    return {"old": data["old"], "new": data["new"], "projects_renamed": renamed, "event_position": written.position}
