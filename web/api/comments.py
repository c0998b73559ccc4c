"""/api/v1/projects/{id}/comments and /api/v1/comments/{id}: the discussion on a project.

Posting, replying, editing one's own comment and hiding or un-hiding one (operators) are commands in
``domain.discussion``; the lists and histories read the ``comments`` view."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

from domain.comment import HiddenMessage
from domain.errors import NotFound
from projections import comments as view
from projections.base import timestamp
from web.api.comment_schemas import (
    CommentEditSchema,
    CommentHistorySchema,
    CommentInSchema,
    CommentListSchema,
    CommentOutSchema,
    CommentWrittenSchema,
    HideSchema,
)
from web.api.common import ListArgs, ReadArgs, answers_from, decode_offset, next_link, runtime
from web.api.timeline import kind
from web.http.arguments import Blueprint
from web.http.auth import actor_id
from web.http.errors import ProblemSchema

blp = Blueprint("comments", __name__, url_prefix="/api/v1", description="Comments and replies on projects.")


class ThreadListArgs(ListArgs):
    """``limit`` counts threads (a first comment with all its replies), not comments."""


def _written(comment_id: Any, position: int | None, status: int = 200) -> tuple[dict[str, Any], int]:
    return {"id": comment_id, "event_position": position}, status


@blp.route("/projects/<uuid:project_id>/comments")
class ProjectComments(MethodView):
    @blp.arguments(ThreadListArgs, location="query")
    @blp.response(200, CommentListSchema)
    @blp.alt_response(400, schema=ProblemSchema, description="A cursor this API did not give out")
    @blp.alt_response(404, schema=ProblemSchema, description="No such project")
    @answers_from(view.project_comments, view.thread_count)
    def get(self, args: dict[str, Any], project_id: UUID) -> dict[str, Any]:
        """The project's discussion in thread order, a page of threads at a time (`limit` threads,
        each with all its replies; `next` for the next page): the 2014 messages first, at their times."""
        runtime().app.get_project(project_id)  # 404 if there is no such project
        offset, limit = decode_offset(args.get("cursor")), args["limit"]
        with runtime().db.reading() as db:  # the page and its count from one moment
            items = view.project_comments(db, str(project_id), offset=offset, limit=limit)
            total = view.thread_count(db, str(project_id))
        more = offset + limit < total
        return {"items": items, "total": total, "next": next_link([offset + limit]) if more else None}

    @blp.arguments(CommentInSchema)
    @blp.response(201, CommentWrittenSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="The project is archived, or the parent is hidden")
    @blp.alt_response(422, schema=ProblemSchema, description="Blank, hidden characters, or an unknown mention")
    @blp.alt_response(429, schema=ProblemSchema, description="Too many comments: see Retry-After")
    def post(self, data: dict[str, Any], project_id: UUID) -> tuple[dict[str, Any], int]:
        """Comment on the project, or reply (``parent_id``); mention organisations as @[name]."""
        result = runtime().app.post_comment(project_id, actor_id(), data["body"], data["parent_id"])
        return _written(result.aggregate.id, result.position, 201)


@blp.route("/comments/<uuid:comment_id>")
class CommentDetail(MethodView):
    @blp.arguments(ReadArgs, location="query")
    @blp.response(200, CommentOutSchema)
    @blp.alt_response(404, schema=ProblemSchema, description="No such comment")
    @answers_from(view.comment)
    def get(self, args: dict[str, Any], comment_id: UUID) -> dict[str, Any]:
        """One comment as it reads now."""
        row = view.comment(runtime().db, str(comment_id))
        if row is None:
            raise NotFound("No comment with that id.")
        return row

    @blp.arguments(CommentEditSchema)
    @blp.response(200, CommentWrittenSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Not the author")
    @blp.alt_response(409, schema=ProblemSchema, description="Hidden by a moderator")
    def patch(self, data: dict[str, Any], comment_id: UUID) -> tuple[dict[str, Any], int]:
        """The author edits their comment; every earlier version stays in its history."""
        return _written(comment_id, runtime().app.edit_comment(comment_id, actor_id(), data["body"]).position)


@blp.route("/comments/<uuid:comment_id>/history")
class CommentHistory(MethodView):
    @blp.arguments(ReadArgs, location="query")
    @blp.response(200, CommentHistorySchema)
    @blp.alt_response(404, schema=ProblemSchema, description="No such comment")
    @answers_from(view.comment, view.versions)
    def get(self, args: dict[str, Any], comment_id: UUID) -> dict[str, Any]:
        """Every version of the text, oldest first (none of a hidden comment's; none once removed)."""
        row = view.comment(runtime().db, str(comment_id))
        if row is None:
            raise NotFound("No comment with that id.")
        versions = view.versions(runtime().db, str(comment_id))
        if row["hidden"]:
            versions = [{**v, "body": None} for v in versions]
        return {"id": comment_id, "versions": versions, "moderation": _moderation(comment_id)}


MODERATION = {
    "Comment.Hidden": "hidden",
    "Comment.Unhidden": "unhidden",
    "HiddenMessage.Hidden": "hidden",
    "HiddenMessage.HiddenAgain": "hidden",
    "HiddenMessage.Unhidden": "unhidden",
}


def _moderation(comment_id: UUID) -> list[dict[str, Any]]:
    """The hidings and un-hidings, read from the log: a comment's own events, or those of the
    aggregate that hides a message taken in from 2014."""
    events = runtime().app.events
    found: list[Any] = [*events.get(comment_id), *events.get(HiddenMessage.id_for(comment_id))]
    return [
        {"action": MODERATION[kind(e)], "reason": getattr(e, "reason", None), "at": timestamp(e.timestamp)}
        for e in found
        if kind(e) in MODERATION
    ]


@blp.route("/comments/<uuid:comment_id>/hide", methods=["POST"])
@blp.arguments(HideSchema)
@blp.response(200, CommentWrittenSchema)
@blp.alt_response(403, schema=ProblemSchema, description="Not an operator")
@blp.alt_response(409, schema=ProblemSchema, description="Already hidden")
def hide(data: dict[str, Any], comment_id: UUID) -> tuple[dict[str, Any], int]:
    """An operator hides a comment; "hidden by a moderator" and the reason show in its place."""
    return _written(comment_id, runtime().app.hide_comment(comment_id, actor_id(), data["reason"]).position)


@blp.route("/comments/<uuid:comment_id>/unhide", methods=["POST"])
@blp.arguments(HideSchema)
@blp.response(200, CommentWrittenSchema)
@blp.alt_response(403, schema=ProblemSchema, description="Not an operator")
@blp.alt_response(404, schema=ProblemSchema, description="No such comment")
@blp.alt_response(409, schema=ProblemSchema, description="Not hidden")
def unhide(data: dict[str, Any], comment_id: UUID) -> tuple[dict[str, Any], int]:
    """An operator shows a hidden comment again; the hiding and this reason stay in its history."""
    written = runtime().app.hide_comment(comment_id, actor_id(), data["reason"], hide=False)
    return _written(comment_id, written.position)
