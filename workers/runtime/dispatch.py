"""How a write asks for projections to catch up: inline (embedded) or an RQ job."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

JOB_ID = "pipeline-catch-up--{queue}--{names}"


def mail_queue(queue_name: str) -> str:
    """Mail has a queue of its own, after the catch-up queue in every worker's list: RQ takes
    from the first queue that has a job, so a burst of messages (one per pledge to each
    owner) never makes a write wait behind them to be readable."""
    return f"{queue_name}-mail"


class Dispatcher(Protocol):
    def request_catch_up(self, names: list[str]) -> None: ...

    def schedule_goal_decision(self, project_id: str, deadline: datetime) -> bool: ...

    def request_email(self, message_id: str) -> None: ...

    def schedule_engagement(self, at: datetime) -> bool: ...

    def close(self) -> None: ...


class InlineDispatcher:
    """Embedded mode: catch the followers up right away, in the writing process.

    The write is already committed when this runs, so a failure here is recorded and
    logged (``runner.keep_up``) and left for the next catch-up, after its backoff."""

    def __init__(self, catch_up: Callable[[list[str]], object], send: Callable[[str], object]) -> None:
        self._catch_up, self._send = catch_up, send
        # One catch-up at a time in this process: a thread that waits here usually finds
        # its events already applied by the one before it. Likewise one sender, so two
        # threads never send the same new message.
        self._following, self._sending = threading.RLock(), threading.Lock()

    def request_catch_up(self, names: list[str]) -> None:
        if names:
            with self._following:
                self._catch_up(names)

    def schedule_goal_decision(self, project_id: str, deadline: datetime) -> bool:
        """Nothing to schedule in-process: the embedded ticker decides goals past their deadline."""
        return True

    def schedule_engagement(self, at: datetime) -> bool:
        """Nothing to schedule in-process: the embedded ticker sweeps (nudges, digests) anyway."""
        return True

    def request_email(self, message_id: str) -> None:
        try:
            with self._sending:
                self._send(message_id)
        except Exception:  # recorded in the outbox; the ticker retries unsent mail
            log.warning("email %s not sent; it stays in the outbox", message_id, exc_info=True)

    def close(self) -> None:
        pass


class RQDispatcher:
    """Production: one coalesced job per follower a write feeds, so N workers catch N
    followers up at once (each under its lease, ``projections.leases``).

    A job's id names its follower, and it is enqueued with RQ's ``unique``: while such a
    job waits in the queue, later writes are covered by it and enqueue nothing. A job
    already running may have read the head of the log before this write, so then a second
    id ("...--after") takes the write. Redis faults never fail a write: the
    event is committed, and the worker's sweep catches up whatever no job covered.
    After a Redis fault, enqueues are skipped for ``PAUSE_AFTER_FAULT`` seconds so a
    hanging Redis costs one timeout, not one per write."""

    PAUSE_AFTER_FAULT = 5.0

    def __init__(self, redis_url: str, queue_name: str, timeout: float = 1.5) -> None:
        from redis import Redis
        from rq import Queue
        from rq.serializers import JSONSerializer

        self.redis = Redis.from_url(redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.queue_name = queue_name
        self.queue = Queue(queue_name, connection=self.redis, serializer=JSONSerializer)
        self.mail_queue = Queue(mail_queue(queue_name), connection=self.redis, serializer=JSONSerializer)
        self._paused_until = 0.0

    def job_id(self, names: list[str]) -> str:
        """Unique per queue and set of projections; RQ allows only [A-Za-z0-9_-] in an id."""
        raw = JOB_ID.format(queue=self.queue_name, names="-".join(sorted(set(names))))
        return re.sub(r"[^A-Za-z0-9_-]", "_", raw)

    def request_catch_up(self, names: list[str]) -> None:
        if names:
            self._guarded("catch-up", self._enqueue_catch_up, sorted(set(names)))

    def _enqueue_catch_up(self, names: list[str]) -> None:
        """One job per follower, so different workers take different followers."""
        from rq.job import Job, JobStatus

        ids = {name: (self.job_id([name]), f"{self.job_id([name])}--after") for name in names}
        # The common case under load: for each follower one of its two jobs is still waiting,
        # so it will read the head after this write (RQ marks a job started before running
        # it). One round trip for them all.
        with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                for attempt_id in ids[name]:
                    pipe.hget(Job.key_for(attempt_id), "status")
            statuses = pipe.execute()
        queued = JobStatus.QUEUED.value.encode()
        for i, name in enumerate(names):
            if queued not in statuses[2 * i : 2 * i + 2]:
                self._enqueue_follower(name, ids[name])

    def _enqueue_follower(self, name: str, ids: tuple[str, str]) -> None:
        from rq.job import JobStatus

        for attempt_id in ids:
            # a waiting job will read the head after this write; a running one may not have
            if self._enqueue_once(
                attempt_id,
                (JobStatus.QUEUED,),
                "workers.runtime.jobs.catch_up_projections",
                [name],
                result_ttl=0,  # gone when done: the id is free for the next write
                failure_ttl=24 * 3600,
                description=f"catch up {name}",
            ):
                return
        log.info("catch-up jobs for %s are both running; the holder looks again, the sweep covers it", name)

    def _enqueue_once(
        self, job_id: str, covering: tuple[Any, ...], function: str, *args: Any, queue: Any = None, **options: Any
    ) -> bool:
        """Enqueue ``function(*args)`` under ``job_id`` with RQ's ``unique``. True once a job
        with that id covers the request: enqueued now, or one holding the id in a ``covering``
        state. A job that has ended but still holds the id (a failure kept for inspection) is
        deleted and the enqueue tried again. False if a job holds it in another state."""
        from rq.exceptions import InvalidJobOperation, NoSuchJobError
        from rq.job import Job, JobStatus

        ended = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)
        for _attempt in range(2):
            status = self._enqueue_unique(job_id, function, *args, queue=queue or self.queue, **options)
            if status is None or status in covering:
                return True
            if status not in ended:
                return False
            # it may vanish meanwhile, its execution records first (RQ then raises ValueError)
            with contextlib.suppress(NoSuchJobError, InvalidJobOperation, ValueError):
                Job(job_id, connection=self.redis).delete()
        return False

    def _enqueue_unique(self, job_id: str, function: str, *args: Any, queue: Any, **options: Any) -> Any:
        """None if enqueued; else the status of the job that holds ``job_id``."""
        from rq.exceptions import DuplicateJobError, InvalidJobOperation, NoSuchJobError
        from rq.job import Job, JobStatus

        try:
            queue.enqueue(function, *args, job_id=job_id, unique=True, **options)
            return None
        except DuplicateJobError:
            try:
                return Job.fetch(job_id, connection=self.redis, serializer=self.queue.serializer).get_status()
            except (NoSuchJobError, InvalidJobOperation):
                return JobStatus.FINISHED  # it ended (and its hash went) between our two calls

    def _guarded(self, what: str, action: Any, *args: Any) -> bool:
        """Run a Redis action unless Redis failed in the last few seconds; never raise.
        True if it ran."""
        if time.monotonic() < self._paused_until:
            log.debug("Redis failed recently: %s left to the worker's sweep", what)
            return False
        try:
            action(*args)
            return True
        except (RedisConnectionError, RedisTimeoutError):
            self._paused_until = time.monotonic() + self.PAUSE_AFTER_FAULT
            log.exception("could not enqueue %s; the worker's sweep will do it", what)
        except Exception:  # not Redis being down: no reason to stop enqueueing for a while
            log.exception("could not enqueue %s; the worker's sweep will do it", what)
        return False

    def schedule_goal_decision(self, project_id: str, deadline: datetime) -> bool:
        """A job at the deadline (RQ's scheduler). Changing the goal schedules another; the
        earlier one then finds nothing, or the same thing, to decide."""
        return self._guarded(
            f"the goal decision of {project_id}",
            lambda: self.queue.enqueue_at(
                deadline,
                "workers.runtime.jobs.decide_goal",
                project_id,
                result_ttl=3600,
                failure_ttl=7 * 24 * 3600,
                description=f"decide the goal of project {project_id}",
            ),
        )

    def schedule_engagement(self, at: datetime) -> bool:
        """A job at ``at`` (RQ's scheduler: the start of the next London day, when digests fall due)
        that records what time brings and writes the digests (``workers.runtime.jobs.engage``). One per
        moment, however often the sweeps ask: its id names the moment. True once one is scheduled."""
        from rq.job import Job

        job_id = re.sub(r"[^A-Za-z0-9_-]", "_", f"pipeline-engage--{self.queue_name}--{at:%Y%m%dT%H%M%S}")

        def schedule() -> None:
            if not Job.exists(job_id, connection=self.redis):
                self.queue.enqueue_at(
                    at,
                    "workers.runtime.jobs.engage",
                    job_id=job_id,
                    result_ttl=24 * 3600,  # keeps the id taken past the moment: no second job for it
                    failure_ttl=7 * 24 * 3600,
                    description="nudges, reminders, deadline warnings and digests",
                )

        return self._guarded("the engagement job", schedule)

    def request_email(self, message_id: str) -> None:
        """One job per message, its id made from the message's: asking again while it waits
        or runs enqueues nothing more; once it has ended (a failure kept for inspection),
        asking again (the sweep's retry) replaces it."""
        self._guarded(f"email {message_id}", self._enqueue_email, message_id)

    def _enqueue_email(self, message_id: str) -> None:
        from rq import Retry
        from rq.job import JobStatus

        waiting_or_running = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)
        self._enqueue_once(
            re.sub(r"[^A-Za-z0-9_-]", "_", f"pipeline-mail--{self.queue_name}--{message_id}"),
            waiting_or_running,  # it sends the message
            "workers.runtime.jobs.send_email",
            message_id,
            queue=self.mail_queue,
            retry=Retry(max=3),
            result_ttl=0,
            failure_ttl=24 * 3600,
            description="send an email",
        )

    def close(self) -> None:
        self.redis.close()
