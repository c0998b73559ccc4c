"""In production RQ's scheduler runs the engagement work (nudges, reminders, deadline warnings,
digests) a second after each midnight in London, once however often the sweeps ask for it; the sweeps
do the same work meanwhile, so a lost job loses nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from domain.local_time import LONDON
from tests import support
from workers.runtime import follow
from workers.runtime.bootstrap import Runtime
from workers.runtime.dispatch import RQDispatcher

pytestmark = pytest.mark.integration


@pytest.fixture
def dispatcher(redis_available: None, queue_name: str) -> Iterator[RQDispatcher]:
    d = RQDispatcher(support.REDIS_URL, queue_name, timeout=1.0)
    yield d
    registry = ScheduledJobRegistry(queue=d.queue)
    for job_id in registry.get_job_ids():
        registry.remove(job_id, delete_job=True)
    Queue(queue_name, connection=d.redis).empty()
    d.close()


def test_the_engagement_job_is_scheduled_once_for_each_moment(dispatcher: RQDispatcher) -> None:
    midnight = datetime(2031, 12, 3, 0, 0, 1, tzinfo=UTC)
    for _sweep in range(5):
        assert dispatcher.schedule_engagement(midnight) is True
    dispatcher.schedule_engagement(midnight + timedelta(days=1))
    registry = ScheduledJobRegistry(queue=dispatcher.queue)
    ids = sorted(registry.get_job_ids())
    assert len(ids) == 2
    job = Job.fetch(ids[0], connection=dispatcher.redis, serializer=dispatcher.queue.serializer)
    assert job.func_name == "workers.runtime.jobs.engage"
    assert registry.get_scheduled_time(ids[0]) == midnight


def test_a_sweep_asks_for_the_job_at_the_start_of_the_next_london_day(pg_runtime: Runtime) -> None:
    follow.sweep(pg_runtime)
    follow.sweep(pg_runtime)
    dispatcher = pg_runtime.dispatcher
    assert isinstance(dispatcher, RQDispatcher)
    registry = ScheduledJobRegistry(queue=dispatcher.queue)
    [job_id] = registry.get_job_ids()
    tomorrow = datetime.now(LONDON).date() + timedelta(days=1)
    london_midnight = datetime.combine(tomorrow, time(0, 0, 1), tzinfo=LONDON)
    assert registry.get_scheduled_time(job_id) == london_midnight.astimezone(UTC)
    for found in registry.get_job_ids():
        registry.remove(found, delete_job=True)


def test_the_job_does_the_sweeps_engagement_work(pg_runtime: Runtime) -> None:
    assert follow.engage(pg_runtime) == {"nudges": 0, "reminders": 0, "deadline_warnings": 0, "digests": 0}
