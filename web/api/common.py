"""Shared pieces of the API: the runtime, cursors, list envelopes, read-your-writes
(``answers_from``)."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlencode

from flask import current_app, request
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from projections import runner
from projections.base import READS, views_read_by
from projections.registry import PROJECTIONS
from web.http.validation import MAX_INTEGER, InputSchema, text_problem
from workers.runtime.bootstrap import Runtime

MAX_LIMIT = 500
P = ParamSpec("P")
R = TypeVar("R")


def runtime() -> Runtime:
    return current_app.extensions["pipeline"]


class ReadArgs(InputSchema):
    min_position = fields.Integer(
        validate=validate.Range(min=0, max=MAX_INTEGER),
        metadata={
            "description": "Answer only once the read model has applied this log position "
            "(the event_position of an earlier write); 503 if it does not within a few seconds."
        },
    )


class ListArgs(ReadArgs):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String(
        validate=validate.Length(max=500),
        metadata={"description": "Opaque: the `next` link of the previous page carries it."},
    )


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """The envelope every list answers with: ``{"items": [...], "next": path or null}``."""
    fields_ = {
        "items": fields.List(fields.Nested(item)),
        "next": fields.String(allow_none=True, metadata={"description": "The next page, or null"}),
    }
    return type(name, (Schema,), fields_)


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# What each kind of cursor holds, element by element: anything else is not one of ours
# (a list in place of a number reached the database as sqlite3.ProgrammingError, a
# 30-digit offset as OverflowError).
Check = Callable[[Any], bool]
_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_EVENT_ID = re.compile(_UUID.pattern + r":[0-9]{1,18}")
MAX_OFFSET = 2**31 - 1


def _offset(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_OFFSET


def _matches(pattern: re.Pattern[str]) -> Check:
    return lambda value: isinstance(value, str) and pattern.fullmatch(value) is not None


def _name(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 500 and text_problem(value) is None


OFFSET_CURSOR: tuple[Check, ...] = (_offset,)  # position in a ranked or filtered list
TIME_ID_CURSOR: tuple[Check, ...] = (_matches(_STAMP), _matches(_UUID))  # (signed_up_at, id)
NAME_ID_CURSOR: tuple[Check, ...] = (_name, _matches(_UUID))  # (sort_name, id)
EVENT_CURSOR: tuple[Check, ...] = (_matches(_STAMP), _matches(_EVENT_ID))  # (at, "<aggregate id>:<version>")


def decode_cursor(cursor: str | None, shape: tuple[Check, ...]) -> list[Any] | None:
    """The values a ``next`` link carried, if they have ``shape``; 400 otherwise."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not (
        isinstance(values, list)
        and len(values) == len(shape)
        and all(check(value) for check, value in zip(shape, values, strict=True))
    ):
        abort(
            400,
            message="The cursor is not one this API gave out; start again without it.",
            errors={"cursor": ["Invalid cursor."]},
        )
    return values


def decode_offset(cursor: str | None) -> int:
    """The offset an offset cursor carries (0 without one)."""
    values = decode_cursor(cursor, OFFSET_CURSOR)
    return values[0] if values else 0


def next_link(cursor_values: list[Any] | None) -> str | None:
    if cursor_values is None:
        return None
    args = {k: v for k, v in request.args.items() if k not in ("cursor", "min_position")}
    args["cursor"] = encode_cursor(cursor_values)
    return f"{request.path}?{urlencode(args)}"


def answers_from(*queries: Callable[..., Any]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare the queries a GET handler answers from (read-your-writes). With
    ``min_position``, the handler runs once every view those queries read has applied
    that position; see ``wait_for_views``. Put it beneath ``@blp.arguments(ReadArgs...)``:
    it takes ``min_position`` from the arguments that passes (the last positional one)."""
    views = views_read_by(*queries)
    unknown = views - PROJECTIONS.keys()
    if unknown:
        raise ValueError(f"No projection called {', '.join(sorted(unknown))}; known: {', '.join(PROJECTIONS)}")

    def decorate(handler: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(handler)
        def waiting(*args: P.args, **kwargs: P.kwargs) -> R:
            parsed = args[-1] if args else None
            if not isinstance(parsed, Mapping):
                raise TypeError(f"{handler.__qualname__}: @answers_from goes beneath @blp.arguments(...)")
            wait_for_views(views, parsed.get("min_position"))
            return handler(*args, **kwargs)

        setattr(waiting, READS, views)  # what views_read_by(handler) answers, for tests and callers
        return waiting

    return decorate


def wait_for_views(views: Iterable[str], min_position: int | None) -> None:
    """Block until each of ``views`` has applied ``min_position``: 422 if that is beyond
    the head of the event log, 503 (retry shortly) if one has not within the read wait."""
    if min_position is None:
        return
    rt = runtime()
    top = runner.head(rt.app)
    if min_position > top:
        abort(
            422,
            message=f"min_position {min_position} is beyond the head of the event log ({top}).",
            errors={"min_position": [f"The min_position must be at most {top}"]},
        )
    deadline = time.monotonic() + rt.settings.read_wait_seconds  # one wait for them all, not one each
    for name in sorted(views):
        timeout = max(deadline - time.monotonic(), 0.0)
        if not runner.wait_for(rt.app, rt.db, PROJECTIONS[name], min_position, timeout):
            abort(
                503,
                message=f"The {name} read model has not reached position {min_position} yet; retry shortly.",
                headers={"Retry-After": "1"},
            )
