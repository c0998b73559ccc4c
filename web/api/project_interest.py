"""The signals around a project: status updates, follows, "we need this too",
contribution requests, and who follows."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields

from projections import project_updates as updates_view
from projections import projects as view
from web.api.common import TIME_ID_CURSOR, ListArgs, ReadArgs, answers_from, decode_cursor, next_link, page_of, runtime
from web.api.project_schemas import (
    CommentSchema,
    DeclineSchema,
    MessageSchema,
    ProjectWrittenSchema,
    StatusUpdateOutSchema,
    TextBodySchema,
)
from web.api.projects import written
from web.http.arguments import Blueprint
from web.http.auth import actor_id
from web.http.errors import ProblemSchema

blp = Blueprint(
    "project_interest",
    __name__,
    url_prefix="/api/v1/projects",
    description="Status updates, following, needs and contribution requests.",
)


StatusUpdatePageSchema = page_of(StatusUpdateOutSchema, "StatusUpdatePageSchema")


def _exists(project_id: UUID) -> None:
    runtime().app.get_project(project_id)  # 404 if there is no such project


class FollowerSchema(Schema):
    person_id = fields.UUID()
    name = fields.String(allow_none=True, metadata={"description": "'Former member' if erased"})
    since = fields.String()


class NeedSchema(Schema):
    organisation_id = fields.UUID()
    organisation_name = fields.String()
    organisation_code = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    declared_at = fields.String()


class ContributionRequestSchema(Schema):
    id = fields.UUID()
    project_id = fields.UUID()
    person_id = fields.UUID()
    person_name = fields.String(allow_none=True)
    organisation_id = fields.UUID()
    organisation_name = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    requested_at = fields.String()
    decision = fields.String(allow_none=True, metadata={"enum": ["approved", "declined", "withdrawn", None]})
    decided_at = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


@blp.route("/<uuid:project_id>/status-updates")
class StatusUpdates(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, StatusUpdatePageSchema)
    @answers_from(updates_view.status_updates)
    def get(self, args: dict[str, Any], project_id: UUID) -> dict[str, Any]:
        """Status updates, newest first (retracted ones left out), a page at a time."""
        after = decode_cursor(args.get("cursor"), TIME_ID_CURSOR)
        rows = updates_view.status_updates(runtime().db, str(project_id), limit=args["limit"] + 1, after=after)
        more = len(rows) > args["limit"]
        rows = rows[: args["limit"]]
        return {"items": rows, "next": next_link([rows[-1]["posted_at"], rows[-1]["id"]]) if more else None}

    @blp.arguments(TextBodySchema)
    @blp.response(201, ProjectWrittenSchema)
    def post(self, data: dict[str, Any], project_id: UUID) -> tuple[Response, int]:
        """Post a dated progress note (the team and the owning organisation)."""
        result = runtime().app.post_status_update(project_id, data["body"], actor_id())
        return written(result.aggregate.id, result.position, 201)


@blp.route("/<uuid:project_id>/status-updates/<uuid:update_id>")
class StatusUpdateDetail(MethodView):
    @blp.arguments(TextBodySchema)
    @blp.response(200, ProjectWrittenSchema)
    def patch(self, data: dict[str, Any], project_id: UUID, update_id: UUID) -> tuple[Response, int]:
        """Correct an update; its earlier revisions stay in the history."""
        return written(update_id, _revise(project_id, update_id, data["body"]))

    @blp.response(200, ProjectWrittenSchema)
    def delete(self, project_id: UUID, update_id: UUID) -> tuple[Response, int]:
        """Retract an update (it stays in the history, marked retracted)."""
        return written(update_id, _revise(project_id, update_id, None))


def _revise(project_id: UUID, update_id: UUID, body: str | None) -> int | None:
    return runtime().app.revise_status_update(project_id, update_id, body, actor_id()).position


@blp.route("/<uuid:project_id>/follow")
class FollowProject(MethodView):
    @blp.response(200, ProjectWrittenSchema)
    def post(self, project_id: UUID) -> tuple[Response, int]:
        """Follow the project (idempotent)."""
        return written(project_id, runtime().app.follow(project_id, actor_id(), following=True).position)

    @blp.response(200, ProjectWrittenSchema)
    def delete(self, project_id: UUID) -> tuple[Response, int]:
        """Stop following (idempotent)."""
        return written(project_id, runtime().app.follow(project_id, actor_id(), following=False).position)


@blp.route("/<uuid:project_id>/followers")
class Followers(MethodView):
    @blp.arguments(ReadArgs, location="query")
    @blp.response(200, FollowerSchema(many=True))
    @answers_from(view.followers)
    def get(self, args: dict[str, Any], project_id: UUID) -> list[dict[str, Any]]:
        """Who follows the project (names only)."""
        _exists(project_id)
        return view.followers(runtime().db, str(project_id))


@blp.route("/<uuid:project_id>/needs")
class Needs(MethodView):
    @blp.arguments(ReadArgs, location="query")
    @blp.response(200, NeedSchema(many=True))
    @answers_from(view.needs)
    def get(self, args: dict[str, Any], project_id: UUID) -> list[dict[str, Any]]:
        """Organisations that said "we need this too"."""
        _exists(project_id)
        return view.needs(runtime().db, str(project_id))

    @blp.arguments(CommentSchema)
    @blp.response(200, ProjectWrittenSchema)
    def post(self, data: dict[str, Any], project_id: UUID) -> tuple[Response, int]:
        """Say your organisation needs this too, with an optional comment."""
        return written(project_id, runtime().app.declare_need(project_id, actor_id(), data["comment"]).position)

    @blp.response(200, ProjectWrittenSchema)
    def delete(self, project_id: UUID) -> tuple[Response, int]:
        """Take your organisation's "we need this too" back."""
        result = runtime().app.declare_need(project_id, actor_id(), None, withdraw=True)
        return written(project_id, result.position)


