"""Reads at scale (issue 10, target 4): over a copy of the large log (``scale.py``), each read
endpoint at 16 clients over HTTP (gunicorn, production settings) beside ``pgbench -M prepared``
running the SQL that endpoint runs, on the same database in the same run; and the CSV export
timed at the whole set and at half of it, to show it grows linearly.

    .venv/bin/python tests/benchmarks/reads.py [--events 1000000] [--seconds 10] [--clients 16]

The SQL for pgbench is captured, not copied: the endpoint's queries run once in-process against
a recording reader, and each statement goes into a pgbench script as it was sent (``:name``
placeholders are pgbench variables too: constants go in with ``-D``, a random project id comes
from a ``\\gset`` lookup in a table of sampled ids). Scripts are written to ``var/bench/pgbench/``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make the `tests` package importable

import psycopg  # noqa: E402

from domain.names import NameMatcher  # noqa: E402
from projections import activity, insights, project_updates, projects, runner  # noqa: E402
from projections import organisations as directory  # noqa: E402
from projections.db import Reader, open_database  # noqa: E402
from projections.projects import ProjectsProjection  # noqa: E402
from tests import support  # noqa: E402
from tests.benchmarks import scale  # noqa: E402
from tests.benchmarks.common import (  # noqa: E402
    LOG_DIR,
    OUT_DIR,
    Report,
    log_path,
    per_s,
    production_env,
    ratio,
    run_load,
    say,
    sql_scalar,
)
from workers.runtime.follow import all_followers  # noqa: E402

PGBENCH_DIR = OUT_DIR / "pgbench"
SAMPLED_IDS = 2000
LIST_FILTERS = {"q": "housing", "phase": "alpha", "region": "London"}
ORGANISATION_QUERY = "borough"


class Recorder:
    """A reader that keeps every statement it is asked to run (and runs it)."""

    def __init__(self, db: Reader) -> None:
        self.db = db
        self.dialect = db.dialect
        self.statements: list[tuple[str, dict[str, Any]]] = []

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        self.statements.append((sql, dict(params or {})))
        return self.db.query(sql, params)


@dataclass(frozen=True)
class Endpoint:
    name: str
    paths: Callable[[list[str]], list[str]]  # sampled project ids -> paths to request
    queries: Callable[[Reader, str], object]  # what the endpoint runs, for one project id
    per_id: bool = False  # the SQL takes a random project id (``:id``)
    one_transaction: bool = True


def _detail(db: Reader, project_id: str) -> None:
    projects.get(db, project_id)
    projects.team(db, project_id)
    projects.contribution_counts(db, project_id)
    project_updates.status_updates(db, project_id, limit=5)


def _list(db: Reader, _: str) -> None:
    """A page of the list and its ``total``: the endpoint counts every match too."""
    projects.search(db, dict(LIST_FILTERS), sort="relevance", offset=0, limit=51)
    projects.count(db, dict(LIST_FILTERS))


def _organisations(db: Reader, _: str) -> None:
    """Per request, the server reads the directory's position (its name matcher is built once
    per position and kept), matches in memory, then reads the matching rows."""
    whole = db.db if isinstance(db, Recorder) else db
    matcher = NameMatcher(directory.all_names(whole))
    runner.position(db, "organisations")  # type: ignore[arg-type]
    directory.filtered(db, [m.key for m in matcher.search(ORGANISATION_QUERY, limit=500)])


def _query_string(values: Mapping[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in values.items())


ENDPOINTS = (
    Endpoint(
        "GET /api/v1/projects?" + _query_string(LIST_FILTERS),
        lambda ids: ["/api/v1/projects?" + _query_string(LIST_FILTERS)],
        _list,
        one_transaction=False,  # the search and the count are read apart, as the endpoint does
    ),
    Endpoint(
        "GET /api/v1/projects/{id} (random ids)",
        lambda ids: [f"/api/v1/projects/{i}" for i in ids],
        _detail,
        per_id=True,
    ),
    Endpoint("GET /api/v1/activity", lambda ids: ["/api/v1/activity"], lambda db, _: activity.feed(db, limit=51)),
    Endpoint(
        "GET /api/v1/stats",
        lambda ids: ["/api/v1/stats"],
        lambda db, _: insights.stats(db, datetime.now(UTC).isoformat()),
    ),
    Endpoint("GET /api/v1/tags", lambda ids: ["/api/v1/tags"], lambda db, _: insights.compute_tags(db)),
    Endpoint(
        f"GET /api/v1/organisations?q={ORGANISATION_QUERY}",
        lambda ids: [f"/api/v1/organisations?q={ORGANISATION_QUERY}"],
        _organisations,
        one_transaction=False,
    ),
)


# ---------------------------------------------------------------- pgbench
def _one_line(sql: str) -> str:
    return " ".join(sql.split())


def _value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def pgbench_script(
    endpoint: Endpoint, statements: list[tuple[str, dict[str, Any]]], sampled: int
) -> tuple[str, dict[str, str]]:
    """The script text and its ``-D`` constants. Every statement keeps its placeholders."""
    defines: dict[str, str] = {}
    lines = []
    if endpoint.per_id:
        lines += [f"\\set n random(1, {sampled})", "SELECT id FROM bench_project_ids WHERE n = :n \\gset"]
    body = []
    for sql, params in statements:
        for name, value in params.items():
            if endpoint.per_id and name == "id":
                continue
            if name in defines and defines[name] != _value(value):
                raise ValueError(f"{endpoint.name}: :{name} takes two values; rename one")
            defines[name] = _value(value)
        body.append(_one_line(sql) + ";")
    if endpoint.one_transaction and len(body) > 1:
        body = ["BEGIN;", *body, "COMMIT;"]
    return "\n".join(lines + body) + "\n", defines


@dataclass(frozen=True)
class Pgbench:
    tps: float
    latency_ms: float


def run_pgbench(url: str, script: Path, defines: Mapping[str, str], clients: int, seconds: int) -> Pgbench:
    args = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", str(script)]
    for name, value in defines.items():
        args += ["-D", f"{name}={value}"]
    result = subprocess.run([*args, url], capture_output=True, text=True, timeout=seconds + 120)
    if result.returncode != 0:
        raise RuntimeError(f"pgbench failed on {script.name}:\n{result.stderr[-2000:]}")
    tps = re.search(r"tps = ([0-9.]+)", result.stdout)
    latency = re.search(r"latency average = ([0-9.]+) ms", result.stdout)
    if not tps or not latency:
        raise RuntimeError(f"pgbench said nothing about tps:\n{result.stdout}")
    return Pgbench(float(tps.group(1)), float(latency.group(1)))


# ---------------------------------------------------------------- the database
def sample_ids(url: str) -> list[str]:
    """Random project ids, kept in ``bench_project_ids`` (n = 1..) for pgbench's lookups."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_project_ids")
        conn.execute(
            "CREATE TABLE bench_project_ids AS SELECT row_number() OVER () AS n, id FROM"
            f" (SELECT id FROM projects ORDER BY random() LIMIT {SAMPLED_IDS}) AS s"
        )
        conn.execute("ALTER TABLE bench_project_ids ADD PRIMARY KEY (n)")
        return [str(row[0]) for row in conn.execute("SELECT id FROM bench_project_ids ORDER BY n")]


