"""``pipeline worker``: an RQ worker for the projection queue, plus a sweep.

The worker does not fork per job (``SimpleWorker``): database pools are built
once in this process and never cross a fork. On start, and then every
``PIPELINE_SWEEP_SECONDS``, it catches up every lagging projection itself, so a
lost Redis job never leaves a read model stale for good."""

from __future__ import annotations

import logging
import threading

from projections import runner
from projections.registry import all_projections, get
from workers.jobs import close_process_runtime, decide_due_goals, process_runtime

log = logging.getLogger(__name__)


def sweep_once() -> None:
    runtime = process_runtime()
    decided = decide_due_goals(runtime)
    if decided:
        log.info("sweep: decided %s goal(s) past their deadline", decided)
    for message_id in runtime.outbox.unsent():
        try:
            runtime.outbox.send(message_id)
        except Exception:  # recorded in the outbox row; tried again next sweep
            log.warning("sweep: email %s still not sent", message_id)
    for status in runner.status(runtime.app, runtime.db, all_projections()):
        if status.lag:
            covered = runner.catch_up(runtime.app, runtime.db, get(status.name), batch_size=runtime.settings.batch_size)
            log.info("sweep: projection %s caught up %s positions", status.name, covered)


def _sweep_forever(stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        try:
            sweep_once()
        except Exception:
            log.exception("sweep failed; trying again in %s s", interval)


def run_worker(*, burst: bool = False) -> None:
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    runtime = process_runtime()
    settings = runtime.settings
    if settings.embedded:
        raise SystemExit("pipeline worker needs REDIS_URL: in the embedded mode projections run inline.")
    sweep_once()
    stop = threading.Event()
    sweeper = threading.Thread(target=_sweep_forever, args=(stop, settings.sweep_seconds), daemon=True)
    sweeper.start()
    redis = runtime.dispatcher.redis  # type: ignore[attr-defined]
    worker = SimpleWorker([settings.queue_name], connection=redis, serializer=JSONSerializer)
    try:
        # The scheduler (a small forked process that only talks to Redis) runs jobs
        # enqueued for later: goal deadlines.
        worker.work(burst=burst, logging_level=settings.log_level, with_scheduler=not burst)
    finally:
        stop.set()
        close_process_runtime()
