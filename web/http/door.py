"""What is refused before any handler runs: JSON bodies beyond our limits, and paths
holding characters no name or id has. Every JSON body is parsed once, with limits.

The standard parser recurses once per nesting level (30,000 ``[`` raised RecursionError,
a 500), turns a 5,000-digit number into a ValueError and a ``1e400`` into infinity, and
accepts ``NaN``. Here: nesting deeper than :data:`MAX_DEPTH` and ``NaN``/``Infinity``
are 400 (not the JSON we take); a number no column of ours can hold, or a string with a
character no field takes (NUL, a lone surrogate...), is 422 naming the field, whether or
not the endpoint reads a body. Bodies that pass are then safe for webargs to parse again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import abort

from web import messages
from web.http.validation import MAX_INTEGER, printable, text_problem

MAX_DEPTH = 32
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_LONGEST_NUMBER = 30  # characters: anything longer cannot fit a BIGINT or a money column


class _OutOfRange:
    """Stands in for a number too big to convert, so the field can be named."""


OUT_OF_RANGE = _OutOfRange()


def _integer(text: str) -> int | _OutOfRange:
    return int(text) if len(text) <= _LONGEST_NUMBER else OUT_OF_RANGE


def _real(text: str) -> float | _OutOfRange:
    value = float(text) if len(text) <= _LONGEST_NUMBER else float("inf")
    return value if abs(value) != float("inf") else OUT_OF_RANGE


def _constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _too_deep(value: Any, depth: int = 1) -> bool:
    if depth > MAX_DEPTH:
        return True
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_too_deep(child, depth + 1) for child in children if isinstance(child, dict | list))


def loads(text: str | bytes) -> Any:
    """Parse JSON, refusing (ValueError) nesting deeper than MAX_DEPTH and NaN/Infinity."""
    too_deep = f"nested deeper than {MAX_DEPTH} levels"
    try:
        value = json.loads(text, parse_int=_integer, parse_float=_real, parse_constant=_constant)
    except RecursionError:  # the C parser gives up near 1,000 levels: deeper still than ours
        raise ValueError(too_deep) from None
    if isinstance(value, dict | list) and _too_deep(value):
        raise ValueError(too_deep)
    return value


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON with :func:`loads` for reading: ``request.get_json()`` has the limits."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


def _problem(value: Any, path: str = "") -> str | None:
    if value is OUT_OF_RANGE or (isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER):
        named = [part for part in path.split(".") if part and not part.isdigit()]
        return messages.message(named[-1] if named else "number", "too_large")
    return text_problem(value.replace("\r\n", "\n"), multiline=True) if isinstance(value, str) else None


def body_problems(value: Any, path: str = "") -> Iterator[tuple[str, list[str]]]:
    """(field path, messages) for every number no column of ours holds and every string
    no field may hold, wherever they are: even a body the endpoint ignores. Fields of
    one line are held to more by the schema (:mod:`web.http.validation`)."""
    problem = _problem(value, path)
    if problem:
        yield path or "_body", [problem]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        key_problem = _problem(key)
        key = printable(str(key))
        child_path = f"{path}.{key}" if path else key
        if key_problem:
            yield child_path, [f"The name {key_problem[0].lower()}{key_problem[1:]}"]
        yield from body_problems(child, child_path)


def has_body() -> bool:
    return bool(request.content_length) or request.headers.get("Transfer-Encoding") == "chunked"


def check_body() -> None:
    """Parse a JSON body with limits: 400 if malformed or too deep, 422 on what no field takes."""
    if request.method not in BODY_METHODS or not has_body() or not request.is_json:
        return
    try:
        body = loads(request.get_data(cache=True))
    except ValueError as error:  # Flask's own answer would not say why
        abort(400, message=f"The request body is not valid JSON: {error}.", errors={"_body": [str(error)]})
    problems = dict(body_problems(body))
    if problems:
        abort(422, message="The body holds a number out of range or a character refused in text.", errors=problems)


def check_path() -> None:
    """A path segment with a control character or lone surrogate names nothing: 404 (a NUL
    sent on to PostgreSQL was a 500)."""
    for name, value in (request.view_args or {}).items():
        problem = text_problem(value) if isinstance(value, str) else None
        if problem:
            abort(404, message=f"Nothing is at this address: {name} {problem[0].lower()}{problem[1:]}")


def init_app(app: Flask) -> None:
    provider = BoundedJSONProvider(app)
    provider.sort_keys = app.json.sort_keys  # type: ignore[attr-defined]
    app.json = provider
    app.before_request(check_path)
    app.before_request(check_body)
