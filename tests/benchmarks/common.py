"""What the benchmark phases share: the report, in-process timing, databases and
processes, CPU accounting from /proc, and driving load.py against a server."""

from __future__ import annotations

import contextlib
import json
import os
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
from pathlib import Path
from typing import Any

from projections import runner
from projections.registry import all_projections
from tests import support
from tests.benchmarks.load import percentile
from workers.runtime.bootstrap import Runtime, build_runtime, initialise
from workers.runtime.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
LOAD_SCRIPT = Path(__file__).with_name("load.py")
OUT_DIR = ROOT / "var" / "bench"
LOG_DIR = OUT_DIR / "logs"
DRAIN_TIMEOUT = 90.0  # above the worker's 30 s sweep, so a lost job shows up as slow, not as a hang
STARTED = time.monotonic()


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


def max_lag(rt: Runtime) -> int:
    return max(s.lag for s in runner.status(rt.app, rt.db, all_projections()))


@contextlib.contextmanager
def runtime_for(database_url: str, *, init: bool = True) -> Iterator[Runtime]:
    """A runtime on the store (initialised first, register loaded, unless ``init`` is False)."""
    if init:
        initialise(Settings(database_url=database_url, secret_key=support.SECRET_KEY))
    rt = build_runtime(Settings(database_url=database_url, secret_key=support.SECRET_KEY))
    try:
        yield rt
    finally:
        rt.close()


