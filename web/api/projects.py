"""/api/v1/projects: propose, find, edit, back (pledge), set goals, see the team."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from flask import Response, jsonify, url_for
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import fields, validate

from domain.inputs import Goal, Pledge, ProjectChanges, ProjectDetails, checked
from domain.organisation import KINDS
from domain.project import BUDGET_BANDS, COLLABORATION_LEVELS, PHASES
from projections import project_updates as updates_view
from projections import projects as view
from projections import related
from web.api import as_of, as_of_project
from web.api.common import ListArgs, ReadArgs, answers_from, decode_offset, next_link, page_of, runtime
from web.api.fields import Moment
from web.api.organisation_filter import DESCRIPTION as ORGANISATION_FILTER
from web.api.organisation_filter import organisation_filter
from web.api.plain import answer, plain_dumper
from web.api.project_schemas import (
    GoalSchema,
    PhaseSchema,
    PledgeOutSchema,
    PledgeSchema,
    ProjectChangeSchema,
    ProjectDetailSchema,
    ProjectProposalSchema,
    ProjectSchema,
    ProjectWrittenSchema,
)
from web.http.arguments import Blueprint
from web.http.auth import actor_id
from web.http.errors import ProblemSchema

blp = Blueprint(
    "projects",
    __name__,
    url_prefix="/api/v1/projects",
    description="Projects: propose, find, follow, pledge, and the goals and teams around them.",
)


class ProjectListArgs(ListArgs):
    q = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "Full-text search"})
    phase = fields.String(validate=validate.OneOf(PHASES))
    tag = fields.String(validate=validate.Length(max=50))
    organisation = fields.String(validate=validate.Length(max=200), metadata={"description": ORGANISATION_FILTER})
    organisation_kind = fields.String(validate=validate.OneOf(KINDS))
    nation = fields.String(validate=validate.Length(max=50))
    region = fields.String(validate=validate.Length(max=100))
    collaboration_level = fields.String(validate=validate.OneOf(COLLABORATION_LEVELS))
    budget_band = fields.String(validate=validate.OneOf(BUDGET_BANDS))
    goal_state = fields.String(validate=validate.OneOf(("none", "open", "met", "missed")))
    quiet = fields.Boolean(
        metadata={"description": "true: only projects gone quiet (two nudges unanswered); false: only the others"}
    )
    updated_since = Moment()
    updated_until = Moment()
    sort = fields.String(
        validate=validate.OneOf(tuple(view.SORTS)), metadata={"description": "Default: relevance with q, else updated"}
    )
    include_archived = fields.Boolean(load_default=False)


ProjectPageSchema = type(
    "ProjectPageSchema",
    (page_of(ProjectSchema, "ProjectPageBase"),),
    {"total": fields.Integer(metadata={"description": "How many projects match, over all pages"})},
)


ProjectDetailAnswerSchema = as_of.with_as_of(ProjectDetailSchema)
PAGE, DETAIL, WRITTEN = (plain_dumper(s) for s in (ProjectPageSchema, ProjectDetailAnswerSchema, ProjectWrittenSchema))
PLEDGE = plain_dumper(PledgeOutSchema)


def _stamp(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else None


def shaped(row: dict[str, Any]) -> dict[str, Any]:
    row["organisation"] = {
        "id": row["organisation_id"],
        "code": row.get("organisation_code"),
        "name": row.get("organisation_name"),
        "kind": row.get("organisation_kind"),
    }
    if "rank" in row:
        row["score"] = round(float(row["rank"]), 4) if row["rank"] else None
    return row


def written(project_id: Any, position: int | None, status: int = 200) -> tuple[Response, int]:
    return answer(WRITTEN, {"id": project_id, "event_position": position}), status


@blp.route("")
class Projects(MethodView):
    @blp.arguments(ProjectListArgs, location="query")
    @blp.response(200, ProjectPageSchema)
    @answers_from(view.search, view.count)
    def get(self, args: dict[str, Any]) -> Response:
        """Find projects: full-text search (ranked) and filters, sorted and paged."""
        offset = decode_offset(args.get("cursor"))
        sort = args.get("sort") or ("relevance" if args.get("q") else "updated")
        if sort == "relevance" and not args.get("q"):
            said = "To sort by best match, enter search words"
            abort(422, message="Sorting by relevance needs q.", errors={"sort": [said]})
        filters = {k: v for k, v in args.items() if k in view.FILTERS or k == "q"}
        if args.get("organisation"):
            filters["organisation_id"] = organisation_filter(args["organisation"])
        for key in ("updated_since", "updated_until"):
            if key in filters:
                filters[key] = _stamp(filters[key])
        rows = view.search(
            runtime().db,
            filters,
            sort=sort,
            offset=offset,
            limit=args["limit"] + 1,
            include_archived=args["include_archived"],
        )
        more = len(rows) > args["limit"]
        items = [shaped(r) for r in rows[: args["limit"]]]
        total = view.count(runtime().db, filters, include_archived=args["include_archived"])
        return answer(
            PAGE, {"items": items, "next": next_link([offset + args["limit"]]) if more else None, "total": total}
        )

    @blp.arguments(ProjectProposalSchema)
    @blp.response(201, ProjectWrittenSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Not a verified member of an organisation")
    def post(self, data: dict[str, Any]) -> tuple[Response, int, dict[str, str]]:
        """Propose a project on behalf of your organisation; you are on its team from the start."""
        phase = data.pop("phase")
        result = runtime().app.propose_project(actor_id(), phase, checked(ProjectDetails, data))
        body, status = written(result.aggregate.id, result.position, 201)
        return body, status, {"Location": url_for("projects.ProjectDetail", project_id=result.aggregate.id)}


@blp.route("/<uuid:project_id>")
class ProjectDetail(MethodView):
    @blp.arguments(as_of.AsOfArgs, location="query")
    @blp.response(200, ProjectDetailAnswerSchema)
    @blp.alt_response(404, schema=ProblemSchema, description="No such project (or not yet, at as_of)")
    @answers_from(view.get, view.team, view.contribution_counts, updates_view.status_updates, related.around_project)
    def get(self, args: dict[str, Any], project_id: UUID) -> Response:
        """Everything about one project: fields, team, pledge totals, goal and progress, latest updates.

        With `as_of`: the project as it was then, replayed from its events."""
        if "as_of" in args:
            return answer(DETAIL, as_of_project.project(project_id, as_of.parse(args["as_of"])))
        with runtime().db.reading() as db:  # one connection, one transaction for the whole answer
            row = view.get(db, str(project_id))
            if row is None:
                abort(404, message=f"No project with id {project_id}.")
            row = shaped(row)
            row["team"] = view.team(db, str(project_id))
            row["contributions"] = view.contribution_counts(db, str(project_id))
            row["status_updates"] = updates_view.status_updates(db, str(project_id), limit=5)
        return answer(DETAIL, row)

    @blp.arguments(ProjectChangeSchema)
    @blp.response(200, ProjectWrittenSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Not allowed to edit this project")
    def patch(self, changes: dict[str, Any], project_id: UUID) -> tuple[Response, int]:
        """Edit fields; the event records each change from what to what, by whom."""
        result = runtime().app.edit_project(project_id, checked(ProjectChanges, changes), actor_id())
        return written(project_id, result.position)


@blp.route("/<uuid:project_id>/phase", methods=["POST"])
@blp.arguments(PhaseSchema)
@blp.response(200, ProjectWrittenSchema)
def change_phase(data: dict[str, Any], project_id: UUID) -> tuple[Response, int]:
    """Move the project to another phase (Concept ... Decommissioned)."""
    result = runtime().app.change_phase(project_id, data["phase"], actor_id())
    return written(project_id, result.position)


@blp.route("/<uuid:project_id>/archive", methods=["POST"])
@blp.response(200, ProjectWrittenSchema)
def archive(project_id: UUID) -> tuple[Response, int]:
    """Archive (withdraw) the project; nothing is deleted and it can be restored."""
    return written(project_id, runtime().app.archive_project(project_id, actor_id(), restore=False).position)


@blp.route("/<uuid:project_id>/restore", methods=["POST"])
@blp.response(200, ProjectWrittenSchema)
def restore(project_id: UUID) -> tuple[Response, int]:
    """Bring an archived project back."""
    return written(project_id, runtime().app.archive_project(project_id, actor_id(), restore=True).position)


@blp.route("/<uuid:project_id>/goal", methods=["PUT"])
@blp.arguments(GoalSchema)
@blp.response(200, ProjectWrittenSchema)
@blp.alt_response(409, schema=ProblemSchema, description="The goal has already been decided")
def set_goal(goal: dict[str, Any], project_id: UUID) -> tuple[Response, int]:
    """Set or change the goal (the team only): partners, money, person-days, and a deadline."""
    result = runtime().app.set_goal(project_id, checked(Goal, goal), actor_id())  # the goal decider takes it from here
    return written(project_id, result.position)


@blp.route("/<uuid:project_id>/pledges")
class Pledges(MethodView):
    @blp.arguments(ReadArgs, location="query")
    @blp.response(200, PledgeOutSchema(many=True))
    @answers_from(view.pledges)
    def get(self, args: dict[str, Any], project_id: UUID) -> Response:
        """The live pledges, one per organisation."""
        return jsonify([PLEDGE(row) for row in view.pledges(runtime().db, project_id=str(project_id))])


@blp.route("/<uuid:project_id>/pledges/mine")
class MyPledge(MethodView):
    @blp.arguments(PledgeSchema)
    @blp.response(200, ProjectWrittenSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="Goal decided, deadline passed, or archived")
    def put(self, pledge: dict[str, Any], project_id: UUID) -> tuple[Response, int]:
        """Pledge for your organisation, or amend its pledge (one live pledge per organisation)."""
        return written(
            project_id, runtime().app.pledge_for_organisation(project_id, actor_id(), checked(Pledge, pledge)).position
        )

    @blp.response(200, ProjectWrittenSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="Goal decided or deadline passed")
    def delete(self, project_id: UUID) -> tuple[Response, int]:
        """Withdraw your organisation's pledge."""
        return written(project_id, runtime().app.withdraw_pledge(project_id, actor_id()).position)
