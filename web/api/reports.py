"""The lessons-learned report over HTTP: ``GET /api/v1/reports/engagement`` (JSON) and its
charts (SVG). Public, like /stats: it names organisations and projects, never people. The
server reads each event once and caches answers by log head and parameters."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask_smorest import abort
from marshmallow import RAISE, Schema, fields, validate

from web import messages
from web.api.common import runtime
from web.http.arguments import Blueprint
from web.http.errors import ProblemSchema
from web.http.validation import InputSchema
from workers.report import charts
from workers.report.engagement import EngagementReports
from workers.report.params import DEFAULT_FORGOTTEN_DAYS, MAX_FORGOTTEN_DAYS, BadParameter, Params, parse

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Reports computed from the event log.")


class EngagementArgs(InputSchema):
    start = fields.String(
        data_key="from",
        validate=validate.Length(max=40),
        metadata={"description": "Start: ISO date (2014-09-01) or time; default: the beginning"},
    )
    until = fields.String(
        data_key="to",
        validate=validate.Length(max=40),
        metadata={"description": "End: ISO date (the whole day) or time (inclusive); default: the last event"},
    )
    forgotten_days = fields.Integer(
        load_default=DEFAULT_FORGOTTEN_DAYS,
        validate=validate.Range(min=1, max=MAX_FORGOTTEN_DAYS),
        metadata={"description": "A project with no edit or status update this long is forgotten"},
    )


SECTIONS = {
    "parameters": "from, to (as given) and forgotten_days",
    "period": "The period used: from (null: the beginning) and to (inclusive)",
    "people": "signed_up, verified, erased, undated_sign_ups, by_week",
    "organisations": "signed_up, with_verified_members, councils_with_verified_members, by_kind, first",
    "projects": "proposed, by_phase, archived, edits, forgotten",
    "interest": "expressed, by_kind, forgotten (with unanswered_requests)",
    "funnel": "organisations and people: signed_up, proposed, followed_or_pledged, posted, with rates",
    "timing": "first_follower, first_pledge, goal_met (medians in days), goals, pledged_by_kind",
    "network": "links and organisations, the most connected first",
    "nudges": "idle_days, answer_days; nudged and not_nudged: count, answered, unanswered, pending, share_answered",
}
EngagementSchema = Schema.from_dict(
    {
        "generated_at": fields.String(),
        "log_position": fields.Integer(metadata={"description": "The head of the log it was computed at"}),
        **{name: fields.Dict(metadata={"description": text}) for name, text in SECTIONS.items()},
        "cohorts": fields.List(fields.Dict(), metadata={"description": "month, people, active per later month"}),
        "notes": fields.List(fields.String()),
    },
    name="EngagementReport",
)


def _params(args: dict[str, Any]) -> Params:
    try:
        return parse(args.get("start"), args.get("until"), args["forgotten_days"])
    except BadParameter as error:
        said = messages.message(error.field, error.kind, error.family, **error.values)
        abort(400, message=said, errors={error.field: [said]})


def _report(params: Params) -> dict[str, Any]:
    reader = current_app.extensions.get("engagement_reports")
    if reader is None:
        reader = current_app.extensions["engagement_reports"] = EngagementReports(runtime().app)
    return reader.answer(params)


@blp.route("/engagement")
@blp.arguments(EngagementArgs, location="query", error_status_code=400, unknown=RAISE)
@blp.response(200, EngagementSchema, description="The report: see README, The lessons-learned report")
@blp.alt_response(400, schema=ProblemSchema, description="A parameter is not a date, out of range or unknown")
def engagement(args: dict[str, Any]) -> dict[str, Any]:
    """The engagement report over the period, computed from the event log."""
    return _report(_params(args))


@blp.route("/engagement/charts/<name>.svg")
@blp.arguments(EngagementArgs, location="query", error_status_code=400, unknown=RAISE)
@blp.response(200, {"type": "string"}, content_type="image/svg+xml")
@blp.alt_response(400, schema=ProblemSchema, description="A parameter is not a date, out of range or unknown")
@blp.alt_response(404, schema=ProblemSchema, description="No chart of that name")
def engagement_chart(args: dict[str, Any], name: str) -> Response:
    """One chart of the report (signups, funnel or cohorts) as SVG, with the same parameters."""
    if name not in charts.NAMES:
        abort(404, message=messages.message("chart", "unknown_chart", chart=name, charts=", ".join(charts.NAMES)))
    return Response(charts.svg(name, _report(_params(args))), mimetype="image/svg+xml")
