"""One error body for everything: RFC 9457 problem+json."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import psycopg
import psycopg_pool
from eventsourcing.persistence import IntegrityError as StoreIntegrityError
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from eventsourcing.persistence import ProgrammingError as StoreProgrammingError
from flask import Flask, Response, json
from flask_smorest import Api
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, InternalServerError

from domain.errors import Conflict, DomainError, NotAllowed, NotFound, RegisterNotLoaded, RuleBroken
from projections.db import missing_table
from projections.runner import NotInitialised, ProjectionFailing
from workers.adapters.kek import KekError

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
# Faults that pass: a lost connection, an exhausted pool, a locked SQLite file.
TRANSIENT_ERRORS = (
    StoreOperationalError,
    StoreInterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    psycopg_pool.PoolTimeout,
    sqlite3.OperationalError,
)


# What each SQLite result code (its primary part) tells a client about the refusal.
_SQLITE_DETAILS = {
    "SQLITE_BUSY": "Another write held the database longer than this request could wait",
    "SQLITE_LOCKED": "A table this request needed was locked by another statement",
    "SQLITE_SCHEMA": "The database's tables changed while this request read them",
}


def sqlite_error(error: BaseException | None) -> sqlite3.Error | None:
    """The SQLite error behind ``error`` (itself, or what eventsourcing wrapped), if any."""
    for _ in range(5):  # a short chain: the error, eventsourcing's wrapper, its cause
        if error is None or isinstance(error, sqlite3.Error):
            return error
        error = error.__cause__ or error.__context__
    return None


def sqlite_detail(name: str) -> str:
    """``SQLITE_BUSY_SNAPSHOT`` -> what happened, naming the code so a report can quote it."""
    primary = next((key for key in _SQLITE_DETAILS if name == key or name.startswith(key + "_")), None)
    said = _SQLITE_DETAILS.get(primary or "", "The embedded database refused this request")
    return f"{said} ({name}); retry shortly."


class ProblemSchema(Schema):
    type = fields.String(metadata={"description": "A URI naming the kind of problem"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "Field -> messages, on validation errors"})


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _flatten(messages: Any) -> dict[str, Any]:
    """webargs nests messages by location ({"json": {"email": [...]}}); clients want fields."""
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "view_args", "form", "headers"}:
        flat: dict[str, Any] = {}
        for location_messages in messages.values():
            flat.update(location_messages if isinstance(location_messages, dict) else {"_": location_messages})
        return flat
    return messages if isinstance(messages, dict) else {"_": messages}


class ProblemApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        data = getattr(error, "data", None) or {}
        status = error.code or 500
        if isinstance(error, InternalServerError):
            original = getattr(error, "original_exception", None)
            if original is not None:
                log.error("unhandled error", exc_info=original)
            return problem(500, "Internal Server Error", "Something went wrong on our side; it has been logged.")
        extra: dict[str, Any] = {}
        detail = data.get("message") or error.description or error.name
        if "messages" in data or "errors" in data:
            extra["errors"] = _flatten(data.get("errors") or data.get("messages"))
            if status == 400 and "json" in (data.get("messages") or {}):
                detail = "The request body is not valid JSON."
            elif status == 422 and "message" not in data:
                detail = "The request has invalid fields: see errors."
        headers = dict(data.get("headers") or {})
        if error.response is None:
            kept = ("allow", "retry-after", "www-authenticate")
            headers.update({k: v for k, v in error.get_headers() if k.lower() in kept})
        return problem(status, error.name, str(detail), headers, **extra)


def register_error_handlers(app: Flask) -> None:
    def domain_error(error: DomainError) -> Response:
        status = 404 if isinstance(error, NotFound) else 409 if isinstance(error, Conflict) else 422
        if isinstance(error, RegisterNotLoaded):
            status = 503
        elif isinstance(error, NotAllowed):
            status = 403
        elif not isinstance(error, NotFound | Conflict | RuleBroken):
            status = 422
        return problem(status, error.title, error.detail, **error.extra)

    def not_initialised(error: NotInitialised) -> Response:
        return problem(503, "Service not initialised", str(error), {"Retry-After": "30"})

    def unavailable(error: Exception) -> Response:
        if missing_table(error):
            return not_initialised(NotInitialised("The database has no Pipeline tables: run `pipeline init`."))
        found = sqlite_error(error)
        if found is None:
            log.warning("database unavailable: %s", type(error).__name__)
            return problem(
                503, "Service Unavailable", "The database is busy or unreachable; retry shortly.", {"Retry-After": "2"}
            )
        name = getattr(found, "sqlite_errorname", "SQLITE_UNKNOWN")
        code = getattr(found, "sqlite_errorcode", -1)
        log.warning("database unavailable: %s, %s (%s): %s", type(error).__name__, name, code, found)
        return problem(503, "Service Unavailable", sqlite_detail(name), {"Retry-After": "2"})

    def projection_failing(error: ProjectionFailing) -> Response:
        return problem(503, "Read model failing", str(error), {"Retry-After": "30"}, projection=error.failure.name)

    def programming_error(error: Exception) -> Response:
        if missing_table(error):
            return not_initialised(NotInitialised("The database has no Pipeline tables: run `pipeline init`."))
        log.error("database programming error", exc_info=error)
        return problem(500, "Internal Server Error", "Something went wrong on our side; it has been logged.")

    def concurrent_change(error: Exception) -> Response:
        """Another request saved the same record a moment before (eventsourcing's optimistic
        concurrency): this one was not applied, and trying again will see the new state."""
        log.info("refused a write that lost a race: %s", error)
        return problem(
            409,
            "Conflict",
            "Someone changed this at the same moment, so your request was not applied: look again and retry.",
            {"Retry-After": "1"},
        )

    def wrong_key(error: Exception) -> Response:
        log.error("the key-encryption key does not open the database's keys: %s", error)
        return problem(
            503,
            "Service Unavailable",
            "The service is misconfigured (its key-encryption key does not match this database); "
            "an operator has been told.",
            {"Retry-After": "60"},
        )

    app.register_error_handler(DomainError, domain_error)
    app.register_error_handler(KekError, wrong_key)
    app.register_error_handler(StoreIntegrityError, concurrent_change)
    for transient in TRANSIENT_ERRORS:
        app.register_error_handler(transient, unavailable)
    for programming in (psycopg.ProgrammingError, StoreProgrammingError):
        app.register_error_handler(programming, programming_error)
    app.register_error_handler(NotInitialised, not_initialised)
    app.register_error_handler(ProjectionFailing, projection_failing)