def adopt_in_place(url: str) -> None:
    """Run the projects view's DDL on the tables the template's (older) code made and mark them
    current, instead of the rebuild beside them that `pipeline init` would do. Only valid while
    the new version adds indexes and storage settings on PostgreSQL (version 2 does); a quick way
    to measure reads on a template built before, not how an upgrade is done."""
    view = ProjectsProjection()
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in view.ddl_for("postgres"):
            conn.execute(statement)
        conn.execute("UPDATE projection_positions SET version = %s WHERE name = %s", (view.version, view.name))


def processes_to_head(url: str) -> None:
    """Processes (the notifier) never act on the past: a fresh one starts at the head of the
    log, but the template's was left where it was when the log was written in bulk, and
    `pipeline init` would otherwise walk it through the whole log. This is a copy."""
    names = [p.name for p in all_followers() if p.starts_at_head]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "UPDATE projection_positions SET position = (SELECT max(notification_id) FROM pipeline_events)"
            " WHERE name = ANY(%s)",
            (names,),
        )


def vacuum_analyze(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


@contextlib.contextmanager
def copy_of_template(events: int) -> Iterator[str]:
    """A copy of the kept template (never the template itself), dropped afterwards."""
    name = scale.template_name(events)
    if not scale._complete(name):
        raise RuntimeError(f"{name} is not built (or not complete): run tests/benchmarks/scale.py --events {events}")
    for attempt in range(30):  # CREATE DATABASE .. TEMPLATE fails while anyone is connected to the template
        try:
            url = scale.copy_of(name)
            break
        except psycopg.errors.ObjectInUse:
            if attempt == 29:
                raise
            time.sleep(1)
    try:
        yield url
    finally:
        support.drop_database(url)


# ---------------------------------------------------------------- the CSV
def fetch(base: str, path: str) -> tuple[int, int, float]:
    """(status, body bytes, seconds) of one GET, the body read to its end."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=300)
    started = time.perf_counter()
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        size = 0
        while chunk := response.read(1 << 16):
            size += len(chunk)
        return response.status, size, time.perf_counter() - started
    finally:
        conn.close()


def time_csv(base: str, tries: int = 3) -> tuple[float, int]:
    """Median seconds of GET /projects.csv, and its size in bytes."""
    runs = []
    for _ in range(tries):
        status, size, seconds = fetch(base, "/api/v1/projects.csv")
        if status != 200:
            raise RuntimeError(f"GET /api/v1/projects.csv answered {status}")
        runs.append((seconds, size))
    runs.sort()
    return runs[len(runs) // 2]


def halve_projects(url: str) -> int:
    """Delete the newer half of the projects (this is a copy); how many are left."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "DELETE FROM projects WHERE created_at > (SELECT percentile_disc(0.5) WITHIN GROUP"
            " (ORDER BY created_at) FROM projects)"
        )
        conn.execute("VACUUM ANALYZE projects")
        return int(conn.execute("SELECT count(*) FROM projects").fetchone()[0])  # type: ignore[index]


# ---------------------------------------------------------------- the phase
def capture(url: str, endpoint: Endpoint, project_id: str) -> list[tuple[str, dict[str, Any]]]:
    db = open_database(url, pool_size=1)
    try:
        recorder = Recorder(db)
        endpoint.queries(recorder, project_id)
        return recorder.statements
    finally:
        db.close()


def http_load(base: str, endpoint: Endpoint, ids: list[str], clients: int, seconds: float) -> dict[str, Any]:
    say(f"  {endpoint.name}: {clients} clients x {seconds:g} s over HTTP")
    plan = json.dumps({"paths": endpoint.paths(ids)})
    load, _ = run_load(base, clients, seconds, 1.0, "--scenario", "reads", "--plan", "-", stdin=plan)
    return load


def pgbench_for(url: str, endpoint: Endpoint, ids: list[str], clients: int, seconds: float) -> tuple[Pgbench, int]:
    """pgbench on the endpoint's SQL (run with the server stopped: connections are few); and
    how many statements that is. Retries while other sessions hold every connection."""
    statements = capture(url, endpoint, ids[0])
    text, defines = pgbench_script(endpoint, statements, len(ids))
    PGBENCH_DIR.mkdir(parents=True, exist_ok=True)
    script = PGBENCH_DIR / (re.sub(r"\W+", "_", endpoint.name.split("?")[0].lower()).strip("_") + ".sql")
    script.write_text(text)
    say(f"  {endpoint.name}: pgbench -c {clients} on {script.name}")
    for attempt in range(10):
        try:
            return run_pgbench(url, script, defines, clients, max(int(seconds), 1)), len(statements)
        except RuntimeError as error:
            if "too many clients" not in str(error) or attempt == 9:
                raise
            time.sleep(5)
    raise AssertionError("unreachable")


def endpoint_row(
    report: Report, endpoint: Endpoint, load: dict[str, Any], bench: Pgbench, statements: int, clients: int
) -> None:
    bad = {s: n for s, n in load["statuses"].items() if s != "200"}
    if bad or load["errors"]:
        report.fail(f"reads: {endpoint.name} answered {bad} {load['errors']}; first bodies: {load['samples']}")
    lat = load["latency_ms"]
    report.add(
        f"reads at scale: {endpoint.name}, {clients} clients: requests/s (p50 / p99)",
        f"{per_s(load['rps'])} ({lat['p50']:.1f} / {lat['p99']:.1f} ms)",
        f"{per_s(bench.tps)} pgbench -M prepared, {statements} statements (avg {bench.latency_ms:.1f} ms)",
        ratio(load["rps"], bench.tps),
    )


def explain_plans(url: str, ids: list[str]) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement the endpoints run, as Markdown."""
    from projections.db import _PostgresTx

    count = sql_scalar(url, "SELECT count(*) FROM projects")
    out = [f"# Query plans at scale ({datetime.now(UTC):%Y-%m-%d}, {count:,} projects)"]
    with psycopg.connect(url, autocommit=True) as conn:
        for endpoint in ENDPOINTS:
            out += ["", f"## {endpoint.name}"]
            for sql, params in capture(url, endpoint, ids[0]):
                plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + _PostgresTx._sql(sql), params).fetchall()
                out += ["", "```", _one_line(sql), "", *(str(row[0]) for row in plan), "```"]
    return "\n".join(out) + "\n"


def csv_rows(report: Report, full: tuple[int, float, int], half: tuple[int, float, int]) -> None:
    """(projects, seconds, bytes) of the whole export and of half the projects' export."""
    _, full_seconds, full_size = full
    for label, (count, seconds, size) in (("all", full), ("half", half)):
        expected = full_seconds * size / full_size
        report.add(
            f"reads at scale: GET /api/v1/projects.csv, {label} ({count:,} projects, {size / 1e6:.1f} MB): seconds",
            f"{seconds:.2f} s ({size / 1e6 / seconds:.1f} MB/s)",
            f"{expected:.2f} s (the whole set's time, scaled to this size)",
            ratio(seconds, expected),
        )


def scale_reads(
    report: Report, *, events: int, clients: int = 16, seconds: float = 10.0, in_place: bool = False
) -> None:
    """Every figure of target 4, on a copy of the ``events`` template."""
    with copy_of_template(events) as url:
        queue = f"bench-reads-{uuid.uuid4().hex[:8]}"
        env = production_env(url, queue)
        if in_place:
            say("reads: the projects view's new DDL applied in place (--adopt-in-place)")
            adopt_in_place(url)
        processes_to_head(url)
        say(f"reads: pipeline init on a copy of the {events:,}-event template (migrates changed views)")
        support.run_cli("init", env=env, timeout=3600)
        vacuum_analyze(url)
        ids = sample_ids(url)
        (OUT_DIR / "reads-plans.md").write_text(explain_plans(url, ids))
        with support.server(env, log_path("reads-server")) as base:
            loads = [http_load(base, endpoint, ids, clients, seconds) for endpoint in ENDPOINTS]
            full = time_csv(base)
        for endpoint, load in zip(ENDPOINTS, loads, strict=True):
            bench, statements = pgbench_for(url, endpoint, ids, clients, seconds)
            endpoint_row(report, endpoint, load, bench, statements, clients)
        full_count = int(sql_scalar(url, "SELECT count(*) FROM projects"))
        half_count = halve_projects(url)
        with support.server(env, log_path("reads-server-half")) as base:
            half = time_csv(base)
        csv_rows(report, (full_count, *full), (half_count, *half))
        report.notes.append(
            f"reads at scale: a copy of {scale.template_name(events)} after `pipeline init` and VACUUM ANALYZE; "
            f"gunicorn WEB_CONCURRENCY=2 x WEB_THREADS 8; pgbench -c {clients} -j 2 -T {int(seconds)}; "
            f"scripts in {PGBENCH_DIR.relative_to(ROOT)}; plans in var/bench/reads-plans.md"
        )


def embedded_reads(report: Report, sqlite_url: str, *, clients: int = 16, seconds: float = 10.0) -> None:
    """The same endpoints on an embedded store (SQLite file, `pipeline serve` without Redis:
    Werkzeug threaded), each beside the endpoint's own queries run in-process from one thread
    for the same time (SQLite has no pgbench)."""
    db = open_database(sqlite_url)
    try:
        ids = [r["id"] for r in db.query(f"SELECT id FROM projects ORDER BY random() LIMIT {SAMPLED_IDS}")]
        count = int(db.query("SELECT count(*) AS n FROM projects")[0]["n"])
    finally:
        db.close()
    env = support.pipeline_env(DATABASE_URL=sqlite_url, PIPELINE_RATE_LIMITS="off")
    with support.server(env, log_path("reads-embedded-server")) as base:
        loads = [http_load(base, endpoint, ids, clients, seconds) for endpoint in ENDPOINTS]
        csv_seconds, csv_size = time_csv(base)
    db = open_database(sqlite_url)
    try:
        for endpoint, load in zip(ENDPOINTS, loads, strict=True):
            recorder = Recorder(db)
            endpoint.queries(recorder, ids[0])
            done, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                with db.reading() as reader:
                    for sql, params in recorder.statements:
                        reader.query(sql, {**params, "id": ids[done % len(ids)]} if endpoint.per_id else params)
                done += 1
            rate = done / (time.perf_counter() - started)
            lat = load["latency_ms"]
            report.add(
                f"embedded (SQLite, {count:,} projects): {endpoint.name}, {clients} clients: requests/s (p50 / p99)",
                f"{per_s(load['rps'])} ({lat['p50']:.1f} / {lat['p99']:.1f} ms)",
                f"{per_s(rate)} (its {len(recorder.statements)} statements in-process, 1 thread)",
                ratio(load["rps"], rate),
            )
    finally:
        db.close()
    report.add(
        f"embedded (SQLite): GET /api/v1/projects.csv ({count:,} projects, {csv_size / 1e6:.1f} MB)",
        f"{csv_seconds:.2f} s",
        "",
    )


def main(argv: list[str] | None = None) -> int:
    from tests.benchmarks.common import markdown_table

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=scale.DEFAULT_EVENTS, help="Which template (it must be built)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--plans-only", action="store_true", help="Only write the query plans, measure nothing")
    parser.add_argument("--embedded", metavar="SQLITE_URL", help="Measure this embedded store instead")
    parser.add_argument(
        "--adopt-in-place", action="store_true", help="Apply the projects view's new DDL instead of migrating it"
    )
    args = parser.parse_args(argv)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    if args.plans_only:
        with copy_of_template(args.events) as url:
            if args.adopt_in_place:
                adopt_in_place(url)
            vacuum_analyze(url)
            print(explain_plans(url, sample_ids(url)))
        return 0
    report = Report()
    if args.embedded:
        embedded_reads(report, args.embedded, clients=args.clients, seconds=args.seconds)
        print(markdown_table(report.rows))
        return 0
    scale_reads(report, events=args.events, clients=args.clients, seconds=args.seconds, in_place=args.adopt_in_place)
    print(markdown_table(report.rows))
    for title, items in (("FAILURES", report.failures), ("notes", report.notes)):
        if items:
            print(f"\n{title}:\n" + "\n".join(f"- {item}" for item in items))
    return 1 if report.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
