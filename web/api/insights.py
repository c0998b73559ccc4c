"""Tags, calendar, stats, similar projects, the CSV export and per-organisation views."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import chain
from typing import Any
from uuid import UUID

from flask import Response, stream_with_context
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from domain.organisation import KINDS, organisation_id
from domain.project import PHASES
from projections import insights as view
from projections import organisations as directory
from projections import projects as projects_view
from projections.base import timestamp
from web.api.common import ListArgs, ReadArgs, answers_from, decode_offset, next_link, runtime
from web.api.fields import OrganisationSummarySchema
from web.api.organisation_filter import organisation_filter
from web.api.project_schemas import PledgeOutSchema, ProjectSchema
from web.api.projects import ProjectListArgs, ProjectPageSchema, shaped
from web.http.arguments import Blueprint
from web.http.errors import ProblemSchema
from web.http.validation import printable

blp = Blueprint("insights", __name__, url_prefix="/api/v1", description="Figures and views across projects.")
MAX_MONTHS = 36
MONTH = validate.Regexp(
    r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$", error="Enter a month like 2027-03, between 1900 and 2199"
)
UNSAFE_CELL_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets may run as a formula


def _counts(keys: Iterable[str]) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "Every one of: " + ", ".join(keys)}
    )


def _list(name: str, item: type[Schema], *, order: str, paged: bool = True) -> type[Schema]:
    """An ``{"items": [...], "next": link}`` envelope (without ``next`` when not paged)."""
    body: dict[str, fields.Field] = {"items": fields.List(fields.Nested(item), metadata={"description": order})}
    if paged:
        body["next"] = fields.String(allow_none=True, metadata={"description": "The next page, if any"})
    return Schema.from_dict(body, name=name)


class CalendarArgs(ReadArgs):
    start = fields.String(data_key="from", validate=MONTH, metadata={"description": "YYYY-MM; default this month"})
    end = fields.String(
        data_key="to",
        validate=MONTH,
        metadata={"description": f"YYYY-MM; default from + 11 months; at most {MAX_MONTHS} months"},
    )


TagSchema = Schema.from_dict(
    {
        "tag": fields.String(),
        "project_count": fields.Integer(metadata={"description": "Non-archived projects with this tag"}),
    },
    name="Tag",
)
CalendarProjectSchema = Schema.from_dict(
    {
        "id": fields.UUID(),
        "title": fields.String(),
        "phase": fields.String(),
        "phase_start": fields.String(allow_none=True),
        "phase_end": fields.String(allow_none=True),
        "phase_dates_estimated": fields.Boolean(allow_none=True),
        "organisation": fields.Nested(OrganisationSummarySchema),
    },
    name="CalendarProject",
)
CalendarDeadlineSchema = Schema.from_dict(
    {
        "id": fields.UUID(metadata={"description": "The project"}),
        "title": fields.String(),
        "deadline": fields.String(),
        "goal_state": fields.String(metadata={"enum": ["open", "met", "missed"]}),
        "organisation": fields.Nested(OrganisationSummarySchema),
    },
    name="CalendarDeadline",
)
CalendarMonthSchema = Schema.from_dict(
    {
        "month": fields.String(metadata={"description": "YYYY-MM"}),
        "projects": fields.List(fields.Nested(CalendarProjectSchema), metadata={"description": "Phase runs in it"}),
        "deadlines": fields.List(fields.Nested(CalendarDeadlineSchema), metadata={"description": "Goal deadlines"}),
    },
    name="CalendarMonth",
)
CalendarSchema = Schema.from_dict(
    {
        "start": fields.String(data_key="from"),
        "end": fields.String(data_key="to"),
        "months": fields.List(fields.Nested(CalendarMonthSchema)),
    },
    name="Calendar",
)


class SimilarArgs(ReadArgs):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class SimilarProjectSchema(ProjectSchema):
    score = fields.Float(metadata={"description": "Shared tags plus half the word overlap: a tag outweighs words"})
    shared_tags = fields.List(fields.String())
    text_similarity = fields.Float(metadata={"description": "Word overlap of title and summary, 0 to 1"})


class ExportArgs(ProjectListArgs):
    class Meta:
        exclude = ("limit", "cursor", "sort")


class StatsSchema(Schema):
    organisations = fields.Nested(
        Schema.from_dict({"with_members": fields.Integer(), "by_kind": _counts(KINDS)}, name="OrganisationFigures")
    )
    people = fields.Integer(metadata={"description": "Signed up and not erased"})
    projects = fields.Nested(
        Schema.from_dict(
            {"total": fields.Integer(metadata={"description": "Non-archived"}), "by_phase": _counts(PHASES)},
            name="ProjectFigures",
        )
    )
    pledges = fields.Nested(
        Schema.from_dict(
            {
                "money": fields.String(metadata={"description": "GBP, to non-archived projects"}),
                "days": fields.String(metadata={"description": "Person-days"}),
                "count": fields.Integer(),
                "organisations": fields.Integer(metadata={"description": "Distinct pledging organisations"}),
            },
            name="PledgeFigures",
        )
    )
    goals = fields.Nested(
        Schema.from_dict(
            {
                "open": fields.Integer(),
                "met": fields.Integer(),
                "missed": fields.Integer(),
                "awaiting_decision": fields.Integer(metadata={"description": "Open, with the deadline passed"}),
            },
            name="GoalFigures",
        )
    )


class OrganisationListArgs(ListArgs):
    include_archived = fields.Boolean(load_default=False)


class OrganisationPledgeSchema(PledgeOutSchema):
    project_phase = fields.String()
    project_goal_state = fields.String()
    project_archived = fields.Boolean()
    project_organisation = fields.Nested(OrganisationSummarySchema, metadata={"description": "The project's owner"})


MemberSchema = Schema.from_dict({"id": fields.UUID(), "name": fields.String()}, name="Member")
TagListSchema = _list("TagList", TagSchema, order="Most used first, ties by tag", paged=False)
SimilarListSchema = _list("SimilarList", SimilarProjectSchema, order="Most similar first", paged=False)
OrganisationPledgePageSchema = _list("OrganisationPledgePage", OrganisationPledgeSchema, order="Newest first")
MemberPageSchema = _list("MemberPage", MemberSchema, order="Oldest sign-up first")


# ------------------------------------------------------------------ views
@blp.route("/tags")
@blp.arguments(ReadArgs, location="query")
@blp.response(200, TagListSchema)
@answers_from(view.tags)
def tags(args: dict[str, Any]) -> dict[str, Any]:
    """Every tag with its count of non-archived projects, most used first."""
    db = runtime().db
    with db.reading() as reader:
        return {"items": view.tags(reader, owner=db)}


@blp.route("/calendar")
@blp.arguments(CalendarArgs, location="query")
@blp.response(200, CalendarSchema)
@blp.alt_response(422, schema=ProblemSchema, description="Not a month, reversed, or more than 36 months")
@answers_from(view.calendar)
def calendar(args: dict[str, Any]) -> dict[str, Any]:
    """Per month: projects whose phase runs in it, and goal deadlines falling in it."""
    start = args.get("start") or datetime.now(UTC).strftime("%Y-%m")
    end = args.get("end") or view.shift(start, 11)
    if not start <= end <= view.shift(start, MAX_MONTHS - 1):
        abort(
            422,
            message=f"Give a range of 1 to {MAX_MONTHS} months, from before to.",
            errors={"to": [f"The last month must be between {start} and {MAX_MONTHS} months later"]},
        )
    return {"start": start, "end": end, "months": view.calendar(runtime().db, start, end)}


@blp.route("/projects/<uuid:project_id>/similar")
@blp.arguments(SimilarArgs, location="query")
@blp.response(200, SimilarListSchema)
@blp.alt_response(404, schema=ProblemSchema, description="No such project")
@answers_from(view.similar)
def similar(args: dict[str, Any], project_id: UUID) -> dict[str, Any]:
    """Other non-archived projects sharing tags or wording, most similar first."""
    rows = view.similar(runtime().db, str(project_id), args["limit"])
    if rows is None:
        abort(404, message=f"No project with id {project_id}.")
    return {"items": [shaped(r) for r in rows]}


def _cell(value: Any) -> str:
    text = "" if value is None else ("true" if value else "false") if isinstance(value, bool) else str(value)
    text = printable(text)  # rows stored before text was checked at the door may hold anything
    return "'" + text if text.startswith(UNSAFE_CELL_START) else text


def _csv(batches: Iterable[list[dict[str, Any]]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(view.EXPORT_COLUMNS)
    for batch in batches:
        writer.writerows([_cell(record[c]) for c in view.EXPORT_COLUMNS] for record in batch)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


@blp.route("/projects.csv")
@blp.arguments(ExportArgs, location="query")
@blp.response(
    200,
    {"type": "string"},
    content_type="text/csv",
    description="One row per project, after a header",
    headers={"Content-Disposition": {"description": "attachment; filename=…", "schema": {"type": "string"}}},
)
@answers_from(view.export_batches)
def export(args: dict[str, Any]) -> Response:
    """Every public field of every project as CSV, with the filters of GET /projects."""
    filters = {k: v for k, v in args.items() if k in projects_view.FILTERS or k == "q"}
    if args.get("organisation"):
        filters["organisation_id"] = organisation_filter(args["organisation"])
    for key in ("updated_since", "updated_until"):
        if key in filters:
            filters[key] = timestamp(filters[key])
    batches = view.export_batches(runtime().db, filters, include_archived=args["include_archived"])
    first = next(batches)  # read before answering, so a database fault is a proper error response
    name = f"pipeline-projects-{datetime.now(UTC):%Y-%m-%d}.csv"
    return Response(
        stream_with_context(_csv(chain([first], batches))),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@blp.route("/stats")
@blp.arguments(ReadArgs, location="query")
@blp.response(200, StatsSchema)
@answers_from(view.stats)
def stats(args: dict[str, Any]) -> dict[str, Any]:
    """Home-page figures: organisations with members, people, projects per phase, pledges, goals."""
    db = runtime().db
    with db.reading() as reader:
        return view.stats(reader, datetime.now(UTC).isoformat(), owner=db)


# ---------------------------------------------------------- organisations
def _organisation(code_or_id: str) -> str:
    """The organisation's id; 404 if unknown."""
    org_id = str(organisation_id(code_or_id))
    if directory.get_by_id(runtime().db, org_id) is None:
        abort(404, message=f"No organisation with code or id {code_or_id!r}.")
    return org_id


