"""RQ job functions: module-level, primitive arguments, enqueued by name."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from uuid import UUID

from projections import runner
from projections.registry import get
from workers.runtime import Runtime, build_runtime

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


def catch_up_projection(name: str) -> int:
    """Bring one projection up to the head of the log; returns the positions covered."""
    runtime = process_runtime()
    dispatcher = runtime.dispatcher
    pending_key = getattr(dispatcher, "pending_key", None)
    if pending_key is not None:
        # Clear the marker before reading the head: later writes enqueue a new job.
        dispatcher.redis.delete(pending_key(name))
    covered = runner.catch_up(runtime.app, runtime.db, get(name), batch_size=runtime.settings.batch_size)
    log.info("projection %s caught up %s positions", name, covered)
    return covered


def send_email(message_id: str) -> bool:
    """Send one message from the outbox (its address is read there, never passed through Redis)."""
    return process_runtime().outbox.send(message_id)


def decide_goal(project_id: str) -> int | None:
    """Scheduled for a goal's deadline. Deciding is idempotent: a duplicate or late job,
    or one racing a read that decided first, records nothing more."""
    runtime = process_runtime()
    position = decide(runtime, UUID(project_id))
    project = runtime.app.get_project(UUID(project_id))
    if position is None and project.goal_state == "open" and not project.deadline_passed(runtime.app.now()):
        # RQ's scheduler works in whole seconds and may run us a little early: come back.
        deadline = datetime.fromisoformat(project.goal["deadline"])
        runtime.schedule_goal_decision(project_id, deadline + timedelta(seconds=1))
    return position


def decide(runtime: Runtime, project_id: UUID) -> int | None:
    written = runtime.app.decide_goal(project_id)
    if written.position is not None:
        log.info("goal of project %s decided: %s", project_id, written.aggregate.outcome)
        runtime.projections_changed()
    return written.position


def decide_due_goals(runtime: Runtime) -> int:
    """Decide every open goal whose deadline has passed (the sweeps' safety net)."""
    from datetime import UTC, datetime

    from projections.projects import due_goals

    decided = 0
    for project_id in due_goals(runtime.db, datetime.now(UTC).isoformat()):
        if decide(runtime, UUID(project_id)) is not None:
            decided += 1
    return decided
