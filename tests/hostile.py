"""Helpers for the hostile-input tests: a trusted actor to let bodies past the access
rules, and a census of every table to prove a refusal stored nothing."""

from __future__ import annotations

from typing import Any

from projections import runner
from tests.factories import PASSWORD, council_email
from workers.runtime.bootstrap import Runtime

PROBLEM = "application/problem+json"


def operator(client: Any, code: str = "WGN") -> tuple[dict[str, str], str]:
    """A verified operator of council ``code`` (may do anything), as headers, and their id.
    An operator, so that the access rules let every body through to its checks."""
    email = council_email(code)  # a member of the council, on its domain
    body = {"name": "Olive Operator", "email": email, "organisation_code": code, "password": PASSWORD}
    signed_up = client.post("/api/v1/people", json=body)
    assert signed_up.status_code == 201, signed_up.json
    rt: Runtime = client.application.extensions["pipeline"]
    rt.app.verify_email(rt.app.email_owner(email))
    rt.app.set_operator(email, True)
    token = client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}, signed_up.json["id"]


def _tables(rt: Runtime) -> list[str]:
    if rt.settings.database_url.startswith("sqlite:"):
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = "SELECT tablename AS name FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
    return sorted(r["name"] for r in rt.db.query(sql))


def census(rt: Runtime) -> dict[str, int]:
    """The number of rows in every table of the database, and the head of the event log."""
    counts = {name: rt.db.query(f'SELECT count(*) AS n FROM "{name}"')[0]["n"] for name in _tables(rt)}
    assert len(counts) > 10, counts  # the event store, the views, keys, sessions, outbox...
    return {**counts, "(event log head)": runner.head(rt.app)}


def is_problem(response: Any, *statuses: int) -> bool:
    """A refusal a client can read: one of ``statuses`` (any 4xx if none), as problem+json."""
    in_range = response.status_code in statuses if statuses else 400 <= response.status_code < 500
    return in_range and response.content_type == PROBLEM and response.json["status"] == response.status_code
