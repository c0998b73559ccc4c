"""`make bench`: sign-ups/s over HTTP and rebuild events/s, each beside a baseline
measured in the same run on this machine. See README.md in this folder.

    .venv/bin/python tests/benchmarks/run.py [--quick] [--seconds N] [--clients N]

Exits 1 if any request got a 5xx or no response, or if a read model disagrees
with what was written."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make the `tests` package importable

from eventsourcing.utils import get_topic  # noqa: E402

from domain.application import OrganisationRef, PipelineApplication  # noqa: E402
from domain.person import Person, PersonEmail  # noqa: E402
from projections import runner  # noqa: E402
from projections.registry import all_projections  # noqa: E402
from tests import support  # noqa: E402
from tests.benchmarks.load import DEFAULT_CODES, PASSWORD, percentile  # noqa: E402
from tests.factories import bulk_sign_ups  # noqa: E402
from workers.runtime import Argon2Hasher, Runtime, build_runtime, initialise  # noqa: E402
from workers.settings import Settings  # noqa: E402

LOAD_SCRIPT = Path(__file__).with_name("load.py")
OUT_DIR = ROOT / "var" / "bench"
LOG_DIR = OUT_DIR / "logs"
CODES = DEFAULT_CODES.split(",")
AFFECTED = ("people", "organisations", "signups_timeline")  # what web/people.py asks to catch up
DRAIN_TIMEOUT = 90.0  # above the worker's 30 s sweep, so a lost job shows up as slow, not as a hang
STARTED = time.monotonic()


# ---------------------------------------------------------------- configuration
@dataclass(frozen=True)
class Config:
    seconds: float  # production HTTP load, and the in-process sign-up baseline
    clients: int
    embedded_seconds: float
    embedded_clients: int
    raw_seconds: float  # app.save() of one small aggregate per transaction
    min_events: int  # top the log up to this many events before timing rebuilds
    warmup: float


def parse_config(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="A few seconds per phase: a smoke test")
    parser.add_argument("--seconds", type=float, help="Production load seconds (default 15; embedded gets 2/3)")
    parser.add_argument("--clients", type=int, help="Production clients (default 8; embedded gets half)")
    args = parser.parse_args(argv)
    seconds = args.seconds or (3.0 if args.quick else 15.0)
    clients = args.clients or (4 if args.quick else 8)
    if seconds <= 0 or clients < 1:
        parser.error("--seconds and --clients must be positive")
    return Config(
        seconds=seconds,
        clients=clients,
        embedded_seconds=max(1.0, round(seconds * 2 / 3)),
        embedded_clients=max(1, clients // 2),
        raw_seconds=1.0 if args.quick else 4.0,
        min_events=4_000 if args.quick else 20_000,
        warmup=0.5 if args.quick else 1.0,
    )


# ---------------------------------------------------------------- reporting
@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    baseline: str
    ratio: str


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # make the run exit 1
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: str, value: str, baseline: str, ratio: str = "") -> None:
        self.rows.append(Row(figure, value, baseline, ratio))

    def fail(self, message: str) -> None:
        self.failures.append(message)
        say(f"!!! FAILURE: {message}")

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        say(f"!!  warning: {message}")


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}" if baseline else "n/a"


def per_s(value: float) -> str:
    return f"{value:,.0f}/s"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def markdown_table(rows: list[Row]) -> str:
    lines = ["| figure | value | baseline | ratio |", "|---|---:|---:|---:|"]
    lines += [f"| {r.figure} | {r.value} | {r.baseline} | {r.ratio} |" for r in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------- measuring in-process
@dataclass(frozen=True)
class Timing:
    count: int
    elapsed: float
    latencies: list[float]  # sorted, seconds

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def pct(self, fraction: float) -> float:
        return percentile(self.latencies, fraction)


def timed_loop(seconds: float, operation: Callable[[int], object]) -> Timing:
    """Call ``operation(n)`` from this one thread until ``seconds`` have passed."""
    latencies: list[float] = []
    start = time.perf_counter()
    deadline = start + seconds
    n = 0
    while (now := time.perf_counter()) < deadline:
        operation(n)
        latencies.append(time.perf_counter() - now)
        n += 1
    return Timing(n, time.perf_counter() - start, sorted(latencies))


def timed(operation: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = operation()
    return result, time.perf_counter() - start


def sign_up_command(app: PipelineApplication, run_id: str) -> Callable[[int], object]:
    def sign_up(n: int) -> object:
        return app.sign_up(
            name=f"Baseline Person {n}",
            email=f"baseline-{run_id}-{n}@example.org",
            job_title=None,
            organisation=OrganisationRef(code=CODES[n % len(CODES)]),
            password=PASSWORD,
        )

    return sign_up


def raw_save_command(app: PipelineApplication, run_id: str) -> Callable[[int], object]:
    def save(n: int) -> object:
        address = f"raw-{run_id}-{n}@example.org"
        return app.save(PersonEmail(id=PersonEmail.id_for(address), person_id=uuid.uuid4()))

    return save


def max_lag(rt: Runtime) -> int:
    return max(s.lag for s in runner.status(rt.app, rt.db, all_projections()))


@contextlib.contextmanager
def runtime_for(database_url: str) -> Iterator[Runtime]:
    """An initialised store with the register loaded, and a runtime on it."""
    initialise(Settings(database_url=database_url))
    rt = build_runtime(Settings(database_url=database_url))
    try:
        yield rt
    finally:
        rt.close()


# ---------------------------------------------------------------- databases and processes
def sql_scalar(database_url: str, sql: str, params: tuple[Any, ...] = ()) -> Any:
    if database_url.startswith("sqlite:"):
        with contextlib.closing(sqlite3.connect(database_url.split("sqlite:///", 1)[1])) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchone()[0]
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute(sql, params).fetchone()[0]


def count_events(database_url: str) -> int:
    return int(sql_scalar(database_url, "SELECT count(*) FROM pipeline_events"))


def fresh_postgres(stack: contextlib.ExitStack) -> str:
    url = support.create_database()
    stack.callback(support.drop_database, url)
    return url


def fresh_sqlite(stack: contextlib.ExitStack) -> str:
    directory = tempfile.mkdtemp(prefix="pipeline-bench-")
    stack.callback(shutil.rmtree, directory, True)
    return f"sqlite:///{directory}/pipeline.sqlite3"  # an absolute path: sqlite:////tmp/...


def log_path(name: str) -> Path:
    path = LOG_DIR / f"{name}.log"
    path.unlink(missing_ok=True)
    return path


def log_trouble(path: Path) -> list[str]:
    """Lines in a process log that mean something went wrong."""
    markers = ("Traceback", "ERROR", "CRITICAL", "WORKER TIMEOUT", "Exception")
    return [line for line in path.read_text(errors="replace").splitlines() if any(m in line for m in markers)]


# ---------------------------------------------------------------- CPU accounting from /proc
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: str) -> tuple[str, float] | None:
    """(command name, CPU seconds) of one process, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2 :].split()
    return comm, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _role(pid: str, comm: str, marker: bytes) -> str:
    if comm.startswith("postgres"):
        return "postgres"
    if comm.startswith("redis"):
        return "redis"
    try:
        if marker not in Path(f"/proc/{pid}/environ").read_bytes():
            return "other"
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "other"
    args = cmdline.split(b"\0")
    return "pipeline worker" if b"worker" in args[1:3] else "pipeline server"  # `pipeline worker` vs the rest


