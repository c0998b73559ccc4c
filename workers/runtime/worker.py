"""``pipeline worker``: an RQ worker for the projection queue, plus a sweep.

The worker does not fork per job (``SimpleWorker``): database pools are built
once in this process and never cross a fork. On start, and then every
``PIPELINE_SWEEP_SECONDS``, it sweeps (``workers.runtime.follow.sweep``: goals past their
deadline, unsent mail, every lagging follower), so a lost Redis job never leaves a
read model stale, a goal undecided or a message unsent for good."""

from __future__ import annotations

import itertools
import logging
import signal
import threading
from typing import Any

from workers.runtime import follow
from workers.runtime.dispatch import mail_queue
from workers.runtime.jobs import close_process_runtime, process_runtime

log = logging.getLogger(__name__)

# RQ's blocking dequeue waits ``worker_ttl - 15`` s, on a socket that times out 10 s later:
# with RQ's default (420) a hung Redis held the loop for 415 s. Mail never waits on this loop
# (the sweep sends it), but catch-up jobs do: a stall now costs the loop at most 40 s.
WORKER_TTL = 45
# The pubsub thread ends as soon as Redis confirms the unsubscription; this only bounds a
# Redis that does not answer (the thread is a daemon: it never holds the process up).
UNSUBSCRIBE_WAIT = 2.0


def sweep_once() -> None:
    follow.sweep(process_runtime())


def _sweep_safely(interval: float) -> None:
    try:
        sweep_once()
    except Exception:  # e.g. the database is down: the next sweep tries again
        log.exception("sweep failed; trying again in %s s", interval)


def _sweep_forever(stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        _sweep_safely(interval)


def run_worker(*, burst: bool = False) -> None:
    from redis import Redis

    runtime = process_runtime()
    settings = runtime.settings
    if settings.embedded:
        raise SystemExit("pipeline worker needs REDIS_URL: in the embedded mode projections run inline.")
    _sweep_safely(settings.sweep_seconds)
    stop = threading.Event()
    sweeper = threading.Thread(target=_sweep_forever, args=(stop, settings.sweep_seconds), daemon=True)
    sweeper.start()
    # Its own connection: RQ lengthens the socket timeout of the one it is given (its
    # blocking dequeue waits minutes), and the dispatcher's must stay short.
    redis = Redis.from_url(settings.redis_url or "", socket_connect_timeout=settings.redis_timeout_seconds)
    try:
        _work_until_stopped(redis, settings, stop, burst)
    finally:
        stop.set()
        redis.close()
        close_process_runtime()


def _work_until_stopped(redis: Any, settings: Any, stop: threading.Event, burst: bool) -> None:
    """Run RQ's worker loop; start it again when it quits because Redis went away (RQ
    quits on some Redis errors), until a signal asks us to stop. Sweeps go on meanwhile."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    class Worker(SimpleWorker):
        def request_stop(self, signum: Any, frame: Any) -> None:
            stop.set()
            super().request_stop(signum, frame)

        def unsubscribe(self) -> None:
            _unsubscribe_promptly(self)

    for restart in itertools.count():
        try:
            # catch-ups first: RQ takes the next job from the first queue in the list that has one
            queues = [settings.queue_name, mail_queue(settings.queue_name)]
            worker = Worker(queues, connection=redis, serializer=JSONSerializer, worker_ttl=WORKER_TTL)
            # The scheduler (a small forked process that only talks to Redis) runs jobs
            # enqueued for later: goal deadlines.
            worker.work(burst=burst, logging_level=settings.log_level, with_scheduler=not burst)
        except Exception:  # Redis is away (RQ's constructor and tidy-up call it)
            log.warning("the RQ worker loop failed", exc_info=True)
        if burst or stop.is_set():
            return
        wait = min(2.0 * (restart + 1), 30.0)
        log.warning("the RQ worker stopped (Redis unreachable?); starting it again in %s s, sweeps go on", wait)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        if stop.wait(wait):
            return


def _unsubscribe_promptly(worker: Any) -> None:
    """RQ's own ``unsubscribe`` sends UNSUBSCRIBE and only then tells its pubsub thread to
    stop, and redis-py's ``stop()`` waits for the thread without a bound. If the thread
    reads Redis's reply in between, it finds nothing subscribed and waits up to 60 s for a
    subscription: a SIGTERM that came just after a job hung the worker that long. Telling
    the thread first closes the gap: the reply that wakes it also ends it."""
    thread, pubsub = worker.pubsub_thread, worker.pubsub
    if thread is None or pubsub is None:
        return
    log.info("worker %s: unsubscribing from channel %s", worker.name, worker.pubsub_channel_name)
    thread.stop(timeout=0)  # only clears its running flag: it has not been woken yet
    pubsub.unsubscribe()
    thread.join(timeout=UNSUBSCRIBE_WAIT)
    pubsub.close()
