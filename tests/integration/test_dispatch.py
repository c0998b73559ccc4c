"""One coalesced catch-up job per write on the real Redis, and a Redis that does not
answer costs a write one short timeout, not one per projection."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus

from projections.registry import all_projections
from tests import support
from workers.runtime.dispatch import RQDispatcher

pytestmark = pytest.mark.integration
NAMES = [p.name for p in all_projections()]


@pytest.fixture
def dispatcher(redis_available: None, queue_name: str) -> Iterator[RQDispatcher]:
    d = RQDispatcher(support.REDIS_URL, queue_name, timeout=1.0)
    yield d
    Queue(queue_name, connection=d.redis).empty()
    d.close()


def test_writes_while_the_job_waits_enqueue_nothing_more(dispatcher: RQDispatcher) -> None:
    for _ in range(20):
        dispatcher.request_catch_up(NAMES)
    assert dispatcher.queue.count == 1


def test_a_write_while_the_job_runs_gets_one_follow_up_job(dispatcher: RQDispatcher) -> None:
    dispatcher.request_catch_up(NAMES)
    Job.fetch(dispatcher.job_id(NAMES), connection=dispatcher.redis).set_status(JobStatus.STARTED)
    for _ in range(5):
        dispatcher.request_catch_up(NAMES)
    assert sorted(dispatcher.queue.job_ids) == sorted([dispatcher.job_id(NAMES), dispatcher.job_id(NAMES) + "--after"])


def test_a_failed_job_does_not_keep_its_id_from_later_writes(dispatcher: RQDispatcher) -> None:
    dispatcher.request_catch_up(NAMES)
    job = Job.fetch(dispatcher.job_id(NAMES), connection=dispatcher.redis)
    dispatcher.queue.remove(job)
    job.set_status(JobStatus.FAILED)
    dispatcher.request_catch_up(NAMES)
    assert dispatcher.queue.job_ids == [dispatcher.job_id(NAMES)]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers: a hung Redis."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    threading.Thread(target=lambda: [held.append(listener.accept()[0]) for _ in iter(int, 1)], daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for s in held:
        s.close()


def test_a_hung_redis_costs_one_short_timeout_then_nothing(silent_server: int) -> None:
    d = RQDispatcher(f"redis://127.0.0.1:{silent_server}/0", "hung", timeout=1.0)
    started = time.monotonic()
    d.request_catch_up(NAMES)
    first = time.monotonic() - started
    started = time.monotonic()
    for _ in range(10):
        d.request_catch_up(NAMES)
        d.request_email("m")
    later = time.monotonic() - started
    assert first < 5 and later < 1
    assert Redis.from_url(support.REDIS_URL).ping()  # the shared Redis was never involved
