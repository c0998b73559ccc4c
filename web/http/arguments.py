"""Request schemas made once per process, not once per request.

flask-smorest hands ``@blp.arguments(SomeSchema)`` to webargs as the class, and webargs
makes an instance of it on every request: for the project list that is 18 fields bound
again, each with its messages from the table, about a tenth of the request's CPU.
A schema instance only reads its own state while loading (marshmallow keeps nothing of
one ``load`` for the next), so one instance per class serves every request and thread.
Every API blueprint is made with :class:`Blueprint` from here."""

from __future__ import annotations

import threading
from typing import Any

import flask_smorest
from marshmallow import Schema
from webargs.flaskparser import FlaskParser


class SchemaOnceParser(FlaskParser):
    """webargs' Flask parser, making each schema class's instance the first time it is asked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._made: dict[type[Schema], Schema] = {}
        self._lock = threading.Lock()

    def _get_schema(self, argmap: Any, req: Any) -> Schema:
        if not (isinstance(argmap, type) and issubclass(argmap, Schema)):
            return super()._get_schema(argmap, req)
        schema = self._made.get(argmap)
        if schema is None:
            with self._lock:
                schema = self._made.setdefault(argmap, argmap())
        return schema


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with :class:`SchemaOnceParser`: same arguments, same OpenAPI."""

    ARGUMENTS_PARSER = SchemaOnceParser()
