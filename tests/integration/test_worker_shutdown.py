"""SIGTERM stops a real `pipeline worker` (real Redis and PostgreSQL) within seconds,
letting the job it is running finish first: what operators and Docker (which kills
after 10 s) expect of a warm shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from projections import runner
from tests import support
from tests.conftest import worker_env
from tests.factories import bulk_sign_ups
from tests.integration.test_workers import caught_up, lags, sign_up_through_the_app
from workers.runtime.bootstrap import Runtime
from workers.runtime.dispatch import RQDispatcher

pytestmark = pytest.mark.integration

STOP_WITHIN = 8.0  # seconds: loose enough for a loaded 2-core machine, under Docker's 10
# Just after a job, as the catch-up becomes visible: the moments a worker used to hang
# (60 s, at "unsubscribing"), about one try in four. Several tries make a regression show.
DELAYS_AFTER_A_JOB = (0.0, 0.0, 0.0, 0.0, 0.05, 0.1, 0.2, 0.5)


def start_worker(runtime: Runtime, log: Path, **extra: str) -> support.Process:
    worker = support.Process(["worker"], worker_env(runtime.settings, PIPELINE_SWEEP_SECONDS="600", **extra), log)
    support.wait_until(lambda: "Listening on" in worker.output(), timeout=30, message="the worker to start")
    return worker


def seconds_to_stop(worker: support.Process, *, whole_group: bool) -> float:
    """SIGTERM the worker (alone, as Docker signals its first process, or with its
    process group, as a terminal's Ctrl+C or a supervisor does); how long it took to exit."""
    started = time.monotonic()
    if whole_group:
        os.killpg(worker.proc.pid, signal.SIGTERM)
    else:
        worker.proc.send_signal(signal.SIGTERM)
    try:
        worker.proc.wait(STOP_WITHIN)
    except subprocess.TimeoutExpired:
        output = worker.output()
        worker.kill()
        worker.stop()
        pytest.fail(f"the worker was still running {STOP_WITHIN} s after SIGTERM:\n{output[-3000:]}")
    took = time.monotonic() - started
    worker.stop()
    return took


def test_a_worker_stops_within_seconds_of_sigterm_just_after_a_job(pg_runtime: Runtime, tmp_path: Path) -> None:
    for attempt, delay in enumerate(DELAYS_AFTER_A_JOB):
        worker = start_worker(pg_runtime, tmp_path / f"worker-{attempt}.log")
        try:
            sign_up_through_the_app(pg_runtime, 1)  # enqueues a catch-up job
            support.wait_until(lambda: caught_up(pg_runtime), timeout=30, interval=0.01, message="the job")
            time.sleep(delay)
            took = seconds_to_stop(worker, whole_group=attempt % 2 == 0)
        finally:
            if worker.alive():
                worker.kill()
                worker.stop()
        assert took < STOP_WITHIN
        assert "Traceback" not in worker.output(), worker.output()[-3000:]


def test_a_job_running_at_sigterm_finishes_before_the_worker_exits(pg_runtime: Runtime, tmp_path: Path) -> None:
    worker = start_worker(pg_runtime, tmp_path / "worker.log", PIPELINE_BATCH_SIZE="10")
    try:
        before = runner.position(pg_runtime.db, "people")
        bulk_sign_ups(pg_runtime.app, 250)  # no job asked for these ...
        sign_up_through_the_app(pg_runtime, 1)  # ... one catch-up job takes them all, batch by batch
        head = runner.head(pg_runtime.app)
        support.wait_until(
            lambda: runner.position(pg_runtime.db, "people") > before,
            timeout=30,
            interval=0.01,
            message="the job to start",
        )
        assert runner.position(pg_runtime.db, "people") < head, "the job finished before SIGTERM: nothing was proved"
        seconds_to_stop(worker, whole_group=False)
    finally:
        if worker.alive():
            worker.kill()
            worker.stop()
    assert "warm shut down requested" in worker.output()
    assert not lags(pg_runtime)["people"]  # the job ran to its end: its follower was not left part-way
    assert pg_runtime.db.query("SELECT COUNT(*) AS n FROM people")[0]["n"] == 251
    # the other followers' jobs wait for the next worker: nothing the write asked for was lost
    queue = Queue(pg_runtime.settings.queue_name, connection=Redis.from_url(support.REDIS_URL))
    waiting = {name for name, lag in lags(pg_runtime).items() if lag}
    assert {RQDispatcher(support.REDIS_URL, queue.name).job_id([name]) for name in waiting} <= set(queue.job_ids)
