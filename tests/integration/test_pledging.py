"""Pledges and goals on the real PostgreSQL, with real RQ worker processes."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.utils import get_topic
from redis import Redis
from rq import Queue

from domain.project import Project
from projections.projects import get as project_row
from tests import support
from tests.conftest import worker_env
from tests.factories import council_member
from workers.runtime.bootstrap import Runtime, build_runtime

pytestmark = pytest.mark.integration
COUNCILS = ["KTT", "KHL", "BNH", "CMD", "LDS", "MAN", "SHF", "BST", "BIR", "NET", "LIV", "YOR"]


def member(runtime: Runtime, code: str) -> Any:
    return council_member(runtime.app, code, name=f"Pledger {code}")


def decided_events(runtime: Runtime, project_id: Any) -> list[Any]:
    notes = runtime.app.recorder.select_notifications(start=1, limit=100_000, topics=[get_topic(Project.GoalDecided)])
    events = [runtime.app.mapper.to_domain_event(n) for n in notes]
    return [e for e in events if e.originator_id == project_id]


def test_many_organisations_pledging_at_once_are_all_counted_once(pg_runtime: Runtime, tmp_path: Path) -> None:
    owner = member(pg_runtime, "WGN")
    project = pg_runtime.app.propose_project(owner.id, "alpha", {"title": "Shared booking", "summary": "s"}).aggregate
    pledgers = [member(pg_runtime, code) for code in COUNCILS if code in pg_runtime.app.council_codes]
    # Each its own pools: a dozen connections opening at once on a busy 2-core machine may take
    # longer than the outage bound on a pool wait, which is not what this test is about.
    patient = dataclasses.replace(pg_runtime.settings, db_pool_timeout_seconds=20.0)
    runtimes = [build_runtime(patient) for _ in pledgers]
    barrier, errors = threading.Barrier(len(pledgers)), []

    def pledge(i: int) -> None:
        barrier.wait()
        try:
            runtimes[i].app.make_pledge(
                project.id,
                pledgers[i].id,
                {"money": f"{100 + i}.50", "days": "1.25", "contributions": ["testing"], "message": None},
            )
        except Exception as error:  # asserted below
            errors.append(error)

    threads = [threading.Thread(target=pledge, args=(i,)) for i in range(len(pledgers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for rt in runtimes:
        rt.close()
    assert errors == []
    expected_money = sum(100 + i + 0.5 for i in range(len(pledgers)))
    totals = pg_runtime.app.get_project(project.id).totals()
    assert (totals["pledges"], totals["partners"], float(totals["money"])) == (
        len(pledgers),
        len(pledgers),
        expected_money,
    )
    worker = support.Process(["worker"], worker_env(pg_runtime.settings), tmp_path / "worker.log")
    try:
        row = support.wait_until(
            lambda: (r := project_row(pg_runtime.db, str(project.id))) and r["pledge_count"] == len(pledgers) and r,
            timeout=30,
            message="the view",
        )
    finally:
        worker.stop()
    assert row["pledged_money"] == f"{expected_money:.2f}" and row["partner_count"] == len(pledgers)
    assert row["pledged_days"] == f"{1.25 * len(pledgers):.2f}"


def test_a_goal_is_decided_once_despite_duplicate_jobs_racing_deciders_and_a_restart(
    pg_runtime: Runtime, tmp_path: Path
) -> None:
    owner, backer = member(pg_runtime, "WGN"), member(pg_runtime, "KTT")
    app = pg_runtime.app
    project = app.propose_project(owner.id, "beta", {"title": "Decided once", "summary": "s"}).aggregate
    deadline = datetime.now(UTC) + timedelta(seconds=3)
    app.set_goal(
        project.id, {"min_partners": 1, "money": "100", "days": "0", "deadline": deadline.isoformat()}, owner.id
    )
    app.make_pledge(project.id, backer.id, {"money": "150.00", "days": "0", "contributions": [], "message": None})
    queue = Queue(pg_runtime.settings.queue_name, connection=Redis.from_url(support.REDIS_URL))
    for _ in range(3):  # duplicates, as a retried enqueue or a second web process would make
        queue.enqueue("workers.runtime.jobs.decide_goal", str(project.id))
    env = worker_env(pg_runtime.settings, PIPELINE_SWEEP_SECONDS="1")
    first = support.Process(["worker"], env, tmp_path / "worker-1.log")
    second = support.Process(["worker"], env, tmp_path / "worker-2.log")
    try:
        time.sleep(max((deadline - datetime.now(UTC)).total_seconds(), 0) + 0.5)
        racers = [build_runtime(pg_runtime.settings) for _ in range(3)]
        threads = [threading.Thread(target=rt.app.decide_goal, args=(project.id,)) for rt in racers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for rt in racers:
            rt.close()
        first.kill()  # a restart: kill one worker without clean-up, start another
        third = support.Process(["worker"], env, tmp_path / "worker-3.log")
        for _ in range(2):
            queue.enqueue("workers.runtime.jobs.decide_goal", str(project.id))
        support.wait_until(lambda: queue.count == 0, timeout=30, message="the duplicate jobs to run")
        support.wait_until(
            lambda: (r := project_row(pg_runtime.db, str(project.id))) and r["goal_state"] == "met",
            timeout=30,
            message="the view to show the outcome",
        )
        third.stop()
    finally:
        first.stop()
        second.stop()
    events = decided_events(pg_runtime, project.id)
    assert [e.outcome for e in events] == ["met"]
    assert app.get_project(project.id).outcome == "met"


def test_the_scheduled_job_decides_the_goal_at_its_deadline_without_any_read(
    pg_runtime: Runtime, tmp_path: Path
) -> None:
    owner = member(pg_runtime, "WGN")
    app = pg_runtime.app
    project = app.propose_project(owner.id, "beta", {"title": "On time", "summary": "s"}).aggregate
    deadline = datetime.now(UTC) + timedelta(seconds=4)
    app.set_goal(project.id, {"min_partners": 2, "money": "0", "days": "0", "deadline": deadline.isoformat()}, owner.id)
    # nobody schedules it by hand: the goal decider follows GoalSet and schedules the job
    worker = support.Process(
        ["worker"], worker_env(pg_runtime.settings, PIPELINE_SWEEP_SECONDS="600"), tmp_path / "worker.log"
    )
    try:
        support.wait_until(
            lambda: decided_events(pg_runtime, project.id), timeout=40, interval=0.2, message="the scheduled decision"
        )
    finally:
        worker.stop()
    (event,) = decided_events(pg_runtime, project.id)
    assert event.outcome == "missed"
    assert event.timestamp >= deadline
