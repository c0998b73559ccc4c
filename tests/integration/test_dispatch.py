"""One coalesced catch-up job per follower on the real Redis, and a Redis that does not
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


def test_a_write_asks_for_one_job_per_follower_and_later_writes_enqueue_nothing_more(
    dispatcher: RQDispatcher,
) -> None:
    for _ in range(20):
        dispatcher.request_catch_up(NAMES)
        dispatcher.request_catch_up(NAMES[:2])
    assert sorted(dispatcher.queue.job_ids) == sorted(dispatcher.job_id([name]) for name in NAMES)
    job = Job.fetch(dispatcher.job_id([NAMES[0]]), connection=dispatcher.redis, serializer=dispatcher.queue.serializer)
    assert list(job.args) == [[NAMES[0]]]  # each job catches up its one follower


def test_a_write_while_the_job_runs_gets_one_follow_up_job(dispatcher: RQDispatcher) -> None:
    one, other = NAMES[0], NAMES[1]
    dispatcher.request_catch_up([one, other])
    Job.fetch(dispatcher.job_id([one]), connection=dispatcher.redis).set_status(JobStatus.STARTED)
    for _ in range(5):
        dispatcher.request_catch_up([one, other])
    assert sorted(dispatcher.queue.job_ids) == sorted(
        [dispatcher.job_id([one]), dispatcher.job_id([one]) + "--after", dispatcher.job_id([other])]
    )


def test_mail_waits_in_a_queue_of_its_own(dispatcher: RQDispatcher) -> None:
    dispatcher.request_email("m-1")
    dispatcher.request_email("m-1")
    assert dispatcher.queue.count == 0
    assert dispatcher.mail_queue.count == 1
    assert dispatcher.mail_queue.name == f"{dispatcher.queue_name}-mail"
    dispatcher.mail_queue.empty()


def test_a_failed_job_does_not_keep_its_id_from_later_writes(dispatcher: RQDispatcher) -> None:
    one = NAMES[0]
    dispatcher.request_catch_up([one])
    job = Job.fetch(dispatcher.job_id([one]), connection=dispatcher.redis)
    dispatcher.queue.remove(job)
    job.set_status(JobStatus.FAILED)
    dispatcher.request_catch_up([one])
    assert dispatcher.queue.job_ids == [dispatcher.job_id([one])]


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
