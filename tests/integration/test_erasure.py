"""Erasure without rewriting history: after it, a dump of the whole database holds no
trace of the person's name or email, rebuilds still work, and identity-free counts stand."""

from __future__ import annotations

import sqlite3
import subprocess
import uuid

import pytest

from projections import rebuilds, runner
from projections.db import sqlite_path
from projections.registry import all_projections
from tests.factories import PASSWORD, dump
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def whole_database(runtime: Runtime) -> str:
    """Every table, events and keys included, as text."""
    url = runtime.settings.database_url
    if url.startswith("sqlite:"):
        conn = sqlite3.connect(sqlite_path(url))
        try:
            return "\n".join(conn.iterdump())
        finally:
            conn.close()
    result = subprocess.run(["pg_dump", "--data-only", "--inserts", url], capture_output=True, text=True, check=True)
    return result.stdout


def stored_events(runtime: Runtime) -> str:
    notes = runtime.app.recorder.select_notifications(start=1, limit=1_000_000)
    return "\n".join(n.state.decode() for n in notes)


def counts(runtime: Runtime) -> dict[str, object]:
    db = runtime.db
    return {
        "people": db.query("SELECT COUNT(*) AS n FROM people")[0]["n"],
        "members": sorted(
            (r["code"], r["member_count"])
            for r in db.query("SELECT code, member_count FROM organisations WHERE member_count > 0")
        ),
        "daily": sorted((r["organisation_kind"], r["signups"]) for r in db.query("SELECT * FROM signups_daily")),
        "log_events": runner.head(runtime.app),
    }


def test_an_erased_person_leaves_no_trace_in_a_dump_and_rebuilds_still_work(any_runtime: Runtime) -> None:
    client = create_app(runtime=any_runtime).test_client()
    tag = uuid.uuid4().hex[:8]
    name, email = f"Ermintrude Fothergill-{tag}", f"ermintrude.{tag}@example.gov.uk"
    new_name = f"Ermintrude Smythe-{tag}"
    person = client.post(
        "/api/v1/people",
        json={
            "name": name,
            "email": email,
            "job_title": "Head of Digital",
            "organisation_name": "Wigan Council",
            "password": PASSWORD,
        },
    ).json
    for i in range(3):  # other people, who must be unaffected
        other = f"other{i}.{uuid.uuid4().hex[:6]}@example.gov.uk"
        client.post(
            "/api/v1/people",
            json={"name": f"Other {i}", "email": other, "organisation_code": "WGN", "password": PASSWORD},
        )
    token = client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).json["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.patch("/api/v1/me", json={"name": new_name}, headers=auth).status_code == 200
    any_runtime.catch_up()
    before = counts(any_runtime)
    assert name not in stored_events(any_runtime)  # sealed in the events even before erasure...
    assert new_name in whole_database(any_runtime)  # ...while the directory shows the current name

    erased = client.delete("/api/v1/me", json={"password": PASSWORD}, headers=auth)
    assert erased.status_code == 200
    any_runtime.catch_up()

    text = whole_database(any_runtime)
    for secret in (name, new_name, email, "Ermintrude", tag + "@", "Head of Digital"):
        for form in {secret, secret.casefold(), secret.upper()}:
            assert form not in text, f"{form!r} survived erasure"
    assert counts(any_runtime) == {
        **before,
        "log_events": before["log_events"] + 4,
    }  # Erased, email released, comments index made + closed
    row = any_runtime.db.query("SELECT name, erased FROM people WHERE id = :id", {"id": person["id"]})[0]
    assert (row["name"], bool(row["erased"])) == ("Former member", True)

    incremental = dump(any_runtime.db)
    for projection in all_projections():
        rebuilds.rebuild(any_runtime.app, any_runtime.db, projection)
    assert dump(any_runtime.db) == incremental
    assert "Ermintrude" not in whole_database(any_runtime)
    assert "Ermintrude" not in stored_events(any_runtime)
    assert client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).status_code == 401
    assert client.get("/api/v1/me", headers=auth).status_code == 401
