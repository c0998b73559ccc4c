"""Operational endpoints: projection lag, liveness, readiness; and the sign-ups timeline."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import Blueprint as FlaskBlueprint
from flask import current_app, jsonify, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from domain.organisation import KINDS
from projections import runner
from projections import signups as signups_view
from web.api.common import ReadArgs, answers_from, runtime
from web.api.fields import Day
from web.http.arguments import Blueprint
from web.http.errors import problem
from workers.adapters.kek import KekError
from workers.runtime.bootstrap import Runtime
from workers.runtime.follow import all_followers

log = logging.getLogger(__name__)

blp = Blueprint("operations", __name__, url_prefix="/api/v1", description="Read-model status and evaluators' figures.")
probes = FlaskBlueprint("probes", __name__)


class ProjectionStatusSchema(Schema):
    name = fields.String()
    state = fields.String(
        metadata={"description": "ok, behind (still applying new events) or failing (see error)"},
        validate=validate.OneOf(["ok", "behind", "failing"]),
    )
    position = fields.Integer(metadata={"description": "Last log position applied"})
    head = fields.Integer(metadata={"description": "Last position in the event log"})
    lag = fields.Integer(metadata={"description": "head - position, in events"})
    updated_at = fields.String(allow_none=True)
    error = fields.String(allow_none=True, metadata={"description": "Why the next batch fails, when failing"})
    failing_since = fields.String(allow_none=True, metadata={"description": "When it first failed, UTC"})
    attempts = fields.Integer(metadata={"description": "Failed attempts in a row"})
    retry_at = fields.String(allow_none=True, metadata={"description": "Next automatic attempt, UTC"})


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


def _statuses(rt: Runtime | None = None) -> list[dict[str, Any]]:
    rt = rt or runtime()
    return [s.as_dict() for s in runner.status(rt.app, rt.db, all_followers())]


def _ready(rt: Runtime) -> list[dict[str, Any]]:
    """The statuses, once the KEK has been shown to open the database's keys."""
    rt.keys.email_index_id("readiness@pipeline.invalid")  # raises KekError for a wrong KEK
    return _statuses(rt)


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
    @answers_from(signups_view.daily)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Sign-ups per day and kind of organisation (the sign-ups timeline)."""
        since, until = args.get("since"), args.get("until")
        rows = signups_view.daily(
            runtime().db,
            since=since.isoformat() if since else None,
            until=until.isoformat() if until else None,
            kind=args.get("kind"),
        )
        return {"items": rows}


# Endpoints that never touch the database: they answer whatever its state.
WITHOUT_DATABASE = frozenset({"probes.healthz", "api-docs.openapi_json", "static"})


def refuse_until_initialised() -> None:
    """Every endpoint answers 503 (not a 422, 401 or 500 from whatever it reaches first)
    until ``pipeline init`` has made the tables. Checked once per process after it has.
    /readyz checks for itself, within its own time bound."""
    app = current_app
    if app.extensions.get("pipeline_initialised") or request.endpoint in (*WITHOUT_DATABASE, "probes.readyz"):
        return
    db = runtime().db
    for projection in all_followers():  # NotInitialised or a database fault: both 503
        runner.position(db, projection.name)
    app.extensions["pipeline_initialised"] = True


@probes.record_once
def _check_before_everything(state: Any) -> None:
    # First of all the app's request hooks: before access checks answer 401.
    state.app.before_request_funcs.setdefault(None, []).insert(0, refuse_until_initialised)


@probes.get("/healthz")
def healthz() -> Any:
    """The process is up (it does not touch the database)."""
    return jsonify(status="ok")


# Readiness answers within READY_WITHIN seconds whatever the database does: the check
# runs on a small pool of its own threads and is abandoned when late (it ends by itself,
# bounded by the database timeouts). At most two checks hold a connection at once.
READY_WITHIN = 1.5
_checks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readyz")


@probes.get("/readyz")
def readyz() -> Any:
    """Ready when the event store and read models answer and no projection is failing."""
    try:
        statuses = _checks.submit(_ready, runtime()).result(timeout=READY_WITHIN)
    except FutureTimeout:
        log.warning("readiness check: the database did not answer within %s s", READY_WITHIN)
        return _not_ready(f"The database did not answer within {READY_WITHIN} s.")
    except KekError as error:
        log.error("readiness check: %s", error)
        return _not_ready(f"The key-encryption key does not open this database's keys: {error}")
    except Exception as error:  # any database fault means "not ready"; say which
        log.warning("readiness check failed: %s", error, exc_info=True)
        return _not_ready(f"Database not reachable or not initialised: {type(error).__name__}.")
    failing = [s for s in statuses if s["state"] == "failing"]
    if failing:
        names = ", ".join(f"{s['name']} ({s['error']})" for s in failing)
        return _not_ready(f"Failing read models: {names}.", projections=statuses)
    return jsonify(status="ready", max_lag=max((s["lag"] for s in statuses), default=0), projections=statuses)


def _not_ready(detail: str, **extra: Any) -> Any:
    return problem(503, "Not ready", detail, {"Retry-After": "5"}, **extra)
