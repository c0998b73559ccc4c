"""RQ job functions: module-level, primitive arguments, enqueued by name."""

from __future__ import annotations

import logging
from uuid import UUID

from workers.processes import goals
from workers.runtime import follow
from workers.runtime.bootstrap import Runtime, build_runtime

log = logging.getLogger(__name__)

_runtime: Runtime | None = None  # built lazily in the worker process, never before a fork


def process_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = build_runtime()
    return _runtime


def close_process_runtime() -> None:
    global _runtime
    if _runtime is not None:
        _runtime.close()
        _runtime = None


def catch_up_projections(names: list[str]) -> dict[str, int]:
    """Bring the named followers up to the head of the log (the dispatcher asks for one per
    job, so N workers catch N followers up at once). A follower another worker holds is
    left to it (``follow.catch_up_held``); a failing one is recorded and skipped (see
    ``runner.keep_up``), never raised: it must not block the others, nor this job's id.
    Followers that read a view this moved, and were waiting for it, are asked for next.
    Returns the positions each one moved."""
    runtime = process_runtime()
    followers = set(follow.names())
    known = [name for name in names if name in followers]  # a job from an older version may name others
    moved = follow.keep_current(runtime, known)
    waiting = follow.waiting_on(runtime, [name for name, covered in moved.items() if covered], known)
    if waiting:
        runtime.dispatcher.request_catch_up(waiting)
    log.info("caught up %s%s", moved, f"; asked for {waiting}" if waiting else "")
    return moved


def catch_up_projection(name: str) -> int:
    """The job of earlier versions (one per projection): still run if one is queued."""
    return catch_up_projections([name]).get(name, 0)


def send_email(message_id: str) -> bool:
    """Send one message from the outbox (its address is read there, never passed through Redis)."""
    return process_runtime().outbox.send(message_id)


def engage() -> dict[str, int]:
    """Scheduled for the start of each London day (``follow.schedule_engagement``): what time
    brings (``workers.processes.engagement``) and the digests now due, at once rather than at the next
    sweep. The sweeps do the same, so a lost job loses nothing; both are idempotent."""
    runtime = process_runtime()
    done = follow.engage(runtime)
    log.info("engagement job: %s", done)
    return done


def decide_goal(project_id: str) -> int | None:
    """Scheduled for a goal's deadline. Deciding is idempotent: a duplicate or late job, or
    one racing a sweep that decided first, records nothing more."""
    return goals.decide(process_runtime(), UUID(project_id))