# ---------------------------------------------------------------- databases and processes
def sql_rows(database_url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if database_url.startswith("sqlite:"):
        with contextlib.closing(sqlite3.connect(database_url.split("sqlite:///", 1)[1])) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute(sql, params).fetchall()


def sql_scalar(database_url: str, sql: str, params: tuple[Any, ...] = ()) -> Any:
    return sql_rows(database_url, sql, params)[0][0]


def count_events(database_url: str) -> int:
    return int(sql_scalar(database_url, "SELECT count(*) FROM pipeline_events"))


def events_matching(database_url: str, topics: tuple[str, ...], after: int = 0) -> int:
    return int(
        sql_scalar(
            database_url,
            "SELECT count(*) FROM pipeline_events WHERE topic = ANY(%s) AND notification_id > %s",
            (list(topics), after),
        )
    )


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


def warn_log_trouble(report: Report, label: str, log_files: list[Path]) -> None:
    for path in log_files:
        trouble = log_trouble(path)
        if trouble:
            report.warn(f"{label}: {len(trouble)} error lines in {path.relative_to(ROOT)}, e.g. {trouble[0][:200]}")


def production_env(database_url: str, queue: str) -> dict[str, str]:
    """What `pipeline serve` (gunicorn x2) and `pipeline worker` run with in production mode."""
    return support.pipeline_env(
        DATABASE_URL=database_url,
        REDIS_URL=support.REDIS_URL,
        PIPELINE_QUEUE=queue,
        WEB_CONCURRENCY="2",
        PIPELINE_RATE_LIMITS="off",
        PIPELINE_OUTBOX_DIR=str(OUT_DIR / "outbox"),
    )


def forget_queue(queue: str) -> None:
    """Remove what this run left in Redis under its own queue name."""
    from redis import Redis
    from rq import Queue

    redis = Redis.from_url(support.REDIS_URL)
    try:
        for name in (queue, f"{queue}-mail"):
            Queue(name, connection=redis).delete(delete_jobs=True)
        for pattern in (f"rq:*:{queue}", f"rq:*:{queue}-mail", f"pipeline:catch-up-pending:{queue}:*"):
            for key in redis.scan_iter(pattern):
                redis.delete(key)
    finally:
        redis.close()


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


def _postgres_role(pid: str, dbname: bytes) -> str:
    """A backend serving our database is ours; the server's own processes (WAL writer,
    checkpointer, ...) are shared; backends of other databases belong to someone else."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").split()
    except OSError:
        return "postgres, others"
    words = title[1:] if title[:1] == [b"postgres:"] else []
    if words and words[0].endswith(b":"):  # the cluster's name, e.g. "15/main:"
        words = words[1:]
    if len(words) > 2 and words[1] == dbname:  # user, database, client address, state
        return "postgres"
    if len(words) > 2 and (words[2] == b"[local]" or words[2].endswith(b")")):
        return "postgres, others"
    return "postgres, shared"


def _role(pid: str, comm: str, marker: bytes) -> str:
    if comm.startswith("postgres"):
        return _postgres_role(pid, marker.split(b"/")[-1].split(b"?")[0].rstrip(b"\0"))
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


def verify_views(report: Report, label: str, env: dict[str, str]) -> None:
    """``pipeline projections verify`` over every view (each rebuilt beside up to its position and
    compared): the run fails on any difference."""
    try:
        support.run_cli("projections", "verify", env=env, timeout=600)
    except RuntimeError as error:
        report.fail(f"{label}: `pipeline projections verify` found differences: {str(error)[-2000:]}")


def in_threads(count: int, client: Callable[[int], object]) -> None:
    """``client(i)`` for i in 0..count-1, each in a thread of its own, all started then all joined."""
    threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# ---------------------------------------------------------------- driving load.py
@dataclass(frozen=True)
class Measured:
    """One run of load.py against a server, and what the machine did meanwhile."""

    load: dict[str, Any]
    cpu: dict[str, float]  # CPU seconds used during the load (warm-up included), by role
    cpu_wall: float  # the wall-clock seconds those were counted over
    max_lag_during_load: int
    lag_at_end: int
    drain_seconds: float | None  # None: never reached lag 0


def run_load(
    base_url: str, clients: int, seconds: float, warmup: float, *extra: str, stdin: str | None = None
) -> tuple[dict[str, Any], float]:
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
        *extra,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # load.py is the only child reaped in between
    result = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=seconds + warmup + 120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"load.py failed ({result.returncode}):\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(result.stdout), cpu


def measure_load(
    base: str,
    database_url: str,
    clients: int,
    seconds: float,
    warmup: float,
    *extra: str,
    stdin: str | None = None,
) -> Measured:
    """load.py against ``base`` with CPU accounting and lag polling; then waits for lag 0."""
    say(f"  load: {clients} clients for {seconds:g} s (+{warmup:g} s warm-up) against {base}")
    cpu_before, started = cpu_snapshot(database_url), time.perf_counter()
    with LagPoller(base) as poller:
        load, load_cpu = run_load(base, clients, seconds, warmup, *extra, stdin=stdin)
    cpu = cpu_delta(cpu_before, cpu_snapshot(database_url))
    cpu["load generator"] = load_cpu
    cpu_wall = time.perf_counter() - started
    say(f"  load done: {load['requests']} requests, {load['ok']} answered {load['success']}; waiting for lag 0")
    lag, drain = wait_for_lag_zero(base)
    return Measured(load, cpu, cpu_wall, poller.max_lag, lag, drain)


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


# ---------------------------------------------------------------- rows shared by the HTTP phases
def check_load(report: Report, label: str, run: Measured) -> None:
    """Fail on 5xx, on requests without a response and on a lag that never reached 0;
    warn about other unexpected answers."""
    load, success = run.load, str(run.load["success"])
    unexpected = {status: n for status, n in load["statuses"].items() if status != success}
    server_errors = sum(n for status, n in unexpected.items() if status.startswith("5"))
    if server_errors:
        report.fail(f"{label}: {server_errors} responses were 5xx ({unexpected}); first bodies: {load['samples']}")
    if load["errors"]:
        report.fail(f"{label}: requests without any response: {load['errors']}")
    if unexpected.keys() - {s for s in unexpected if s.startswith("5")}:
        report.warn(f"{label}: non-{success} responses {unexpected}; first bodies: {load['samples']}")
    if load["warmup_problems"]:
        report.warn(f"{label}: problems during warm-up (not in the figures): {load['warmup_problems']}")
    if run.drain_seconds is None:
        report.fail(f"{label}: projections did not reach lag 0 within {DRAIN_TIMEOUT:g} s after the load")


def add_load_rows(report: Report, label: str, what: str, run: Measured, base: Timing, base_name: str) -> None:
    """Requests/s and latency percentiles beside an in-process baseline, then the error count."""
    load, lat, success = run.load, run.load["latency_ms"], str(run.load["success"])
    report.add(
        f"{label}: {what} over HTTP, requests/s",
        per_s(load["rps"]),
        f"{per_s(base.rate)} ({base_name})",
        ratio(load["rps"], base.rate),
    )
    for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
        report.add(
            f"{label}: latency {name}", f"{lat[name]:.1f} ms", ms(base.pct(q)), ratio(lat[name] / 1000, base.pct(q))
        )
    unexpected = sum(n for status, n in load["statuses"].items() if status != success)
    errors = unexpected + sum(load["errors"].values())
    report.add(f"{label}: non-{success} responses + failed requests", f"{errors} of {load['requests']}", "0", "")


def load_notes(report: Report, label: str, run: Measured) -> None:
    load = run.load
    total = load["requests"] + load["warmup_requests"]
    kept = (
        "the server closed the connection after each response"
        if load["connections"] >= total
        else "connections were kept alive between requests"
    )
    report.notes.append(
        f"{label}: the load generator opened {load['connections']} TCP connections for {total} requests "
        f"(warm-up included: {kept}); max latency {load['latency_ms']['max']:.0f} ms; "
        f"largest projection lag seen while loading (polled every 0.5 s): {run.max_lag_during_load} events."
    )
    report.notes.append(cpu_note(label, run.cpu, run.cpu_wall))
    per_write = ", ".join(
        f"{role} {seconds * 1000 / total:.1f}"
        for role, seconds in sorted(run.cpu.items(), key=lambda item: -item[1])
        if role in ("pipeline server", "pipeline worker", "postgres", "redis")
    )
    report.notes.append(f"{label}: CPU ms per request (warm-up included): {per_write}.")


def add_drain_row(report: Report, label: str, run: Measured, catch_up_rate: float | None) -> None:
    """Time from the end of the load to lag 0, beside what an in-process catch-up of the
    same lag would take (inline projections: nothing should be left to do)."""
    drain = f"> {DRAIN_TIMEOUT:g} s" if run.drain_seconds is None else f"{run.drain_seconds:.2f} s"
    if catch_up_rate is None:
        estimate, baseline = 0.0, f"0 s (applied inline before each {run.load['success']})"
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
