"""Profile the web tier in-process: the Flask app's test client against a fresh PostgreSQL
database, N requests of each kind in a loop under cProfile. Prints, per kind, the CPU ms
per request of this process (the web side: Flask, marshmallow, the aggregate cache, the
psycopg client) and the top entries by cumulative time.

    .venv/bin/python -m tests.benchmarks.web_profile              # 300 requests of each kind
    .venv/bin/python -m tests.benchmarks.web_profile -n 1000 --top 30

Kinds: ``pledge`` (PUT /api/v1/projects/{id}/pledges/mine, signed in, spread over projects),
``list`` (GET /api/v1/projects with a text query and two filters, 50 rows a page) and
``project`` (GET /api/v1/projects/{id}). No worker runs: the projections are caught up
once, before the reads, so the list answers full pages."""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from tests import support
from tests.benchmarks.common import forget_queue
from tests.benchmarks.pledges import make_members
from web.app import create_app
from workers.runtime.bootstrap import build_runtime, initialise
from workers.runtime.settings import Settings

LIST_QUERY = "q=shared+service&phase=discovery&collaboration_level=share_funding&limit=50"
WORDS = ("shared", "service", "booking", "waste", "parking", "housing", "benefits", "planning")


def seed(rt: Any, projects: int) -> tuple[list[Any], list[Any]]:
    """Members with sessions, and ``projects`` projects that mostly match the list's query."""
    members = make_members(rt, 16, "profile")
    ids = []
    for i in range(projects):
        owner = members[i % len(members)]
        details = {
            "title": f"{WORDS[i % len(WORDS)].title()} shared service {i}",
            "summary": f"A shared service for {WORDS[(i * 3) % len(WORDS)]}, backed by councils.",
            "tags": ["benchmark", WORDS[i % len(WORDS)]],
            "collaboration_level": "share_funding" if i % 4 else "share_ideas",
        }
        ids.append(rt.app.propose_project(owner.person_id, "discovery", details).aggregate.id)
    for i, project_id in enumerate(ids[:40]):  # some pledges, so the rows carry totals
        pledger = members[(i + 1) % len(members)]
        pledge = {"money": "100.00", "days": "1.00", "contributions": ["testing"], "message": None}
        rt.app.pledge_for_organisation(project_id, pledger.person_id, pledge)
    rt.catch_up()
    return members, ids


def measure(label: str, n: int, send: Callable[[int], Any], top: int, sort: str, cpu_clock: bool = False) -> str:
    for i in range(20):  # warm-up: imports, first connections, caches
        send(i)
    # by default cProfile counts wall time, so waiting on PostgreSQL shows up in psycopg's
    # wait(); with the CPU clock the shares are this process's own work only
    profiler = cProfile.Profile(time.process_time) if cpu_clock else cProfile.Profile()
    started_cpu, started = time.process_time(), time.perf_counter()
    profiler.enable()
    for i in range(n):
        send(i)
    profiler.disable()
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(top)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    body = "\n".join(lines[lines.index(next(x for x in lines if "ncalls" in x)) :])
    head = f"## {label}: {n} requests, {cpu / n * 1000:.2f} ms CPU and {wall / n * 1000:.2f} ms wall each (profiled)"
    return f"{head}\n{body}\n"


def ms_per_request(n: int, send: Callable[[int], Any]) -> float:
    started = time.process_time()
    for i in range(n):
        send(i)
    return (time.process_time() - started) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=300, help="requests of each kind (default 300)")
    parser.add_argument("--top", type=int, default=25, help="profile entries to print (default 25)")
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative (default), tottime")
    parser.add_argument("--plain", action="store_true", help="no cProfile: CPU figures only (for py-spy)")
    parser.add_argument("--cpu", action="store_true", help="profile with the CPU clock, not wall time")
    parser.add_argument("--only", default="", help="kinds to run, comma-separated: pledge,list,project (default all)")
    parser.add_argument("--projects", type=int, default=128, help="projects, a multiple of 16 (default 128)")
    args = parser.parse_args()
    url, queue = support.create_database(), f"web-profile-{uuid.uuid4().hex[:8]}"
    outbox = tempfile.TemporaryDirectory(prefix="web-profile-")
    settings = Settings(  # as the benchmark's production server: writes queue catch-up jobs in Redis
        database_url=url,
        secret_key=support.SECRET_KEY,
        redis_url=support.REDIS_URL,
        queue_name=queue,
        outbox_dir=outbox.name,
        rate_limits=False,
    )
    try:
        initialise(settings)
        rt = build_runtime(settings)
        try:
            members, ids = seed(rt, args.projects)
            client = create_app(runtime=rt).test_client()

            def pledge(i: int) -> None:
                member = members[i % len(members)]
                project_id = ids[(i + 1 + 16 * (i // 16)) % len(ids)]  # owned by another member
                body = {"money": f"{100 + i}.00", "days": "1.00", "contributions": ["testing"], "message": None}
                headers = {"Authorization": f"Bearer {member.token}"}
                answer = client.put(f"/api/v1/projects/{project_id}/pledges/mine", json=body, headers=headers)
                assert answer.status_code == 200, answer.get_data()  # not parsed: the client's work

            def listing(i: int) -> None:
                answer = client.get(f"/api/v1/projects?{LIST_QUERY}")
                assert answer.status_code == 200, answer.get_data()

            def project(i: int) -> None:
                answer = client.get(f"/api/v1/projects/{ids[i % len(ids)]}")
                assert answer.status_code == 200, answer.get_data()

            full = client.get(f"/api/v1/projects?{LIST_QUERY}").json
            assert len(full["items"]) == 50, full  # a full page, or the list measures nothing
            kinds = (("PUT pledge", pledge), ("GET list", listing), ("GET project", project))
            if args.only:
                wanted = args.only.split(",")
                kinds = tuple((label, send) for label, send in kinds if label.split()[-1] in wanted)
            for label, send in () if args.plain else kinds:
                print(measure(label, args.n, send, args.top, args.sort, args.cpu))
            rt.catch_up()
            plain = ", ".join(f"{label} {ms_per_request(args.n, send):.2f}" for label, send in kinds)
            print(f"Unprofiled, CPU ms per request of this process: {plain}")
        finally:
            rt.close()
    finally:
        support.drop_database(url)
        forget_queue(queue)
        outbox.cleanup()


if __name__ == "__main__":
    main()
