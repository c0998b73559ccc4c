"""/api/v1/activity and its Atom feed: what happened, newest first."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import uuid5

from flask import Response, request, url_for
from marshmallow import Schema, fields, validate

from domain.organisation import NAMESPACE
from projections import activity as view
from projections.base import timestamp
from web.api.common import EVENT_CURSOR, ListArgs, ReadArgs, answers_from, decode_cursor, next_link, page_of, runtime
from web.api.organisation_filter import DESCRIPTION as ORGANISATION_FILTER
from web.api.organisation_filter import organisation_filter
from web.http.arguments import Blueprint
from web.http.validation import printable

blp = Blueprint("activity", __name__, url_prefix="/api/v1", description="What happened, newest first.")
ATOM = "http://www.w3.org/2005/Atom"
ATOM_SIZE = 50


class FeedArgs(ReadArgs):
    organisation = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": ORGANISATION_FILTER + ": what its people did and what happened to its projects"},
    )
    project = fields.UUID(metadata={"description": "Only this project"})
    person = fields.UUID(metadata={"description": "Only what this person did or was the subject of"})
    type = fields.String(validate=validate.OneOf(view.TYPES), metadata={"description": "Only this kind of activity"})


class ActivityListArgs(FeedArgs, ListArgs):
    pass


class ActivitySchema(Schema):
    id = fields.String(metadata={"description": "The event: aggregate id and version"})
    at = fields.String()
    type = fields.String(metadata={"description": f"One of: {', '.join(view.TYPES)}"})
    summary = fields.String(metadata={"description": "A line for people to read"})
    actor_id = fields.UUID(allow_none=True, metadata={"description": "Who did it (none for the system)"})
    actor_name = fields.String(allow_none=True)
    person_id = fields.UUID(allow_none=True, metadata={"description": "The person it is about"})
    person_name = fields.String(allow_none=True, metadata={"description": "'Former member' once erased"})
    organisation_id = fields.UUID(allow_none=True)
    organisation_code = fields.String(allow_none=True)
    organisation_name = fields.String(allow_none=True)
    project_id = fields.UUID(allow_none=True)
    project_title = fields.String(allow_none=True)
    detail = fields.Dict(metadata={"description": "Small facts by type: changed fields, phases, amounts"})


ActivityPageSchema = page_of(ActivitySchema, "ActivityPageSchema")


def _filters(args: dict[str, Any]) -> dict[str, Any]:
    """The feed's filters."""
    org, project, person = args.get("organisation"), args.get("project"), args.get("person")
    return {
        "organisation_id": organisation_filter(org) if org else None,
        "project_id": str(project) if project else None,
        "person_id": str(person) if person else None,
        "type": args.get("type"),
    }


@blp.route("/activity")
@blp.arguments(ActivityListArgs, location="query")
@blp.response(200, ActivityPageSchema)
@answers_from(view.feed)
def activity(args: dict[str, Any]) -> dict[str, Any]:
    """What happened, newest first: sign-ups, proposals, edits, pledges, follows, updates..."""
    filters = _filters(args)
    rows = view.feed(
        runtime().db, **filters, before=decode_cursor(args.get("cursor"), EVENT_CURSOR), limit=args["limit"] + 1
    )
    more = len(rows) > args["limit"]
    items = rows[: args["limit"]]
    return {"items": items, "next": next_link([items[-1]["at"], items[-1]["id"]]) if more else None}


@blp.route("/activity.atom")
@blp.arguments(FeedArgs, location="query")
@blp.response(200, description="An Atom 1.0 feed of the newest 50", content_type="application/atom+xml")
@answers_from(view.feed)
def activity_atom(args: dict[str, Any]) -> Response:
    """The same activity as an Atom feed, for feed readers."""
    rows = view.feed(runtime().db, **_filters(args), limit=ATOM_SIZE)
    return Response(atom(rows), mimetype="application/atom+xml")


def _urn(text: str) -> str:
    return f"urn:uuid:{uuid5(NAMESPACE, text)}"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    """A child element; text that XML 1.0 cannot carry (old events may hold it) is replaced."""
    element = ET.SubElement(parent, tag, {k: printable(v) for k, v in attributes.items()})
    element.text = printable(text) if text else text
    return element


def atom(rows: list[dict[str, Any]]) -> bytes:
    """The feed document for ``rows`` (newest first), answering the current request."""
    query = urlencode(sorted((k, v) for k, v in request.args.items() if k != "min_position"))
    feed = ET.Element("feed", xmlns=ATOM)  # children inherit the namespace
    _add(feed, "id", _urn(f"activity-feed?{query}"))
    _add(feed, "title", "Pipeline activity")
    _add(feed, "updated", rows[0]["at"] if rows else timestamp(datetime.now(UTC)))
    _add(_add(feed, "author"), "name", "Pipeline")
    _add(feed, "link", rel="self", type="application/atom+xml", href=request.url)
    alternate = url_for("activity.activity", _external=True) + (f"?{query}" if query else "")
    _add(feed, "link", rel="alternate", type="application/json", href=alternate)
    for row in rows:
        entry = _add(feed, "entry")
        _add(entry, "id", _urn(f"activity:{row['id']}"))
        _add(entry, "title", row["summary"], type="text")
        _add(entry, "updated", row["at"])
        _add(entry, "category", term=row["type"])
        _add(entry, "content", row["summary"], type="text")
        if row["project_id"]:
            href = url_for("projects.ProjectDetail", project_id=row["project_id"], _external=True)
            _add(entry, "link", rel="alternate", type="application/json", href=href)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
