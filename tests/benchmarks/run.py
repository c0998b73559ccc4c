"""`make bench`: sign-ups/s and pledges/s over HTTP, and rebuild events/s, each beside a
baseline measured in the same run on this machine. See README.md in this folder.

    .venv/bin/python tests/benchmarks/run.py [--quick] [--seconds N] [--clients N]

Exits 1 if any request got a 5xx or no response, if an acknowledged pledge was lost,
or if a read model disagrees with what was written."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sqlite3
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make the `tests` package importable

from eventsourcing.utils import get_topic  # noqa: E402

from domain.application import OrganisationRef, PipelineApplication  # noqa: E402
from domain.interest import StatusUpdate  # noqa: E402
from domain.person import Person, PersonEmail  # noqa: E402
from domain.project import Project  # noqa: E402
from tests import support  # noqa: E402
from tests.benchmarks import dispatch, drain, group_commit, history, lag, pledges, reads, rebuild, scale  # noqa: E402
from tests.benchmarks.common import (  # noqa: E402
    LOG_DIR,
    OUT_DIR,
    Measured,
    Report,
    Timing,
    add_drain_row,
    add_load_rows,
    check_load,
    count_events,
    events_matching,
    forget_queue,
    fresh_postgres,
    fresh_sqlite,
    load_notes,
    log_path,
    markdown_table,
    max_lag,
    measure_load,
    per_s,
    production_env,
    ratio,
    runtime_for,
    say,
    sql_scalar,
    timed,
    timed_loop,
    warn_log_trouble,
)
from tests.benchmarks.load import DEFAULT_CODES, PASSWORD  # noqa: E402
from workers.adapters.passwords import Argon2Hasher  # noqa: E402

CODES = DEFAULT_CODES.split(",")


# ---------------------------------------------------------------- configuration
PHASES = frozenset({"production", "embedded", "pledges", "lag", "drain", "group", "dispatch", "rebuild"})


@dataclass(frozen=True)
class Config:
    seconds: float  # production HTTP load, and the in-process sign-up baseline
    clients: int  # production sign-up clients, and pledge clients
    embedded_seconds: float
    embedded_clients: int
    pledge_seconds: float  # each of the two pledge loads
    pledge_baseline_seconds: float  # each of the two in-process app.pledge loops
    raw_seconds: float  # app.save() of one small aggregate per transaction
    min_events: int  # top the log up to this many events before timing rebuilds
    warmup: float
    lag_seconds: float  # each of the three lag loads (1, 2 and 4 workers)
    drain_seconds: float  # each of the three loads written with no worker running (drained by 1, 2, 4)
    quick: bool = False
    only: frozenset[str] = PHASES  # the phases to run
    scale: bool = False  # also the at-scale phases, on copies of the 1M-event template

    def runs(self, phase: str) -> bool:
        return phase in self.only


def parse_config(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="A few seconds per phase: a smoke test")
    parser.add_argument(
        "--seconds", type=float, help="Production sign-up load seconds (default 15; embedded and pledges get 2/3)"
    )
    parser.add_argument("--clients", type=int, help="Production and pledge clients (default 8; embedded gets half)")
    parser.add_argument(
        "--only",
        help=f"Run only these phases, comma-separated (of {', '.join(sorted(PHASES))}); rebuild needs production",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="Also reads and rebuilds over a copy of the 1M-event database (tests/benchmarks/scale.py builds it once)",
    )
    args = parser.parse_args(argv)
    only = frozenset(p.strip() for p in args.only.split(",")) if args.only else PHASES
    if only - PHASES:
        parser.error(f"--only: unknown phases {', '.join(sorted(only - PHASES))}")
    if "rebuild" in only and "production" not in only:
        parser.error("--only: rebuild runs on the production phase's database: add production")
    seconds = args.seconds or (3.0 if args.quick else 15.0)
    clients = args.clients or (4 if args.quick else 8)
    if seconds <= 0 or clients < 1:
        parser.error("--seconds and --clients must be positive")
    if clients * pledges.MEMBERS_PER_CLIENT + 1 > len(pledges.current_council_codes()):
        parser.error(f"--clients: each pledge client needs {pledges.MEMBERS_PER_CLIENT} councils of its own")
    two_thirds = max(1.0, round(seconds * 2 / 3))
    return Config(
        seconds=seconds,
        clients=clients,
        embedded_seconds=two_thirds,
        embedded_clients=max(1, clients // 2),
        pledge_seconds=two_thirds,
        pledge_baseline_seconds=max(1.0, round(two_thirds / 2)),
        raw_seconds=1.0 if args.quick else 4.0,
        min_events=4_000 if args.quick else 20_000,
        warmup=0.5 if args.quick else 1.0,
        lag_seconds=10.0 if args.quick else 60.0,
        drain_seconds=3.0 if args.quick else 15.0,
        quick=args.quick,
        only=only,
        scale=args.scale,
    )


# ---------------------------------------------------------------- in-process commands
def sign_up_command(app: PipelineApplication, run_id: str) -> Any:
    def sign_up(n: int) -> object:
        return app.sign_up(
            name=f"Baseline Person {n}",
            email=f"baseline-{run_id}-{n}@example.org",
            job_title=None,
            organisation=OrganisationRef(code=CODES[n % len(CODES)]),
            password=PASSWORD,
        )

    return sign_up


def raw_save_command(app: PipelineApplication, run_id: str) -> Any:
    def save(n: int) -> object:
        address = f"raw-{run_id}-{n}@example.org"
        return app.save(PersonEmail(id=app.personal.email_index_id(address), person_id=uuid.uuid4()))

    return save


# ---------------------------------------------------------------- sign-ups over HTTP
@dataclass(frozen=True)
class HttpRun:
    measured: Measured
    people_rows: int

    @property
    def load(self) -> dict[str, Any]:
        return self.measured.load

    @property
    def total_created(self) -> int:
        return int(self.load["created"]) + int(self.load["warmup_created"])


def drive_server(
    env: dict[str, str], log: Path, clients: int, seconds: float, warmup: float, database_url: str
) -> HttpRun:
    with support.server(env, log) as base:
        measured = measure_load(base, database_url, clients, seconds, warmup)
    people = int(sql_scalar(database_url, "SELECT count(*) FROM people"))
    return HttpRun(measured, people)


def production_run(cfg: Config, database_url: str) -> HttpRun:
    queue = f"bench-{uuid.uuid4().hex[:10]}"
    env = production_env(database_url, queue)
    support.run_cli("init", env=env)
    worker_log = log_path("production-worker")
    worker = support.Process(["worker"], env, worker_log)
    try:
        return drive_server(env, log_path("production-server"), cfg.clients, cfg.seconds, cfg.warmup, database_url)
    finally:
        worker.stop()
        forget_queue(queue)


def embedded_run(cfg: Config, database_url: str) -> HttpRun:
    env = support.pipeline_env(
        DATABASE_URL=database_url, PIPELINE_RATE_LIMITS="off", PIPELINE_OUTBOX_DIR=str(OUT_DIR / "outbox")
    )
    support.run_cli("init", env=env)
    return drive_server(
        env, log_path("embedded-server"), cfg.embedded_clients, cfg.embedded_seconds, cfg.warmup, database_url
    )


def check_http_run(report: Report, label: str, run: HttpRun, log_files: list[Path]) -> None:
    check_load(report, label, run.measured)
    if run.people_rows != run.total_created:
        report.fail(
            f"{label}: MISMATCH people projection has {run.people_rows} rows but the API answered 201 "
            f"{run.total_created} times (incl. {run.load['warmup_created']} in warm-up)"
        )
    warn_log_trouble(report, label, log_files)


def add_http_rows(report: Report, label: str, run: HttpRun, base: Timing, base_name: str) -> None:
    add_load_rows(report, label, "sign-ups", run.measured, base, base_name)
    report.add(
        f"{label}: people rows vs 201 answers (warm-up included)",
        f"{run.people_rows}",
        f"{run.total_created}",
        ratio(run.people_rows, run.total_created),
    )
    load_notes(report, label, run.measured)


# ---------------------------------------------------------------- baselines in-process
@dataclass(frozen=True)
class Baselines:
    sign_up: Timing
    catch_up_events: int
    catch_up_seconds: float
    raw_save: Timing
    password_hash: Timing

    @property
    def catch_up_rate(self) -> float:
        return self.catch_up_events / self.catch_up_seconds if self.catch_up_seconds else 0.0


def postgres_baselines(cfg: Config, database_url: str) -> Baselines:
    run_id = uuid.uuid4().hex[:10]
    with runtime_for(database_url) as rt:
        rt.app.log_moved = None  # the command alone: catching up is timed on its own below
        sign_up = timed_loop(cfg.seconds, sign_up_command(rt.app, run_id))
        lag = max_lag(rt)  # nothing projected the sign-ups yet: time catching up on them
        _, catch_up_seconds = timed(rt.catch_up)
        raw = timed_loop(cfg.raw_seconds, raw_save_command(rt.app, run_id))
    hasher = Argon2Hasher()
    hashing = timed_loop(cfg.raw_seconds, lambda n: hasher.hash(f"{PASSWORD} {n}"))
    return Baselines(sign_up, lag, catch_up_seconds, raw, hashing)


def embedded_baseline(cfg: Config, database_url: str) -> Timing:
    """What one embedded request does, minus HTTP: the command, whose save catches up inline
    the followers its events feed (views, and the notifier writing and sending the mail)."""
    run_id = uuid.uuid4().hex[:10]
    with runtime_for(database_url) as rt:
        return timed_loop(cfg.embedded_seconds, sign_up_command(rt.app, run_id))


# ---------------------------------------------------------------- rebuild
def check_rebuilt_views(report: Report, database_url: str, mix: history.Mix) -> None:
    """Each rebuilt read model against the log, or against what the top-up wrote."""
    signed_up = events_matching(database_url, (get_topic(Person.SignedUp),))
    proposed = events_matching(database_url, (get_topic(Project.Proposed),))
    posted = events_matching(database_url, (get_topic(StatusUpdate.Posted),))
    pledge_events = events_matching(
        database_url, tuple(get_topic(e) for e in (Project.PledgeMade, Project.PledgeAmended, Project.PledgeWithdrawn))
    )
    checks = {  # name: (SQL, expected, what the expected number is)
        "people rows": ("SELECT count(*) FROM people", signed_up, "SignedUp events"),
        "organisations.member_count sum": (
            "SELECT coalesce(sum(member_count), 0) FROM organisations",
            signed_up,
            "SignedUp events",
        ),
        "signups_daily sum": ("SELECT coalesce(sum(signups), 0) FROM signups_daily", signed_up, "SignedUp events"),
        "projects rows": ("SELECT count(*) FROM projects", proposed, "Project.Proposed events"),
        "projects.pledge_count sum": (
            "SELECT coalesce(sum(pledge_count), 0) FROM projects",
            mix.live_pledges,
            "live pledges written",
        ),
        "projects.pledged_pence sum": (
            "SELECT coalesce(sum(pledged_pence), 0) FROM projects",
            mix.live_pledged_pence,
            "pence pledged in live pledges written",
        ),
        "project_followers rows": ("SELECT count(*) FROM project_followers", mix.live_follows, "live follows written"),
        "projects.follower_count sum": (
            "SELECT coalesce(sum(follower_count), 0) FROM projects",
            mix.live_follows,
            "live follows written",
        ),
        "status_updates rows": ("SELECT count(*) FROM status_updates", posted, "StatusUpdate.Posted events"),
        "activity pledge rows": (
            "SELECT count(*) FROM activity WHERE starts_with(type, 'pledge.')",
            pledge_events,
            "pledge events",
        ),
    }
    for name, (sql, expected, what) in checks.items():
        found = int(sql_scalar(database_url, sql))
        if found != expected:
            report.fail(f"rebuild: MISMATCH {name} = {found}, but the log holds {expected} {what}")


def rebuild_phase(cfg: Config, report: Report, database_url: str) -> None:
    """Top the log up, then `rebuild --all` (one pass) beside one read pass, on PostgreSQL and
    on the same log in SQLite (``tests/benchmarks/rebuild.py``); then check the rebuilt views."""
    with runtime_for(database_url) as rt:
        before = count_events(database_url)
        mix = history.top_up(rt.app, lambda: count_events(database_url), cfg.min_events)
        events = count_events(database_url)
        say(f"  log holds {events} events ({events - before} added in-process: {mix.describe()})")
    rebuild.rebuild_both(report, database_url)
    check_rebuilt_views(report, database_url, mix)
    report.notes.append(
        f"rebuild: the log was topped up in-process with {mix.describe()}: "
        f"{events - before:,} events, {events:,} in all."
    )


# ---------------------------------------------------------------- the run
def machine_facts(cfg: Config) -> list[tuple[str, str]]:
    from redis import Redis

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "?",
    )
    redis = Redis.from_url(support.REDIS_URL)
    try:
        redis_version = str(redis.info("server")["redis_version"])
    finally:
        redis.close()
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("nproc", f"{len(os.sched_getaffinity(0))} ({cpu})"),
        ("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("PostgreSQL", str(sql_scalar(support.POSTGRES_ADMIN_URL, "SHOW server_version"))),
        ("Redis", redis_version),
        ("SQLite", sqlite3.sqlite_version),
        ("eventsourcing / gunicorn / rq", " / ".join(metadata.version(p) for p in ("eventsourcing", "gunicorn", "rq"))),
        (
            "settings",
            f"production {cfg.clients} clients x {cfg.seconds:g} s, WEB_CONCURRENCY=2, 1 worker; "
            f"embedded {cfg.embedded_clients} clients x {cfg.embedded_seconds:g} s; "
            f"pledges {cfg.clients} clients x {cfg.pledge_seconds:g} s per case "
            f"(in-process {cfg.pledge_baseline_seconds:g} s); "
            f"raw save {cfg.raw_seconds:g} s; log topped up to at least {cfg.min_events:,} events",
        ),
    ]


def production_rows(report: Report, run: HttpRun, base: Baselines) -> None:
    add_http_rows(report, "production", run, base.sign_up, "in-process sign_up, 1 thread")
    report.add(
        "production: sign_up in-process vs raw `app.save()` of 1 small aggregate",
        per_s(base.sign_up.rate),
        f"{per_s(base.raw_save.rate)} (save, 1 thread)",
        ratio(base.sign_up.rate, base.raw_save.rate),
    )
    report.add(
        "production: sign_up in-process vs one argon2id password hash (every sign-up hashes once)",
        per_s(base.sign_up.rate),
        f"{per_s(base.password_hash.rate)} (hash, 1 thread)",
        ratio(base.sign_up.rate, base.password_hash.rate),
    )
    add_drain_row(report, "production", run.measured, base.catch_up_rate)


def production_phase(cfg: Config, report: Report, stack: contextlib.ExitStack, production_url: str) -> None:
    say("production: pipeline init, serve (gunicorn x2) and worker on a fresh PostgreSQL database")
    production = production_run(cfg, production_url)
    check_http_run(
        report, "production", production, [LOG_DIR / "production-server.log", LOG_DIR / "production-worker.log"]
    )
    say(f"baseline: in-process sign_up for {cfg.seconds:g} s, then raw save for {cfg.raw_seconds:g} s")
    production_rows(report, production, postgres_baselines(cfg, fresh_postgres(stack)))


def embedded_phase(cfg: Config, report: Report, stack: contextlib.ExitStack) -> None:
    say("embedded: pipeline init and serve (Flask threaded) on a SQLite file")
    embedded = embedded_run(cfg, fresh_sqlite(stack))
    check_http_run(report, "embedded", embedded, [LOG_DIR / "embedded-server.log"])
    say(f"baseline: in-process sign_up + inline projections on SQLite for {cfg.embedded_seconds:g} s")
    add_http_rows(
        report,
        "embedded",
        embedded,
        embedded_baseline(cfg, fresh_sqlite(stack)),
        "in-process sign_up + inline catch-up, SQLite, 1 thread",
    )
    add_drain_row(report, "embedded", embedded.measured, None)


def main(argv: list[str] | None = None) -> int:
    cfg = parse_config(argv)
    for problem in (support.postgres_problem(), support.redis_problem()):
        if problem:
            print(problem, file=sys.stderr)
            return 2
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    facts = machine_facts(cfg)
    report = Report()
    with contextlib.ExitStack() as stack:
        production_url = ""
        if cfg.runs("production"):
            production_url = fresh_postgres(stack)
            production_phase(cfg, report, stack, production_url)
        if cfg.runs("embedded"):
            embedded_phase(cfg, report, stack)
        if cfg.runs("pledges") or cfg.runs("lag"):
            say("pledges: pipeline init, serve (gunicorn x2) and worker on a fresh PostgreSQL database")
            max_rate = pledges.pledge_phase(cfg, report, fresh_postgres(stack))
            if cfg.runs("lag"):
                say("lag: half the spread pledge rate, 1, 2 and 4 workers, on a fresh PostgreSQL database")
                lag.lag_phase(cfg, report, fresh_postgres(stack), max_rate / 2)
        if cfg.runs("drain"):
            say("drain: a backlog written with no worker, drained by 1, 2 and 4 workers, on a fresh database")
            drain.drain_phase(cfg, report, fresh_postgres(stack), cfg.drain_seconds)
        if cfg.runs("group"):
            say("group commit: app.pledge from 1, 8 and 32 threads beside raw INSERT loops, on a fresh database")
            group_commit.group_phase(report, fresh_postgres(stack), cfg.raw_seconds + 1.0)
        if cfg.runs("dispatch"):
            say("dispatch: worker CPU per write, in-process, on a fresh PostgreSQL database")
            dispatch.dispatch_phase(cfg, report, fresh_postgres(stack))
        if cfg.runs("rebuild"):
            say("rebuild: on the production database")
            rebuild_phase(cfg, report, production_url)
        if cfg.scale:
            say("reads at scale: every read endpoint beside pgbench, on a copy of the 1M-event database")
            reads.scale_reads(report, events=scale.DEFAULT_EVENTS)
            with reads.copy_of_template(scale.DEFAULT_EVENTS) as scale_url:
                rebuild.scale_rebuild(report, scale_url)
        else:
            report.notes.append(
                "reads and rebuild at 1M events: not run; `make bench BENCH_ARGS=--scale` runs them"
                " (the 1M-event template is built once, about 16 minutes on 2 cores, then kept)"
            )
        say("cleaning up: dropping databases")
    facts.append(("load average at end", " ".join(f"{x:.2f}" for x in os.getloadavg())))
    write_results(cfg, facts, report)
    return 1 if report.failures else 0


def write_results(cfg: Config, facts: list[tuple[str, str]], report: Report) -> None:
    table = markdown_table(report.rows)
    print(table)
    lines = ["# Pipeline benchmark", "", table, "", "## Machine", "", "| fact | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facts]
    for title, items in (("Failures", report.failures), ("Warnings", report.warnings), ("Notes", report.notes)):
        if items:
            lines += ["", f"## {title}", ""] + [f"- {item}" for item in items]
    lines += ["", "Baselines are measured in the same run; see tests/benchmarks/README.md for what each means.", ""]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "results.md").write_text("\n".join(lines))
    for title, items in (("FAILURES", report.failures), ("warnings", report.warnings), ("notes", report.notes)):
        if items:
            print(f"\n{title}:\n" + "\n".join(f"- {item}" for item in items))
    print(f"\nwritten to {(OUT_DIR / 'results.md').relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
