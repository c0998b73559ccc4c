"""GET /api/v1/events: the event log for evaluators (and operators), as NDJSON, streamed.

One JSON object per line, in log order (see ``projections.replay`` for its fields), then
one last line ``{"end": true, ...}`` saying where the read got to and the link to carry
on from. A stream without that line was cut short: read again from the last position."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Response, stream_with_context
from flask.views import MethodView
from marshmallow import ValidationError, fields, validate, validates

from domain.catalogue import topics_by_type
from projections import replay, runner
from web import messages
from web.api.common import runtime
from web.api.fields import within
from web.http.arguments import Blueprint
from web.http.errors import ProblemSchema
from web.http.validation import MAX_INTEGER, InputSchema

log = logging.getLogger(__name__)
NDJSON = "application/x-ndjson"
DEFAULT_LIMIT, MAX_LIMIT = 1000, 10000

blp = Blueprint("events", __name__, url_prefix="/api/v1/events", description="The event log, for evaluators.")


class EventsArgs(InputSchema):
    after = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_INTEGER),
        metadata={"description": "A log position: only events after it (exclusive). Default 0: from the start."},
    )
    until = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "Either a log position (a whole number: events up to it, inclusive) or an ISO 8601"
            " time (events recorded at or before it; no zone means UTC). Default: the head when the request began."
        },
    )
    types = fields.String(
        validate=validate.Length(max=4000),
        metadata={"description": "Comma-separated event types, e.g. Project.Proposed,Project.Edited. Default: all."},
    )
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"At most this many events (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})."},
    )

    @validates("until")
    def known_until(self, value: str, **kwargs: Any) -> None:
        parse_until(value)

    @validates("types")
    def known_types(self, value: str, **kwargs: Any) -> None:
        unknown = [name for name in type_names(value) if name not in topics_by_type()]
        if unknown:
            known = ", ".join(topics_by_type())
            raise ValidationError(messages.message("types", "unknown_type", unknown=", ".join(unknown), known=known))


def type_names(value: str | None) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip()]


POSITION = re.compile(r"[0-9]{1,18}")  # ASCII digits: str.isdigit() also takes "²" and "１"


def parse_until(value: str) -> int | datetime:
    """A position (digits) or a time; ValidationError saying which forms are accepted."""
    if POSITION.fullmatch(value):
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(messages.message("until", "invalid")) from None
    return within(moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment)


@blp.route("")
class Events(MethodView):
    @blp.arguments(EventsArgs, location="query", error_status_code=400)
    @blp.response(200, content_type=NDJSON, description="One event per line, then an `end` line.")
    @blp.alt_response(400, schema=ProblemSchema, description="A parameter is not valid (it says which)")
    @blp.alt_response(401, schema=ProblemSchema, description="Not signed in")
    @blp.alt_response(403, schema=ProblemSchema, description="Neither an evaluator nor an operator")
    def get(self, args: dict[str, Any]) -> Response:
        """The event log in log order, as NDJSON, streamed (evaluators and operators)."""
        app = runtime().app
        until = parse_until(args["until"]) if "until" in args else None
        head = runner.head(app)
        query = replay.Query(
            after=args["after"],
            stop=min(until, head) if isinstance(until, int) else head,
            topics=tuple(topics_by_type()[name] for name in type_names(args.get("types"))),
            until_time=until if isinstance(until, datetime) else None,
            limit=args["limit"],
        )
        lines = stream_with_context(_lines(app, query, args))
        return Response(lines, mimetype=NDJSON, headers={"X-Log-Head": str(head)})


def _lines(app: Any, query: replay.Query, args: dict[str, Any]) -> Iterator[str]:
    cursor = replay.Cursor(after=query.after)
    count = 0
    try:
        for item in replay.read(app, query, cursor):
            count += 1
            yield json.dumps(item, separators=(",", ":")) + "\n"
    except Exception:
        log.exception("the event stream stopped at position %s: the client sees no end line", cursor.after)
        raise
    end = {"end": True, "events": count, "after": cursor.after, "more": cursor.more, "next": _next(args, cursor)}
    yield json.dumps(end, separators=(",", ":")) + "\n"


def _next(args: dict[str, Any], cursor: replay.Cursor) -> str:
    params = {"after": cursor.after, "limit": args["limit"]}
    params.update({k: args[k] for k in ("until", "types") if args.get(k)})
    return "/api/v1/events?" + urlencode(params)