def _offset(args: dict[str, Any]) -> int:
    return decode_offset(args.get("cursor"))


def _page(rows: list[dict[str, Any]], offset: int, limit: int) -> dict[str, Any]:
    return {"items": rows[:limit], "next": next_link([offset + limit]) if len(rows) > limit else None}


@blp.route("/organisations/<code_or_id>/projects")
@blp.arguments(OrganisationListArgs, location="query")
@blp.response(200, ProjectPageSchema)
@blp.alt_response(404, schema=ProblemSchema, description="No such organisation")
@answers_from(directory.get_by_id, projects_view.search)
def organisation_projects(args: dict[str, Any], code_or_id: str) -> dict[str, Any]:
    """The projects the organisation owns, newest first."""
    org_id, offset = _organisation(code_or_id), _offset(args)
    rows = projects_view.search(
        runtime().db,
        {"organisation_id": org_id},
        sort="created",
        offset=offset,
        limit=args["limit"] + 1,
        include_archived=args["include_archived"],
    )
    return _page([shaped(r) for r in rows], offset, args["limit"])


@blp.route("/organisations/<code_or_id>/pledges")
@blp.arguments(OrganisationListArgs, location="query")
@blp.response(200, OrganisationPledgePageSchema)
@blp.alt_response(404, schema=ProblemSchema, description="No such organisation")
@answers_from(directory.get_by_id, view.organisation_pledges)
def organisation_pledges(args: dict[str, Any], code_or_id: str) -> dict[str, Any]:
    """The live pledges the organisation has made to other organisations' projects, newest first."""
    org_id, offset = _organisation(code_or_id), _offset(args)
    rows = view.organisation_pledges(
        runtime().db, org_id, offset=offset, limit=args["limit"] + 1, include_archived=args["include_archived"]
    )
    return _page(rows, offset, args["limit"])


@blp.route("/organisations/<code_or_id>/people")
@blp.arguments(ListArgs, location="query")
@blp.response(200, MemberPageSchema)
@blp.alt_response(404, schema=ProblemSchema, description="No such organisation")
@answers_from(directory.get_by_id, view.organisation_people)
def organisation_people(args: dict[str, Any], code_or_id: str) -> dict[str, Any]:
    """The organisation's current members, by name (never their email), oldest sign-up first."""
    org_id, offset = _organisation(code_or_id), _offset(args)
    rows = view.organisation_people(runtime().db, org_id, offset=offset, limit=args["limit"] + 1)
    return _page(rows, offset, args["limit"])