def cpu_snapshot(database_url: str) -> dict[str, float]:
    """CPU seconds so far of every process, by role; pipeline processes are told
    apart from others by DATABASE_URL in their environment. ``busy`` is the machine total."""
    marker = f"DATABASE_URL={database_url}\0".encode()
    totals: dict[str, float] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        found = _proc_cpu(pid)
        if found:
            role = _role(pid, found[0], marker)
            totals[role] = totals.get(role, 0.0) + found[1]
    cpu = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    totals["busy"] = (sum(cpu) - cpu[3] - cpu[4]) / CLOCK_TICKS  # all but idle and iowait
    return totals


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Growth per role (processes that exited in between are not counted)."""
    return {role: max(after[role] - before.get(role, 0.0), 0.0) for role in after}


def cpu_note(label: str, cpu: dict[str, float], wall: float) -> str:
    available = wall * len(os.sched_getaffinity(0))
    parts = ", ".join(
        f"{role} {seconds:.1f}"
        for role, seconds in sorted(cpu.items(), key=lambda kv: -kv[1])
        if role != "busy" and seconds >= 0.05
    )
    busy = cpu.get("busy", 0.0)
    return (
        f"{label}: CPU seconds over the {wall:.1f} s of warm-up and load: machine busy {busy:.1f} "
        f"of {available:.1f} available; {parts}."
    )


# ---------------------------------------------------------------- HTTP phases
@dataclass(frozen=True)
class HttpRun:
    load: dict[str, Any]
    lag_at_end: int
    drain_seconds: float | None  # None: never reached lag 0
    people_rows: int
    cpu: dict[str, float]  # CPU seconds used during the load (warm-up included), by role
    cpu_wall: float  # the wall-clock seconds those were counted over
    max_lag_during_load: int

    @property
    def total_created(self) -> int:
        return int(self.load["created"]) + int(self.load["warmup_created"])


def run_load(base_url: str, clients: int, seconds: float, warmup: float) -> tuple[dict[str, Any], float]:
    """Run load.py as its own process; returns its summary and the CPU seconds it used."""
    args = [
        sys.executable,
        str(LOAD_SCRIPT),
        "--url",
        base_url,
        "--clients",
        str(clients),
        "--seconds",
        str(seconds),
        "--warmup",
        str(warmup),
        "--run-id",
        uuid.uuid4().hex[:10],
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # load.py is the only child reaped in between
    result = subprocess.run(args, capture_output=True, text=True, timeout=seconds + warmup + 120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"load.py failed ({result.returncode}):\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(result.stdout), cpu


def projection_lag(base_url: str) -> int:
    status, _, body = support.request("GET", base_url + "/api/v1/projections", timeout=10)
    if status != 200:
        raise RuntimeError(f"GET /api/v1/projections answered {status}: {body}")
    return max(item["lag"] for item in body["items"])


def wait_for_lag_zero(base_url: str, timeout: float = DRAIN_TIMEOUT) -> tuple[int, float | None]:
    """Returns the lag seen first, and the seconds until every projection had lag 0."""
    start = time.perf_counter()
    first = lag = projection_lag(base_url)
    while lag > 0:
        if time.perf_counter() - start > timeout:
            return first, None
        time.sleep(0.05)
        lag = projection_lag(base_url)
    return first, time.perf_counter() - start


def drive_server(
    env: dict[str, str], log: Path, clients: int, seconds: float, warmup: float, database_url: str
) -> HttpRun:
    with support.server(env, log) as base:
        say(f"  load: {clients} clients for {seconds:g} s (+{warmup:g} s warm-up) against {base}")
        cpu_before, started = cpu_snapshot(database_url), time.perf_counter()
        with LagPoller(base) as poller:
            load, load_cpu = run_load(base, clients, seconds, warmup)
        cpu = cpu_delta(cpu_before, cpu_snapshot(database_url))
        cpu["load generator"] = load_cpu
        cpu_wall = time.perf_counter() - started
        say(f"  load done: {load['requests']} requests, {load['created']} created; waiting for lag 0")
        lag, drain = wait_for_lag_zero(base)
    people = int(sql_scalar(database_url, "SELECT count(*) FROM people"))
    return HttpRun(load, lag, drain, people, cpu, cpu_wall, poller.max_lag)


class LagPoller:
    """Polls GET /api/v1/projections in the background; keeps the largest lag seen."""

    def __init__(self, base_url: str, interval: float = 0.5) -> None:
        self.base_url, self.interval = base_url, interval
        self.max_lag = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lag-poller", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with contextlib.suppress(Exception):  # a slow or failed poll only loses one sample
                self.max_lag = max(self.max_lag, projection_lag(self.base_url))

    def __enter__(self) -> LagPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def production_run(cfg: Config, database_url: str) -> HttpRun:
    queue = f"bench-{uuid.uuid4().hex[:10]}"
    env = support.pipeline_env(
        DATABASE_URL=database_url,
        REDIS_URL=support.REDIS_URL,
        PIPELINE_QUEUE=queue,
        WEB_CONCURRENCY="2",
        PIPELINE_RATE_LIMITS="off",
        PIPELINE_OUTBOX_DIR=str(OUT_DIR / "outbox"),
    )
    support.run_cli("init", env=env)
    worker_log = log_path("production-worker")
    worker = support.Process(["worker"], env, worker_log)
    try:
        return drive_server(env, log_path("production-server"), cfg.clients, cfg.seconds, cfg.warmup, database_url)
    finally:
        worker.stop()
        forget_queue(queue)


def forget_queue(queue: str) -> None:
    """Remove what this run left in Redis under its own queue name."""
    from redis import Redis
    from rq import Queue

    redis = Redis.from_url(support.REDIS_URL)
    try:
        Queue(queue, connection=redis).delete(delete_jobs=True)
        for pattern in (f"rq:*:{queue}", f"pipeline:catch-up-pending:{queue}:*"):  # job registries, markers
            for key in redis.scan_iter(pattern):
                redis.delete(key)
    finally:
        redis.close()


def embedded_run(cfg: Config, database_url: str) -> HttpRun:
    env = support.pipeline_env(
        DATABASE_URL=database_url, PIPELINE_RATE_LIMITS="off", PIPELINE_OUTBOX_DIR=str(OUT_DIR / "outbox")
    )
    support.run_cli("init", env=env)
    return drive_server(
        env, log_path("embedded-server"), cfg.embedded_clients, cfg.embedded_seconds, cfg.warmup, database_url
    )


def check_http_run(report: Report, label: str, run: HttpRun, log_files: list[Path]) -> None:
    load = run.load
    non_201 = {status: n for status, n in load["statuses"].items() if status != "201"}
    server_errors = sum(n for status, n in non_201.items() if status.startswith("5"))
    if server_errors:
        report.fail(f"{label}: {server_errors} responses were 5xx ({non_201}); first bodies: {load['samples']}")
    if load["errors"]:
        report.fail(f"{label}: requests without any response: {load['errors']}")
    if non_201.keys() - {s for s in non_201 if s.startswith("5")}:
        report.warn(f"{label}: non-201 responses {non_201}; first bodies: {load['samples']}")
    if load["warmup_problems"]:
        report.warn(f"{label}: problems during warm-up (not in the figures): {load['warmup_problems']}")
    if run.drain_seconds is None:
        report.fail(f"{label}: projections did not reach lag 0 within {DRAIN_TIMEOUT:g} s after the load")
    if run.people_rows != run.total_created:
        report.fail(
            f"{label}: MISMATCH people projection has {run.people_rows} rows but the API answered 201 "
            f"{run.total_created} times (incl. {load['warmup_created']} in warm-up)"
        )
    for path in log_files:
        trouble = log_trouble(path)
        if trouble:
            report.warn(f"{label}: {len(trouble)} error lines in {path.relative_to(ROOT)}, e.g. {trouble[0][:200]}")


def add_http_rows(report: Report, label: str, run: HttpRun, base: Timing, base_name: str) -> None:
    load, lat = run.load, run.load["latency_ms"]
    report.add(
        f"{label}: sign-ups over HTTP, requests/s",
        per_s(load["rps"]),
        f"{per_s(base.rate)} ({base_name})",
        ratio(load["rps"], base.rate),
    )
    for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
        report.add(
            f"{label}: latency {name}", f"{lat[name]:.1f} ms", ms(base.pct(q)), ratio(lat[name] / 1000, base.pct(q))
        )
    non_201 = sum(n for status, n in load["statuses"].items() if status != "201")
    errors = non_201 + sum(load["errors"].values())
    report.add(f"{label}: non-201 responses + failed requests", f"{errors} of {load['requests']}", "0", "")
    report.add(
        f"{label}: people rows vs 201 answers (warm-up included)",
        f"{run.people_rows}",
        f"{run.total_created}",
        ratio(run.people_rows, run.total_created),
    )
    report.notes.append(
        f"{label}: the load generator opened {load['connections']} TCP connections for {load['requests']} "
        f"requests (the server closed them after each response); max latency {lat['max']:.0f} ms; "
        f"largest projection lag seen while loading (polled every 0.5 s): {run.max_lag_during_load} events."
    )
    report.notes.append(cpu_note(label, run.cpu, run.cpu_wall))


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
        sign_up = timed_loop(cfg.seconds, sign_up_command(rt.app, run_id))
        lag = max_lag(rt)  # nothing projected the sign-ups yet: time catching up on them
        _, catch_up_seconds = timed(rt.catch_up_all)
        raw = timed_loop(cfg.raw_seconds, raw_save_command(rt.app, run_id))
    hasher = Argon2Hasher()
    hashing = timed_loop(cfg.raw_seconds, lambda n: hasher.hash(f"{PASSWORD} {n}"))
    return Baselines(sign_up, lag, catch_up_seconds, raw, hashing)


def embedded_baseline(cfg: Config, database_url: str) -> Timing:
    """What one embedded request does, minus HTTP: the command, then inline catch-up."""
    run_id = uuid.uuid4().hex[:10]
    with runtime_for(database_url) as rt:
        command = sign_up_command(rt.app, run_id)

        def sign_up_and_project(n: int) -> None:
            command(n)
            rt.projections_changed(AFFECTED)

        return timed_loop(cfg.embedded_seconds, sign_up_and_project)


# ---------------------------------------------------------------- rebuild
def top_up(app: PipelineApplication, database_url: str, min_events: int, pairs_per_save: int = 1000) -> int:
    """Add Person + PersonEmail pairs in a few large saves until the log holds ``min_events``."""
    missing_pairs = math.ceil(max(min_events - count_events(database_url), 0) / 2)
    if missing_pairs:
        bulk_sign_ups(app, missing_pairs, per_save=pairs_per_save)  # sealed fields, keys made in bulk
    return missing_pairs


def read_whole_log(app: PipelineApplication, page: int = 500) -> int:
    """The baseline: page through the log and decode every event; returns how many."""
    count, start = 0, 1
    while notifications := app.recorder.select_notifications(start, limit=page):
        for notification in notifications:
            app.mapper.to_domain_event(notification)
        count += len(notifications)
        start = notifications[-1].id + 1
    return count


def median_read_rate(app: PipelineApplication, passes: int = 3) -> float:
    rates = []
    for _ in range(passes):
        count, seconds = timed(lambda: read_whole_log(app))
        rates.append(count / seconds)
    return sorted(rates)[len(rates) // 2]


def events_matching(database_url: str, topics: tuple[str, ...]) -> int:
    return int(sql_scalar(database_url, "SELECT count(*) FROM pipeline_events WHERE topic = ANY(%s)", (list(topics),)))


def check_rebuilt_views(report: Report, database_url: str) -> None:
    signed_up = events_matching(database_url, (get_topic(Person.SignedUp),))
    checks = {
        "people rows": "SELECT count(*) FROM people",
        "organisations.member_count sum": "SELECT coalesce(sum(member_count), 0) FROM organisations",
        "signups_daily sum": "SELECT coalesce(sum(signups), 0) FROM signups_daily",
    }
    for name, sql in checks.items():
        found = int(sql_scalar(database_url, sql))
        if found != signed_up:
            report.fail(f"rebuild: MISMATCH {name} = {found}, but the log holds {signed_up} SignedUp events")


def cli_seconds(*args: str, env: dict[str, str]) -> float:
    _, seconds = timed(lambda: support.run_cli(*args, env=env, timeout=600))
    return seconds


def rebuild_phase(cfg: Config, report: Report, database_url: str) -> None:
    with runtime_for(database_url) as rt:
        added = top_up(rt.app, database_url, cfg.min_events)
        events = count_events(database_url)
        say(f"  log holds {events} events ({added} sign-ups added in-process); reading it as the baseline")
        read_rate = median_read_rate(rt.app)
        in_process_total = 0.0
        for projection in all_projections():
            covered, seconds = timed(lambda p=projection: runner.rebuild(rt.app, rt.db, p, batch_size=1000))
            in_process_total += seconds
            matching = events_matching(database_url, projection.topics())
            report.add(
                f"rebuild {projection.name} (in-process; {matching:,} of {events:,} events match)",
                per_s(events / seconds),
                f"{per_s(read_rate)} (read + decode all)",
                ratio(events / seconds, read_rate),
            )
            say(f"  rebuilt {projection.name}: {seconds:.2f} s, positions covered {covered}")
    check_rebuilt_views(report, database_url)
    add_cli_rebuild_row(report, database_url, events, in_process_total)


def add_cli_rebuild_row(report: Report, database_url: str, events: int, in_process_total: float) -> None:
    env = support.pipeline_env(DATABASE_URL=database_url)
    start_up = cli_seconds("projections", "status", env=env)
    rebuild = cli_seconds("projections", "rebuild", "--all", env=env)
    net = max(rebuild - start_up, 1e-9)
    report.add(
        f"`pipeline projections rebuild --all`, net of start-up ({start_up:.2f} s): seconds",
        f"{net:.2f} s",
        f"{in_process_total:.2f} s (3 in-process rebuilds)",
        ratio(net, in_process_total),
    )
    report.notes.append(f"CLI rebuild --all: {events * 3 / net:,.0f} log events/s summed over 3 projections.")


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
            f"raw save {cfg.raw_seconds:g} s; log topped up to {cfg.min_events:,} events",
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
    add_drain_row(report, "production", run, base.catch_up_rate)


def add_drain_row(report: Report, label: str, run: HttpRun, catch_up_rate: float | None) -> None:
    """Time from the end of the load to lag 0, beside what an in-process catch-up of the
    same lag would take (inline projections: nothing should be left to do)."""
    drain = f"> {DRAIN_TIMEOUT:g} s" if run.drain_seconds is None else f"{run.drain_seconds:.2f} s"
    if catch_up_rate is None:
        estimate, baseline = 0.0, "0 s (applied inline before each 201)"
    else:
        estimate = run.lag_at_end / catch_up_rate if catch_up_rate else 0.0
        baseline = f"{estimate:.2f} s (in-process catch-up at {per_s(catch_up_rate)})"
    measurable = run.drain_seconds is not None and estimate >= 0.1  # below that, polling noise dominates
    report.add(
        f"{label}: time to projection lag 0 after the load (lag {run.lag_at_end} at its end)",
        drain,
        baseline,
        ratio(run.drain_seconds or 0.0, estimate) if measurable else "n/a",
    )


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
        production_url = fresh_postgres(stack)
        say("production: pipeline init, serve (gunicorn x2) and worker on a fresh PostgreSQL database")
        production = production_run(cfg, production_url)
        check_http_run(
            report, "production", production, [LOG_DIR / "production-server.log", LOG_DIR / "production-worker.log"]
        )
        say(f"baseline: in-process sign_up for {cfg.seconds:g} s, then raw save for {cfg.raw_seconds:g} s")
        production_rows(report, production, postgres_baselines(cfg, fresh_postgres(stack)))
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
        add_drain_row(report, "embedded", embedded, None)
        say("rebuild: on the production database")
        rebuild_phase(cfg, report, production_url)
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
