"""Unknown query parameters are refused, never silently ignored: one check for every
endpoint, before any handler runs.

What an endpoint accepts is what it declared with flask-smorest's
``@blp.arguments(Schema, location="query")`` (the fields' data keys, of every query
schema it stacks); an endpoint that declared none (a write, a probe, the OpenAPI
document) takes no query parameters at all. A new endpoint is covered the moment it is
registered: there is nothing to list here. A mistyped ``limt=5`` or an ``as_off=`` that
would have answered the present as if it were the past is a 400 naming it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from flask import Flask, current_app, request
from flask_smorest import abort
from marshmallow import Schema, fields

from web.http.validation import printable
from web.pages.scope import is_page

QUERY = "query"


def _handler(view: Callable[..., Any], method: str) -> Callable[..., Any] | None:
    """The function that answers ``method``: a MethodView's method, or the view itself."""
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return view
    name = "get" if method == "HEAD" else method.lower()
    return getattr(view_class, name, None)


def _fields(schema: Schema | type[Schema]) -> Iterable[tuple[str, fields.Field]]:
    instance = schema() if isinstance(schema, type) else schema
    return ((field.data_key or name, field) for name, field in instance.load_fields.items())


@lru_cache(maxsize=1024)
def declared_fields(view: Callable[..., Any], method: str) -> dict[str, fields.Field]:
    """The query parameters the endpoint's handler for ``method`` declared, with their fields.
    Worked out once per endpoint and method: the declarations are fixed once the app is built,
    and making the schemas again cost about 7% of a list request's CPU. Callers only read it."""
    handler = _handler(view, method)
    parameters = getattr(handler, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    accepted: dict[str, fields.Field] = {}
    for parameter in parameters:
        if parameter.get("in") == QUERY:
            accepted.update(_fields(parameter["schema"]))
    return accepted


def declared(view: Callable[..., Any], method: str) -> set[str]:
    """The query parameters the endpoint's handler for ``method`` declared."""
    return set(declared_fields(view, method))


def refuse_unknown() -> None:
    if request.url_rule is None or request.method == "OPTIONS" or not request.args or is_page():
        return  # a page reads its own form; what it passes on to the API is checked there
    view = current_app.view_functions.get(request.endpoint or "")
    by_key = declared_fields(view, request.method) if view is not None else {}
    accepted = set(by_key)
    unknown = sorted(set(request.args) - accepted)
    if not unknown:
        _refuse_repeated(by_key)
        return
    shown = [printable(name) for name in unknown]
    takes = f"it accepts: {', '.join(sorted(accepted))}" if accepted else "it takes no query parameters"
    abort(
        400,
        message=f"Unknown query parameter{'s' if len(shown) > 1 else ''} {', '.join(shown)}: {takes}.",
        errors={name: [f"Unknown parameter; {takes}."] for name in shown},
    )


def _refuse_repeated(by_key: dict[str, fields.Field]) -> None:
    """A parameter that holds one value, given twice (``?limit=1&limit=2``): which one was
    meant cannot be known, and the parser would silently keep the first."""
    repeated = sorted(
        key for key in request.args if len(request.args.getlist(key)) > 1 and not isinstance(by_key[key], fields.List)
    )
    if repeated:
        shown = [printable(name) for name in repeated]
        abort(
            400,
            message=f"Give each of these query parameters once: {', '.join(shown)}.",
            errors={name: ["Given more than once; it takes one value."] for name in shown},
        )


def init_app(app: Flask) -> None:
    app.before_request(refuse_unknown)
