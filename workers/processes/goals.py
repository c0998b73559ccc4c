"""The goal decider: a log follower that keeps every open goal's deadline, so that each goal
is decided when its deadline passes, by a job scheduled for that moment (production) and
by the sweeps (both modes), and never by a read.

Its table, ``goal_deadlines``, is a view like any other (rebuilt from the log, with its
own tracking position); ``scheduled_at`` records that a job was scheduled for the row's
deadline, so a job is scheduled once per deadline set. Deciding is idempotent, so a
duplicate job, a rebuild or a racing sweep records nothing more."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from domain import clock
from domain.project import Project
from projections.base import Projection, Reveal, Statement, handles, timestamp

if TYPE_CHECKING:
    from domain.application import PipelineApplication
    from projections.db import ReadDatabase

log = logging.getLogger(__name__)


class GoalScheduler(Protocol):
    """Who runs a goal's decision at its deadline (the runtime's dispatcher)."""

    def schedule_goal_decision(self, project_id: str, deadline: datetime) -> bool: ...


class Deciding(Protocol):
    """What deciding and scheduling goals uses of the runtime."""

    @property
    def app(self) -> PipelineApplication: ...

    @property
    def db(self) -> ReadDatabase: ...

    @property
    def dispatcher(self) -> GoalScheduler: ...


class GoalDeadlines(Projection):
    name = "goal_deadlines"
    version = 1
    tables = ("goal_deadlines",)
    ddl = (
        """CREATE TABLE IF NOT EXISTS goal_deadlines (
            project_id TEXT PRIMARY KEY,
            deadline TEXT NOT NULL,
            scheduled_at TEXT)""",
        "CREATE INDEX IF NOT EXISTS goal_deadlines_by_deadline ON goal_deadlines (deadline)",
    )

    @handles(Project.GoalSet)
    def goal_set(self, event: Project.GoalSet, reveal: Reveal) -> Iterable[Statement]:
        yield Statement(
            "INSERT INTO goal_deadlines (project_id, deadline) VALUES (:id, :deadline)"
            " ON CONFLICT (project_id) DO UPDATE SET deadline = excluded.deadline, scheduled_at = NULL",
            {"id": str(event.originator_id), "deadline": timestamp(datetime.fromisoformat(event.goal["deadline"]))},
        )

    @handles(Project.GoalDecided)
    def goal_decided(self, event: Project.GoalDecided, reveal: Reveal) -> Iterable[Statement]:
        yield Statement("DELETE FROM goal_deadlines WHERE project_id = :id", {"id": str(event.originator_id)})


def due(db: Any, now: datetime) -> list[UUID]:
    rows = db.query(
        "SELECT project_id FROM goal_deadlines WHERE deadline <= :now ORDER BY deadline", {"now": timestamp(now)}
    )
    return [UUID(r["project_id"]) for r in rows]


def decide(runtime: Deciding, project_id: UUID) -> int | None:
    """Decide one goal if its deadline has passed. A job that RQ's scheduler (which works in
    whole seconds) ran a little early schedules itself again just after the deadline."""
    written = runtime.app.decide_goal(project_id)
    if written.position is not None:
        log.info("goal of project %s decided: %s", project_id, written.aggregate.outcome)
        return int(written.position)
    project = written.aggregate
    if project.goal_state == "open" and not project.deadline_passed(runtime.app.now()):
        deadline = datetime.fromisoformat(project.goal["deadline"])
        runtime.dispatcher.schedule_goal_decision(str(project_id), deadline + timedelta(seconds=1))
    return None


def decide_due(runtime: Deciding) -> int:
    """Decide every goal whose deadline has passed (the sweeps' safety net); how many were decided."""
    return sum(1 for project_id in due(runtime.db, clock.now()) if decide(runtime, project_id) is not None)


def schedule_new(runtime: Deciding) -> int:
    """Schedule a decision job for each deadline that has none yet; how many were scheduled."""
    rows = runtime.db.query("SELECT project_id, deadline FROM goal_deadlines WHERE scheduled_at IS NULL")
    for row in rows:
        deadline = datetime.strptime(row["deadline"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        if not runtime.dispatcher.schedule_goal_decision(row["project_id"], deadline):
            continue  # Redis is away: the next catch-up tries again, and the sweeps decide it anyway
        with runtime.db.transaction() as tx:
            tx.execute(
                "UPDATE goal_deadlines SET scheduled_at = :now WHERE project_id = :id AND deadline = :deadline",
                {"now": timestamp(datetime.now(UTC)), "id": row["project_id"], "deadline": row["deadline"]},
            )
    return len(rows)  # asked for; those Redis refused are tried again next time
