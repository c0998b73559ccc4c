"""The lag phase: how long after a write's 200 its event shows in the read model.

Production mode (gunicorn + ``pipeline worker`` processes) on a fresh database. Pledges
(PUT /api/v1/projects/{id}/pledges/mine, one project per client) are sent at a fixed
rate, half the spread pledge rate of the same run, open loop: request k is due at
t0 + k / rate whatever happened to the ones before. Each 200 carries the write's log
position (``event_position``); a watcher polls the ``projects`` view's position every
few milliseconds (``projection_positions``, the row the view's transaction updates with
its rows), and a write is visible at the first poll that shows its position. Run with 1,
2 and 4 workers; the lag of the first and the last third of the writes tell whether
it grows."""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import psycopg

from tests import support
from tests.benchmarks.common import (
    Report,
    forget_queue,
    in_threads,
    log_path,
    ms,
    say,
    verify_views,
)
from tests.benchmarks.load import pledge_value
from tests.benchmarks.pledges import MEMBERS_PER_CLIENT, Member, scene_for

VIEW = "projects"
POLL_SECONDS = 0.005
TARGET_P99 = 0.250


@dataclass(frozen=True)
class Write:
    acked: float  # time.monotonic() when the 200 arrived
    position: int


@dataclass
class Watcher:
    """Polls the view's position; ``seen`` is [(time the answer came, position)]."""

    database_url: str
    seen: list[tuple[float, int]]
    stop: threading.Event

    def run(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self.stop.is_set():
                row = conn.execute("SELECT position FROM projection_positions WHERE name = %s", (VIEW,)).fetchone()
                self.seen.append((time.monotonic(), int(row[0]) if row else 0))
                time.sleep(POLL_SECONDS)


def send_paced(
    base: str, members: list[Member], projects: list[str], rate: float, seconds: float, first: int
) -> list[Write]:
    """One thread per project; request k (client k % C) is due at t0 + k / rate. ``first``
    numbers the pledges on from an earlier run, so every amount differs from the last."""
    clients = len(projects)
    writes: list[Write] = []
    problems: list[str] = []
    lock = threading.Lock()
    t0 = time.monotonic() + 0.2
    total = int(rate * seconds)

    def client(i: int) -> None:
        url = urlsplit(base)
        conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
        for k in range(i, total, clients):
            time.sleep(max(t0 + k / rate - time.monotonic(), 0))
            m = first + k // clients
            member = members[i * MEMBERS_PER_CLIENT + m % MEMBERS_PER_CLIENT]
            body = json.dumps(pledge_value(i, m))
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {member.token}"}
            conn.request("PUT", f"/api/v1/projects/{projects[i]}/pledges/mine", body, headers)
            response = conn.getresponse()
            answer = response.read()
            acked = time.monotonic()
            with lock:
                if response.status == 200:
                    writes.append(Write(acked, int(json.loads(answer)["event_position"])))
                else:
                    problems.append(f"{response.status} {answer[:200]!r}")
        conn.close()

    in_threads(clients, client)
    if problems:
        raise RuntimeError(f"lag: {len(problems)} pledges not accepted, e.g. {problems[:3]}")
    return sorted(writes, key=lambda w: w.acked)


def visibility_lags(writes: list[Write], seen: list[tuple[float, int]]) -> list[float] | None:
    """Seconds from each write's 200 to the first poll that showed it (0 if it was already
    visible at its 200); None if some write never showed."""
    lags, j = [], 0
    for write in sorted(writes, key=lambda w: w.position):
        while j < len(seen) and seen[j][1] < write.position:
            j += 1
        if j == len(seen):
            return None
        lags.append(max(seen[j][0] - write.acked, 0.0))
    return lags


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] if ordered else 0.0


def by_ack(writes: list[Write], lags: list[float]) -> list[float]:
    """The lags in the order the writes were acknowledged."""
    lag_of = dict(zip(sorted(w.position for w in writes), lags, strict=True))
    return [lag_of[w.position] for w in writes]


@dataclass(frozen=True)
class LagRun:
    workers: int
    rate: float  # pledges/s actually sent and acknowledged
    lags: list[float]  # in acknowledgement order


Scene = tuple[list[Member], list[str]]  # members (MEMBERS_PER_CLIENT per client), a project per client


def measure(database_url: str, env: dict[str, str], workers: int, scene: Scene, cfg: Any, rate: float) -> LagRun:
    members, projects = scene
    logs = [log_path(f"lag-{workers}w-worker-{i}") for i in range(workers)]
    procs = [support.Process(["worker"], env, path) for path in logs]
    seen: list[tuple[float, int]] = []
    stop = threading.Event()
    watcher = threading.Thread(target=Watcher(database_url, seen, stop).run, daemon=True)
    try:
        with support.server(env, log_path(f"lag-{workers}w-server")) as base:
            watcher.start()
            started = time.monotonic()
            writes = send_paced(base, members, projects, rate, cfg.lag_seconds, first=workers * 100_000)
            sent_for = time.monotonic() - started
            head = max(w.position for w in writes)
            support.wait_until(lambda: seen and seen[-1][1] >= head, timeout=90, message="the view to catch up")
    finally:
        stop.set()
        watcher.join(timeout=5)
        for proc in procs:
            proc.stop()
    lags = visibility_lags(writes, seen)
    if lags is None:
        raise RuntimeError("lag: a write never showed in the read model")
    return LagRun(workers, len(writes) / sent_for, by_ack(writes, lags))


def add_rows(report: Report, run: LagRun, target_rate: float) -> None:
    label = f"lag, {run.workers} worker{'s' if run.workers > 1 else ''} at {run.rate:.0f} pledges/s"
    third = max(len(run.lags) // 3, 1)
    first, last = run.lags[:third], run.lags[-third:]
    for name, q in (("p50", 0.50), ("p99", 0.99)):
        report.add(f"{label}: 200 to visible in `{VIEW}`, {name}", ms(pct(run.lags, q)), "250 ms (target p99)", "")
    report.add(
        f"{label}: trend, last third vs first third (p50 / p99)",
        f"{ms(pct(last, 0.5))} / {ms(pct(last, 0.99))}",
        f"{ms(pct(first, 0.5))} / {ms(pct(first, 0.99))}",
        f"{pct(last, 0.99) / max(pct(first, 0.99), 0.001):.2f}",
    )
    if pct(run.lags, 0.99) > TARGET_P99:
        report.warn(f"{label}: p99 {ms(pct(run.lags, 0.99))} is above the 250 ms target")
    report.notes.append(
        f"{label}: {len(run.lags)} pledges sent open loop at {target_rate:.1f}/s asked (half the spread pledge rate);"
        f" the view's position polled every {POLL_SECONDS * 1000:.0f} ms; max {ms(max(run.lags, default=0))}."
    )


def lag_phase(cfg: Any, report: Report, database_url: str, rate: float) -> None:
    scene = scene_for(database_url, cfg.clients, "Lag")
    queue, env, members, projects = scene.queue, scene.env, scene.members, scene.projects
    try:
        for workers in (1, 2, 4):
            say(f"  {workers} worker(s): {rate:.1f} pledges/s for {cfg.lag_seconds:g} s")
            add_rows(report, measure(database_url, env, workers, (members, projects), cfg, rate), rate)
            verify_views(report, f"lag, {workers} worker(s)", env)
    finally:
        forget_queue(queue)
