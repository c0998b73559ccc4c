"""/api/v1/{projects,people,organisations}/{id}/history: every event of a resource, in
order, from the event store: type, time, version, actor ({id, name}), data, and edits
as field changes (before, after). Paged: ``limit`` (default 100, at most 500) and the
``next`` link, which carries ``after`` (the last entry seen)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from flask import request
from marshmallow import Schema, fields, validate

from domain.errors import NotFound
from domain.organisation import Organisation, organisation_id
from domain.person import Person
from domain.personal import FORMER_MEMBER
from domain.project import Project
from projections import related
from web.api import timeline
from web.api.common import (
    EVENT_CURSOR,
    MAX_LIMIT,
    ReadArgs,
    answers_from,
    decode_cursor,
    encode_cursor,
    page_of,
    runtime,
)
from web.http.arguments import Blueprint
from web.http.auth import current_person
from web.http.errors import ProblemSchema
from web.http.validation import InputSchema

blp = Blueprint("history", __name__, url_prefix="/api/v1", description="What happened to a resource, event by event.")


class HistoryArgs(InputSchema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_LIMIT))
    after = fields.String(
        validate=validate.Length(max=500),
        metadata={"description": "Opaque: the `next` link carries it (entries after the last one seen)."},
    )


class ProjectHistoryArgs(HistoryArgs, ReadArgs):
    """A project's history finds its follows, needs, requests and updates through a view."""


class ActorSchema(Schema):
    id = fields.UUID()
    name = fields.String(allow_none=True, metadata={"description": "'Former member' once the person is erased"})


class ChangeSchema(Schema):
    field = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class HistoryEntrySchema(Schema):
    id = fields.String(metadata={"description": "<aggregate id>:<version>"})
    aggregate_id = fields.UUID()
    version = fields.Integer()
    type = fields.String(metadata={"example": "Project.Edited"})
    time = fields.String(metadata={"description": "When it happened (UTC)"})
    actor = fields.Nested(ActorSchema, allow_none=True, metadata={"description": "Null: Pipeline itself"})
    data = fields.Dict(metadata={"description": "The event's fields (personal data only where you may see it)"})
    changes = fields.List(
        fields.Nested(ChangeSchema), allow_none=True, metadata={"description": "Edits only: each field's change"}
    )


HistoryPageSchema = page_of(HistoryEntrySchema, "HistoryPageSchema")


def _require(aggregate_id: UUID, cls: type, what: str) -> None:
    """404 unless ``aggregate_id`` names a ``cls`` (its first event says which)."""
    first = list(runtime().app.events.get(aggregate_id, lte=1))
    if not first or not timeline.kind(first[0]).startswith(f"{cls.__name__}."):
        raise NotFound(f"No {what} with id {aggregate_id}.")


def _names(ids: set[UUID]) -> dict[UUID, str | None]:
    app, names = runtime().app, dict[UUID, str | None]()
    reveal = app.personal.revealer(ids)
    for person_id in ids:
        try:
            person: Any = app.repository.get(person_id)
        except AggregateNotFoundError:
            names[person_id] = None
            continue
        names[person_id] = reveal(person_id, person.name) or FORMER_MEMBER if isinstance(person, Person) else None
    return names


def _answer(ids: list[UUID], args: dict[str, Any]) -> dict[str, Any]:
    values = decode_cursor(args.get("after"), EVENT_CURSOR)
    after = None
    if values:
        aggregate, _, version = values[1].rpartition(":")
        after = (values[0], aggregate, int(version))
    reader = current_person()
    opener = timeline.Opener(runtime().app.personal, reader.id if reader is not None else None)
    items, more = timeline.page(runtime().app, ids, after, args["limit"], opener)
    _withhold_hidden(items, reader)
    names = _names({item["actor_id"] for item in items if item["actor_id"] is not None})
    for item in items:
        actor = item.pop("actor_id")
        item["actor"] = None if actor is None else {"id": actor, "name": names.get(actor)}
    return {"items": items, "next": _next(items[-1]) if more else None}


def _withhold_hidden(items: list[dict[str, Any]], reader: Any) -> None:
    """A status update an operator hid keeps its place in the history, but its text is shown
    to operators only (``body`` null, ``hidden`` true for everyone else)."""
    if reader is not None and reader.is_operator:
        return
    app, hidden = runtime().app, dict[UUID, bool]()
    for item in items:
        if not str(item["type"]).startswith("StatusUpdate."):
            continue
        update_id = item["aggregate_id"]
        if update_id not in hidden:
            hidden[update_id] = bool(getattr(app.repository.get(update_id), "hidden", None))
        if hidden[update_id]:
            item["data"] = {**item["data"], "body": None, "hidden": True} if "body" in item["data"] else item["data"]
            for change in item.get("changes") or []:
                change["before"] = change["after"] = None


def _next(last: dict[str, Any]) -> str:
    query = {k: v for k, v in request.args.items() if k not in ("after", "min_position")}
    query["after"] = encode_cursor([last["time"], last["id"]])
    return f"{request.path}?{urlencode(query)}"


DOC = dict(description="Not found, or not that kind of resource")


@blp.route("/projects/<uuid:project_id>/history")
@blp.arguments(ProjectHistoryArgs, location="query")
@blp.response(200, HistoryPageSchema)
@blp.alt_response(404, schema=ProblemSchema, **DOC)
@answers_from(related.around_project)
def project_history(args: dict[str, Any], project_id: UUID) -> dict[str, Any]:
    """The project's events with its pledges, follows, needs, contribution requests and status updates."""
    _require(project_id, Project, "project")
    around = related.around_project(runtime().db, str(project_id))
    return _answer([project_id, *sorted(around)], args)


@blp.route("/people/<uuid:person_id>/history")
@blp.arguments(HistoryArgs, location="query")
@blp.response(200, HistoryPageSchema)
@blp.alt_response(404, schema=ProblemSchema, **DOC)
def person_history(args: dict[str, Any], person_id: UUID) -> dict[str, Any]:
    """The person's own events: sign-up, verification, moves, membership, profile changes, erasure."""
    _require(person_id, Person, "person")
    return _answer([person_id], args)


@blp.route("/organisations/<code_or_id>/history")
@blp.arguments(HistoryArgs, location="query")
@blp.response(200, HistoryPageSchema)
@blp.alt_response(404, schema=ProblemSchema, **DOC)
def organisation_history(args: dict[str, Any], code_or_id: str) -> dict[str, Any]:
    """The organisation's events (by register code or id): registration, details, admins, domains."""
    org_id = organisation_id(code_or_id)
    _require(org_id, Organisation, "organisation")
    return _answer([org_id], args)
