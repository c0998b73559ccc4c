"""Operational endpoints: projection lag, liveness, readiness; and the sign-ups timeline."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint as FlaskBlueprint
from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from domain.organisation import KINDS
from projections import runner
from projections import signups as signups_view
from projections.registry import all_projections
from web.common import ReadArgs, runtime, wait_for_projection
from web.errors import problem
from web.fields import Day

log = logging.getLogger(__name__)

blp = Blueprint("operations", __name__, url_prefix="/api/v1", description="Read-model status and evaluators' figures.")
probes = FlaskBlueprint("probes", __name__)


class ProjectionStatusSchema(Schema):
    name = fields.String()
    position = fields.Integer(metadata={"description": "Last log position applied"})
    head = fields.Integer(metadata={"description": "Last position in the event log"})
    lag = fields.Integer(metadata={"description": "head - position, in events"})
    updated_at = fields.String(allow_none=True)


class ProjectionListSchema(Schema):
    items = fields.List(fields.Nested(ProjectionStatusSchema))


class DailySignupsArgs(ReadArgs):
    since = Day(data_key="from", metadata={"description": "First day, YYYY-MM-DD"})
    until = Day(data_key="to", metadata={"description": "Last day, YYYY-MM-DD"})
    kind = fields.String(validate=validate.OneOf(KINDS))


class DailySignupsSchema(Schema):
    day = fields.String()
    organisation_kind = fields.String()
    signups = fields.Integer()


class DailySignupsListSchema(Schema):
    items = fields.List(fields.Nested(DailySignupsSchema))


def _statuses() -> list[dict[str, Any]]:
    rt = runtime()
    return [
        {"name": s.name, "position": s.position, "head": s.head, "lag": s.lag, "updated_at": s.updated_at}
        for s in runner.status(rt.app, rt.db, all_projections())
    ]


@blp.route("/projections")
class Projections(MethodView):
    @blp.response(200, ProjectionListSchema)
    def get(self) -> dict[str, Any]:
        """Each read model's position, the head of the event log, and the lag between them."""
        return {"items": _statuses()}


@blp.route("/sign-ups/daily")
class DailySignups(MethodView):
    @blp.arguments(DailySignupsArgs, location="query")
    @blp.response(200, DailySignupsListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Sign-ups per day and kind of organisation (the sign-ups timeline)."""
        wait_for_projection("signups_timeline", args.get("min_position"))
        since, until = args.get("since"), args.get("until")
        rows = signups_view.daily(
            runtime().db,
            since=since.isoformat() if since else None,
            until=until.isoformat() if until else None,
            kind=args.get("kind"),
        )
        return {"items": rows}


@probes.get("/healthz")
def healthz() -> Any:
    """The process is up (it does not touch the database)."""
    return jsonify(status="ok")


@probes.get("/readyz")
def readyz() -> Any:
    """The event store and read models are reachable; reports projection lag."""
    try:
        statuses = _statuses()
    except Exception as error:  # any database fault means "not ready"; say which
        log.warning("readiness check failed: %s", error)
        return problem(
            503,
            "Not ready",
            f"Database not reachable or not initialised: {type(error).__name__}.",
            {"Retry-After": "5"},
        )
    return jsonify(status="ready", max_lag=max((s["lag"] for s in statuses), default=0), projections=statuses)