@blp.route("/<uuid:project_id>/contribution-requests")
class ContributionRequests(MethodView):
    @blp.arguments(ReadArgs, location="query")
    @blp.response(200, ContributionRequestSchema(many=True))
    @answers_from(updates_view.contribution_requests)
    def get(self, args: dict[str, Any], project_id: UUID) -> list[dict[str, Any]]:
        """Requests to join the team, with their decisions (requesters see theirs here)."""
        _exists(project_id)
        return updates_view.contribution_requests(runtime().db, str(project_id))

    @blp.arguments(MessageSchema)
    @blp.response(201, ProjectWrittenSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="Already on the team")
    def post(self, data: dict[str, Any], project_id: UUID) -> tuple[Response, int]:
        """Ask to contribute; the project's team decides."""
        result = runtime().app.request_contribution(project_id, actor_id(), data["message"])
        return written(result.aggregate.id, result.position, 201)


def _decide(project_id: UUID, request_id: UUID, approve: bool, reason: str | None) -> tuple[Response, int]:
    result = runtime().app.decide_contribution(project_id, request_id, actor_id(), approve=approve, reason=reason)
    return written(request_id, result.position)


@blp.route("/<uuid:project_id>/contribution-requests/<uuid:request_id>/approve", methods=["POST"])
@blp.response(200, ProjectWrittenSchema)
@blp.alt_response(409, schema=ProblemSchema, description="Already decided")
def approve(project_id: UUID, request_id: UUID) -> tuple[Response, int]:
    """Approve: the requester joins the team (the team decides)."""
    return _decide(project_id, request_id, True, None)


@blp.route("/<uuid:project_id>/contribution-requests/<uuid:request_id>/decline", methods=["POST"])
@blp.arguments(DeclineSchema)
@blp.response(200, ProjectWrittenSchema)
def decline(data: dict[str, Any], project_id: UUID, request_id: UUID) -> tuple[Response, int]:
    """Decline, with an optional reason the requester will see."""
    return _decide(project_id, request_id, False, data["reason"])
