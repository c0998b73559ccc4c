"""The pages speak to the API in-process: one set of rules.

Every page reads and writes through the same endpoints a front end would call over HTTP,
as an inner request dispatched into this same Flask app: the same validation (marshmallow
schemas and the body checks), the same access rules, the same rate limits (keyed by the
browser's address), the same read models. The browser's session cookie holds the API
session token, which the inner request carries as ``Authorization: Bearer``.

The inner request runs in a fresh application context, so its ``g`` (the signed-in person,
the acting token) never mixes with the page's own."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import current_app, g, request, session
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder, run_wsgi_app

TOKEN = "token"  # noqa: S105 (a session key's name, not a secret): the API session token
POSITION = "position"  # session key: the log position of this browser's last write


@dataclass
class Answer:
    """What the API answered: status, parsed JSON body (or None), headers."""

    status: int
    body: Any
    headers: Headers = field(default_factory=Headers)

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def detail(self) -> str:
        body = self.body if isinstance(self.body, dict) else {}
        return str(body.get("detail") or body.get("title") or f"The request failed ({self.status}).")

    @property
    def errors(self) -> dict[str, Any]:
        body = self.body if isinstance(self.body, dict) else {}
        errors = body.get("errors")
        return errors if isinstance(errors, dict) else {}


def call(method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> Answer:
    """Dispatch ``method path`` into this app as the browser's signed-in person (if any)."""
    headers = {"Accept": "application/json"}
    token = session.get(TOKEN)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    args = {k: v for k, v in (query or {}).items() if v not in (None, "", [])}
    builder = EnvironBuilder(
        path=path,
        method=method,
        query_string=urlencode(args, doseq=True),
        headers=Headers(headers),
        data=json.dumps(body, ensure_ascii=False).encode() if body is not None else None,  # UTF-8, as clients send
        content_type="application/json" if body is not None else None,
        environ_overrides={"REMOTE_ADDR": request.remote_addr or "127.0.0.1"},
    )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():  # a fresh ``g`` for the inner request
        app_iter, status, response_headers = run_wsgi_app(app.wsgi_app, builder.get_environ(), buffered=True)
        data = b"".join(app_iter)
    answer = Answer(int(status.split()[0]), _parsed(data, response_headers), Headers(response_headers))
    _remember_position(method, answer)
    return answer


def _parsed(data: bytes, headers: Any) -> Any:
    kind = Headers(headers).get("Content-Type", "")
    if "json" not in kind or not data:
        return None
    return json.loads(data)


def _remember_position(method: str, answer: Answer) -> None:
    """After a write, later reads wait until the read models have applied it (read-your-writes)."""
    if method != "GET" and answer.ok and isinstance(answer.body, dict):
        position = answer.body.get("event_position")
        if isinstance(position, int):
            session[POSITION] = max(position, session.get(POSITION) or 0)


def fresh() -> dict[str, Any]:
    """Query arguments for a read that must show this browser's own last write."""
    position = session.get(POSITION)
    return {"min_position": position} if position else {}


def get(path: str, **query: Any) -> Answer:
    return call("GET", path, query=query)


def post(path: str, body: Any = None) -> Answer:
    return call("POST", path, body)


def me() -> dict[str, Any] | None:
    """The signed-in person as ``GET /api/v1/me`` shows them, or None (read once per request).
    A token the API no longer accepts (expired, signed out elsewhere, erased) ends the session."""
    if "me" not in g:
        g.me = None
        if session.get(TOKEN):
            answer = get("/api/v1/me")
            if answer.ok:
                g.me = answer.body
            elif answer.status == 401:
                session.clear()
    return g.me
