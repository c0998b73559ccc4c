"""RQ job functions: module-level, primitive arguments, enqueued by name."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from uuid import UUID

from projections import runner
from workers.bootstrap import Runtime, build_runtime

log = logging.getLogger(__name__)

_runtime: Runtime | None = None  # built lazily in the worker process, never before a fork
MAX_ROUNDS = 5


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
    """Bring the named projections up to the head of the log. A write that lands while
    this runs may find this job's id taken, so go round again until the head stands
    still. A failing projection is recorded and skipped (see ``runner.keep_up``), never
    raised: it must not block the others, nor this job's id. Returns positions covered."""
    runtime = process_runtime()
    covered = dict.fromkeys(names, 0)
    for _round in range(MAX_ROUNDS):
        top = runner.head(runtime.app)
        for name in names:
            covered[name] += runtime.keep_up(name) or 0
        if runner.head(runtime.app) == top:
            break
    log.info("caught up %s", covered)
    return covered


def catch_up_projection(name: str) -> int:
    """The job of earlier versions (one per projection): still run if one is queued."""
    return catch_up_projections([name])[name]


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
