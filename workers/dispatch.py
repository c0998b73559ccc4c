"""How a write asks for projections to catch up: inline (embedded) or an RQ job."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any, Protocol

from projections import runner
from projections.registry import all_projections, get

log = logging.getLogger(__name__)

PENDING_KEY = "pipeline:catch-up-pending:{queue}:{name}"
PENDING_TTL_SECONDS = 300  # a lost job stops coalescing after this; the sweep covers the gap


class Dispatcher(Protocol):
    def request_catch_up(self, names: list[str]) -> None: ...

    def schedule_goal_decision(self, project_id: str, deadline: datetime) -> None: ...

    def request_email(self, message_id: str) -> None: ...

    def close(self) -> None: ...


class InlineDispatcher:
    """Embedded mode: apply the new events right away, in the writing process.

    The write is already committed when this runs, so a failure here is logged
    and left for the next catch-up; the read model reports its lag meanwhile."""

    def __init__(self, app: Any, db: Any, batch_size: int, outbox: Any) -> None:
        self.app, self.db, self.batch_size, self.outbox = app, db, batch_size, outbox
        # One catch-up per projection at a time in this process: a thread that waits
        # here usually finds its events already applied by the one before it.
        self.locks = {p.name: threading.Lock() for p in all_projections()}

    def request_catch_up(self, names: list[str]) -> None:
        for name in names:
            try:
                with self.locks[name]:
                    runner.catch_up(self.app, self.db, get(name), batch_size=self.batch_size)
            except Exception:
                log.exception("inline catch-up of projection %s failed; it will be retried", name)

    def schedule_goal_decision(self, project_id: str, deadline: datetime) -> None:
        """Nothing to schedule in-process: the serve ticker and the next read or write decide it."""

    def request_email(self, message_id: str) -> None:
        try:
            self.outbox.send(message_id)
        except Exception:  # recorded in the outbox; `pipeline serve` retries unsent mail on start
            log.warning("email %s not sent; it stays in the outbox", message_id)

    def close(self) -> None:
        pass


class RQDispatcher:
    """Production: enqueue one catch-up job per projection, coalesced.

    A marker key is set with NX before enqueueing and deleted by the job when it
    starts, so at most one job per projection waits in the queue, and any event
    committed after a job read the head of the log gets a job of its own."""

    def __init__(self, redis_url: str, queue_name: str) -> None:
        from redis import Redis
        from rq import Queue
        from rq.serializers import JSONSerializer

        self.redis = Redis.from_url(redis_url)
        self.queue_name = queue_name
        self.queue = Queue(queue_name, connection=self.redis, serializer=JSONSerializer)

    def pending_key(self, name: str) -> str:
        return PENDING_KEY.format(queue=self.queue_name, name=name)

    def request_catch_up(self, names: list[str]) -> None:
        from rq import Retry

        for name in names:
            try:
                if self.redis.set(self.pending_key(name), "1", nx=True, ex=PENDING_TTL_SECONDS):
                    self.queue.enqueue(
                        "workers.jobs.catch_up_projection",
                        name,
                        retry=Retry(max=3),  # immediate: no scheduler process to fork; the sweep backs it up
                        result_ttl=60,
                        failure_ttl=7 * 24 * 3600,
                        description=f"catch up projection {name}",
                    )
            except Exception:
                # The event is committed; a worker's sweep will pick it up.
                log.exception("could not enqueue catch-up of %s; the next sweep will", name)

    def schedule_goal_decision(self, project_id: str, deadline: datetime) -> None:
        """A job at the deadline (RQ's scheduler). Changing the goal schedules another; the
        earlier one then finds nothing, or the same thing, to decide."""
        try:
            self.queue.enqueue_at(
                deadline,
                "workers.jobs.decide_goal",
                project_id,
                result_ttl=3600,
                failure_ttl=7 * 24 * 3600,
                description=f"decide the goal of project {project_id}",
            )
        except Exception:
            log.exception("could not schedule the goal decision of %s; the sweep will decide it", project_id)

    def request_email(self, message_id: str) -> None:
        from rq import Retry

        try:
            self.queue.enqueue(
                "workers.jobs.send_email",
                message_id,
                retry=Retry(max=3),
                result_ttl=60,
                failure_ttl=7 * 24 * 3600,
                description="send an email",
            )
        except Exception:
            log.exception("could not enqueue email %s; the worker's sweep will send it", message_id)

    def close(self) -> None:
        self.redis.close()
