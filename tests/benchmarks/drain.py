"""The drain phase: how fast 1, 2 and 4 ``pipeline worker`` processes apply a backlog.

Production mode on a fresh database. With no worker running, the clients write for a
fixed time through gunicorn (client i: a pledge to its own project, a follow of the next
client's project, an unfollow, in turn), so the log runs ahead of every follower. Then N
workers start, and the time from the first follower position that moves to the moment
every follower (views and processes) has lag 0 is the drain time; the events written by
the load over that time is the drain rate. The same load is written again before each N,
so each drain has the same kind and amount of work. ``pipeline projections verify`` runs
after each drain. Workers share followers (one job and one lease per follower): with one
follower per worker the rate can grow with N until the cores or one busy follower limit it."""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import psycopg

from projections import runner
from tests import support
from tests.benchmarks.common import (
    Report,
    forget_queue,
    in_threads,
    log_path,
    runtime_for,
    say,
    verify_views,
)
from tests.benchmarks.load import pledge_value
from tests.benchmarks.pledges import MEMBERS_PER_CLIENT, Member, scene_for
from workers.runtime import follow

WORKER_COUNTS = (1, 2, 4)
POLL_SECONDS = 0.01


@dataclass(frozen=True)
class Drain:
    workers: int
    events: int  # written by the load, all of them applied by the drain
    seconds: float  # first position moved -> every follower at lag 0
    start_seconds: float  # workers started -> first position moved (process start-up)
    finished: dict[str, float]  # seconds after the first move at which each follower got there

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def write_load(base: str, members: list[Member], projects: list[str], seconds: float, first: int) -> int:
    """Closed loop, one thread per client; returns the 200 answers. Any other answer fails."""
    clients = len(projects)
    answered = [0] * clients
    problems: list[str] = []
    until = time.monotonic() + seconds

    def client(i: int) -> None:
        url = urlsplit(base)
        conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
        n = first
        while time.monotonic() < until and not problems:
            member = members[i * MEMBERS_PER_CLIENT + n % MEMBERS_PER_CLIENT]
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {member.token}"}
            other = projects[(i + 1) % clients]
            for method, path, body in (
                ("PUT", f"/api/v1/projects/{projects[i]}/pledges/mine", json.dumps(pledge_value(i, n))),
                ("POST", f"/api/v1/projects/{other}/follow", None),
                ("DELETE", f"/api/v1/projects/{other}/follow", None),
            ):
                conn.request(method, path, body, headers)
                response = conn.getresponse()
                answer = response.read()
                if response.status == 200:
                    answered[i] += 1
                else:
                    problems.append(f"{method} {path}: {response.status} {answer[:200]!r}")
            n += 1
        conn.close()

    in_threads(clients, client)
    if problems:
        raise RuntimeError(f"drain: {len(problems)} writes not accepted, e.g. {problems[:3]}")
    return sum(answered)


def positions(conn: psycopg.Connection) -> dict[str, int]:
    return {name: int(at) for name, at in conn.execute("SELECT name, position FROM projection_positions").fetchall()}


def targets(conn: psycopg.Connection) -> dict[str, int]:
    """The last event each follower follows: at or past it, the follower has lag 0."""
    return {
        f.name: int(
            conn.execute(
                "SELECT COALESCE(MAX(notification_id), 0) FROM pipeline_events WHERE topic = ANY(%s)",
                (list(f.topics()),),
            ).fetchone()[0]  # type: ignore[index]
        )
        for f in follow.all_followers()
    }


def drain(database_url: str, env: dict[str, str], workers: int, events: int) -> Drain:
    """Start ``workers`` workers on the backlog; time it to lag 0 for every follower (polling
    positions only, so the watching costs the database little)."""
    with runtime_for(database_url, init=False) as rt, psycopg.connect(database_url, autocommit=True) as conn:
        before, wanted = positions(conn), targets(conn)
        started = time.monotonic()
        procs = [support.Process(["worker"], env, log_path(f"drain-{workers}w-worker-{i}")) for i in range(workers)]
        try:
            moved_at = None
            while moved_at is None:
                if positions(conn) != before:
                    moved_at = time.monotonic()
                elif time.monotonic() - started > 60:
                    raise RuntimeError(f"drain: {workers} worker(s) moved no follower within 60 s")
                else:
                    time.sleep(POLL_SECONDS)
            deadline = moved_at + 600
            finished: dict[str, float] = {}
            while len(finished) < len(wanted):
                now = positions(conn)
                for name, at in wanted.items():
                    if name not in finished and now.get(name, 0) >= at:
                        finished[name] = time.monotonic() - moved_at
                if time.monotonic() > deadline:
                    raise RuntimeError(f"drain: {workers} worker(s) did not reach lag 0 within 600 s")
                time.sleep(POLL_SECONDS)
            done_at = time.monotonic()
            behind = [s.name for s in runner.status(rt.app, rt.db, follow.all_followers()) if s.lag]
            if behind:
                raise RuntimeError(f"drain: at their targets, yet {behind} report lag")
        finally:
            for proc in procs:
                proc.stop()
    return Drain(workers, events, done_at - moved_at, moved_at - started, finished)


def drain_phase(cfg: Any, report: Report, database_url: str, seconds: float) -> list[Drain]:
    clients = cfg.clients
    scene = scene_for(database_url, clients, "Drain")
    queue, env, members, projects = scene.queue, scene.env, scene.members, scene.projects
    drains = []
    try:
        for workers in WORKER_COUNTS:
            with runtime_for(database_url, init=False) as rt:
                head_before = runner.head(rt.app)
            say(f"  {clients} clients write for {seconds:g} s with no worker running")
            with support.server(env, log_path(f"drain-{workers}w-server")) as base:
                write_load(base, members, projects, seconds, first=workers * 100_000)
            with runtime_for(database_url, init=False) as rt:
                events = runner.head(rt.app) - head_before
            say(f"  {workers} worker(s) drain {events} events")
            drains.append(drain(database_url, env, workers, events))
            verify_views(report, f"drain, {workers} worker(s)", env)
            forget_queue(queue)
    finally:
        forget_queue(queue)
    add_rows(report, drains)
    return drains


def add_rows(report: Report, drains: list[Drain]) -> None:
    one = drains[0]
    for run in drains:
        label = f"backlog drain, {run.workers} worker{'s' if run.workers > 1 else ''}"
        report.add(
            f"{label}: events applied/s (every follower to lag 0)",
            f"{run.events} events in {run.seconds:.1f} s = {run.rate:.0f}/s",
            f"{one.rate:.0f}/s (1 worker)",
            f"{run.rate / one.rate:.2f}" if one.rate else "",
        )
    report.notes.append(
        "backlog drain: the time runs from the first follower position that moved to lag 0 for every view and"
        " process, so worker start-up is left out ("
        + ", ".join(f"{d.workers}: {d.start_seconds:.1f} s" for d in drains)
        + "); the load is a pledge, a follow and an unfollow per client in turn, with no worker running;"
        " `pipeline projections verify` ran after each drain. Target: 2 workers at least 1.5x one."
    )
    for run in drains:
        last = sorted(run.finished.items(), key=lambda item: -item[1])[:4]
        report.notes.append(
            f"backlog drain, {run.workers} worker(s): the last followers to get there (seconds after the first move): "
            + ", ".join(f"{name} {at:.1f}" for name, at in last)
        )
