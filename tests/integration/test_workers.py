"""Real `pipeline worker` processes on the real Redis, building projections in PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from domain.application import OrganisationRef
from projections import rebuilds, runner
from projections.registry import all_projections
from tests import support
from tests.conftest import worker_env
from tests.factories import PASSWORD, bulk_sign_ups, dump, email
from workers.runtime.bootstrap import Runtime
from workers.runtime.dispatch import RQDispatcher

pytestmark = pytest.mark.integration


def lags(runtime: Runtime) -> dict[str, int]:
    return {s.name: s.lag for s in runner.status(runtime.app, runtime.db, all_projections())}


def caught_up(runtime: Runtime) -> bool:
    return not any(lags(runtime).values())


def sign_up_through_the_app(runtime: Runtime, count: int) -> None:
    """As the web process does: the command, whose save asks for a (coalesced) catch-up."""
    for i in range(count):
        runtime.app.sign_up(
            name=f"P{i}", email=email(), job_title=None, organisation=OrganisationRef(code="KTT"), password=PASSWORD
        )


def test_many_writes_leave_one_pending_job_and_a_worker_applies_them(pg_runtime: Runtime, tmp_path: Path) -> None:
    queue = Queue(pg_runtime.settings.queue_name, connection=Redis.from_url(support.REDIS_URL))
    sign_up_through_the_app(pg_runtime, 1)
    one_write = sorted(queue.job_ids)
    assert len(one_write) > 1  # one job per follower the sign-up feeds, for workers to share
    sign_up_through_the_app(pg_runtime, 11)
    assert sorted(queue.job_ids) == one_write  # coalesced: later writes are covered by the waiting jobs
    assert not caught_up(pg_runtime)
    support.run_cli("worker", "--burst", env=worker_env(pg_runtime.settings))
    assert caught_up(pg_runtime)
    assert queue.count == 0
    assert pg_runtime.db.query("SELECT member_count FROM organisations WHERE code = 'KTT'")[0]["member_count"] == 12


def test_a_running_worker_catches_up_after_each_write(pg_runtime: Runtime, tmp_path: Path) -> None:
    worker = support.Process(
        ["worker"], worker_env(pg_runtime.settings, PIPELINE_SWEEP_SECONDS="600"), tmp_path / "worker.log"
    )
    try:
        support.wait_until(
            lambda: "Listening on" in worker.output() or "listening" in worker.output().lower(),
            timeout=30,
            message="the worker to start",
        )
        for round_ in range(3):
            sign_up_through_the_app(pg_runtime, 5)
            support.wait_until(lambda: caught_up(pg_runtime), timeout=30, message=f"catch-up round {round_}")
        assert pg_runtime.db.query("SELECT COUNT(*) AS n FROM people")[0]["n"] == 15
    finally:
        worker.stop()


def test_lost_jobs_are_made_good_by_the_worker_start_and_its_periodic_sweep(
    pg_runtime: Runtime, tmp_path: Path
) -> None:
    bulk_sign_ups(pg_runtime.app, 40)  # written with no job enqueued at all, as if Redis lost them
    worker = support.Process(
        ["worker"], worker_env(pg_runtime.settings, PIPELINE_SWEEP_SECONDS="1"), tmp_path / "worker.log"
    )
    try:
        support.wait_until(lambda: caught_up(pg_runtime), timeout=30, message="the start-up sweep")
        bulk_sign_ups(pg_runtime.app, 25, seed=8)
        assert not caught_up(pg_runtime)
        support.wait_until(lambda: caught_up(pg_runtime), timeout=30, message="the periodic sweep")
        assert pg_runtime.db.query("SELECT COUNT(*) AS n FROM people")[0]["n"] == 65
    finally:
        worker.stop()


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(pg_runtime: Runtime, tmp_path: Path) -> None:
    head = bulk_sign_ups(pg_runtime.app, 3000)
    env = worker_env(pg_runtime.settings, PIPELINE_BATCH_SIZE="25", PIPELINE_SWEEP_SECONDS="600")
    kills_mid_run = 0
    for attempt in range(4):
        before = runner.position(pg_runtime.db, "people")
        worker = support.Process(["worker"], env, tmp_path / f"worker-{attempt}.log")
        try:
            # Kill it (SIGKILL, no clean-up) as soon as it is visibly part-way through.
            support.wait_until(
                lambda w=worker, b=before: runner.position(pg_runtime.db, "people") > b or not w.alive(),
                timeout=60,
                interval=0.01,
                message="the worker to make progress",
            )
            time.sleep(0.05)
            if 0 < runner.position(pg_runtime.db, "people") < head:
                kills_mid_run += 1
            worker.kill()
        finally:
            worker.stop()
    assert kills_mid_run >= 1, "the worker finished before it could be killed: nothing was proved"
    survivor = support.Process(["worker"], env, tmp_path / "worker-last.log")
    try:
        support.wait_until(lambda: caught_up(pg_runtime), timeout=120, message="the last worker to finish")
    finally:
        survivor.stop()
    db = pg_runtime.db
    assert db.query("SELECT COUNT(*) AS n FROM people")[0]["n"] == 3000
    assert db.query("SELECT SUM(member_count) AS n FROM organisations")[0]["n"] == 3000
    assert db.query("SELECT SUM(signups) AS n FROM signups_daily")[0]["n"] == 3000
    incremental = dump(db)
    for projection in all_projections():
        rebuilds.rebuild(pg_runtime.app, db, projection)
    assert dump(db) == incremental


def test_catch_ups_go_before_mail_waiting_in_the_queue(pg_runtime: Runtime, tmp_path: Path) -> None:
    """Mail has its own queue, after the catch-up queue in each worker's list: a burst of
    messages never makes a write wait behind them to be readable."""
    dispatcher = RQDispatcher(support.REDIS_URL, pg_runtime.settings.queue_name)
    try:
        for i in range(30):  # waiting first; they name no message, so each job finds nothing to send
            dispatcher.request_email(f"no-such-message-{i}")
        assert dispatcher.mail_queue.count == 30 and dispatcher.queue.count == 0
        sign_up_through_the_app(pg_runtime, 1)
        assert dispatcher.queue.count > 0
        worker = support.Process(["worker", "--burst"], worker_env(pg_runtime.settings), tmp_path / "worker.log")
        support.wait_until(lambda: not worker.alive(), timeout=120, message="the burst worker to finish")
        output = worker.output()
        worker.stop()
        assert dispatcher.mail_queue.count == 0 and dispatcher.queue.count == 0
    finally:
        dispatcher.close()
    ran = [line for line in output.splitlines() if "catch up " in line or "send an email" in line]
    last_catch_up = max(i for i, line in enumerate(ran) if "catch up " in line)
    first_mail = min(i for i, line in enumerate(ran) if "send an email" in line)
    assert last_catch_up < first_mail, ran[:10]
