"""What time brings, found by the sweeps: projects gone idle (nudges, then the quiet mark),
contribution requests unanswered for a week (a reminder to the team) and goals whose deadline
is a week away (a warning).

The sweep only finds candidates in the read models and asks the application; the commands
(``domain.engagement``) decide from the aggregates and record each fact once, under an id
made from what makes it unique. So a second sweep, a second worker or a restart records
nothing more, and the notifier, following the log, emails each once.

``Reminders`` is the small view the sweep needs beside ``projects`` and ``goal_deadlines``:
the requests still waiting for an answer or a reminder, and the deadlines already warned of.
A request is reminded of between 7 and 30 days after it was made: one older than that when
first seen (taken in from 2014, the demo's history, a sweep stopped for a month) was not made
in this store's live life, and the application refuses to remind of it
(``domain.engagement.REMINDER_TOO_LATE``), so the sweep does not ask. Likewise a project idle
for over a year with no nudge yet (``NUDGE_TOO_LATE``: history taken in before marks carried
the time it was written) is not nudged."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from domain.engagement import DEADLINE_WARNING, NUDGE_TOO_LATE, REMINDER_TOO_LATE, REQUEST_REMINDER
from domain.errors import DomainError
from domain.interest import ContributionRequest
from domain.reminders import NUDGES_BEFORE_QUIET, DeadlineWarning
from projections import registry, runner
from projections.base import Projection, Reveal, Statement, handles, timestamp
from workers.processes.goals import GoalDeadlines

if TYPE_CHECKING:
    from domain.application import PipelineApplication
    from projections.db import ReadDatabase

log = logging.getLogger(__name__)


class Reminders(Projection):
    name = "reminders"
    version = 1
    tables = ("pending_requests", "deadline_warnings")
    ddl = (
        """CREATE TABLE IF NOT EXISTS pending_requests (
            request_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, requested_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS pending_requests_by_time ON pending_requests (requested_at)",
        """CREATE TABLE IF NOT EXISTS deadline_warnings (
            project_id TEXT NOT NULL, deadline TEXT NOT NULL, PRIMARY KEY (project_id, deadline))""",
    )

    @handles(ContributionRequest.Requested)
    def requested(self, event: ContributionRequest.Requested, reveal: Reveal) -> Iterable[Statement]:
        yield Statement(
            "INSERT INTO pending_requests (request_id, project_id, requested_at) VALUES (:id, :project, :at)"
            " ON CONFLICT (request_id) DO NOTHING",
            {"id": str(event.originator_id), "project": str(event.project_id), "at": timestamp(event.timestamp)},
        )

    @handles(ContributionRequest.Approved, ContributionRequest.Declined, ContributionRequest.Reminded)
    def settled(
        self,
        event: ContributionRequest.Approved | ContributionRequest.Declined | ContributionRequest.Reminded,
        reveal: Reveal,
    ) -> Iterable[Statement]:
        yield Statement("DELETE FROM pending_requests WHERE request_id = :id", {"id": str(event.originator_id)})

    @handles(DeadlineWarning.Given)
    def warned(self, event: DeadlineWarning.Given, reveal: Reveal) -> Iterable[Statement]:
        yield Statement(
            "INSERT INTO deadline_warnings (project_id, deadline) VALUES (:id, :deadline) ON CONFLICT DO NOTHING",
            {"id": str(event.project_id), "deadline": timestamp(datetime.fromisoformat(event.deadline))},
        )


# ------------------------------------------------------------------ the sweep
class NudgeSettings(Protocol):
    """How long a project may sit untouched, and a request unanswered, before a nudge."""

    @property
    def nudge_days(self) -> int: ...

    @property
    def nudge_answer_days(self) -> int: ...


class Sweeping(Protocol):
    """What the engagement sweep uses of the runtime."""

    @property
    def app(self) -> PipelineApplication: ...

    @property
    def db(self) -> ReadDatabase: ...

    @property
    def settings(self) -> NudgeSettings: ...


def sweep(rt: Sweeping, now: datetime | None = None) -> dict[str, int]:
    """Record every nudge, quiet mark, reminder and deadline warning now due; how many of each.
    Skipped while a view it reads lags the log (the next sweep comes soon): a project edited a
    moment ago must not be nudged from a view that has not seen the edit yet."""
    now = now or rt.app.now()
    if not caught_up(rt):
        log.info("engagement sweep: the views it reads are behind the log; the next sweep tries again")
        return {}
    return {
        "nudges": nudge_idle(rt, now),
        "reminders": remind_requests(rt, now),
        "deadline_warnings": warn_deadlines(rt, now),
    }


def caught_up(rt: Sweeping) -> bool:
    reads = [registry.get("projects"), GoalDeadlines(), Reminders()]  # what the sweep decides from
    statuses = runner.status(rt.app, rt.db, reads)
    return not any(s.lag or s.failure for s in statuses)


def nudge_idle(rt: Sweeping, now: datetime) -> int:
    """Nudge 1 after ``nudge_days`` idle; nudge 2 ``nudge_answer_days`` after nudge 1 if still
    idle; the quiet mark as long again after nudge 2."""
    settings = rt.settings
    idle_before = timestamp(now - timedelta(days=settings.nudge_days))
    answer_before = timestamp(now - timedelta(days=settings.nudge_answer_days))
    rows = rt.db.query(
        "SELECT id, active_at, nudges FROM projects WHERE archived = FALSE AND quiet = FALSE"
        " AND active_at <= :idle_before"
        " AND ((nudges = 0 AND active_at > :too_late)"
        " OR (nudges > 0 AND nudges <= :most AND nudged_at <= :answer_before))"
        " ORDER BY active_at, id",
        {
            "idle_before": idle_before,
            "answer_before": answer_before,
            "most": NUDGES_BEFORE_QUIET,
            "too_late": timestamp(now - NUDGE_TOO_LATE),
        },
    )
    return _each(
        "nudge or quiet mark",
        rows,
        lambda row: rt.app.nudge_project(UUID(row["id"]), parse(row["active_at"]), int(row["nudges"]) + 1),
    )


def remind_requests(rt: Sweeping, now: datetime) -> int:
    rows = rt.db.query(
        "SELECT r.request_id FROM pending_requests r JOIN projects p ON p.id = r.project_id"
        " WHERE r.requested_at <= :before AND r.requested_at > :too_late AND p.archived = FALSE"
        " ORDER BY r.requested_at, r.request_id",
        {"before": timestamp(now - REQUEST_REMINDER), "too_late": timestamp(now - REMINDER_TOO_LATE)},
    )
    return _each("request reminder", rows, lambda r: rt.app.remind_request(UUID(r["request_id"])))


def warn_deadlines(rt: Sweeping, now: datetime) -> int:
    rows = rt.db.query(
        "SELECT g.project_id FROM goal_deadlines g JOIN projects p ON p.id = g.project_id"
        " LEFT JOIN deadline_warnings w ON w.project_id = g.project_id AND w.deadline = g.deadline"
        " WHERE g.deadline > :now AND g.deadline <= :soon AND p.archived = FALSE AND w.project_id IS NULL"
        " ORDER BY g.deadline, g.project_id",
        {"now": timestamp(now), "soon": timestamp(now + DEADLINE_WARNING)},
    )
    return _each("deadline warning", rows, lambda r: rt.app.warn_deadline(UUID(r["project_id"])))


def parse(stamp: str) -> datetime:
    """A view's fixed-width UTC text (``projections.base.timestamp``) as a datetime."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _each(what: str, candidates: Iterable[Any], act: Callable[[Any], Any]) -> int:
    """Ask the application about each candidate; how many it recorded. A refusal (the view
    was a moment behind: a request just answered, a project just removed) skips that one."""
    recorded = 0
    for candidate in candidates:
        try:
            recorded += act(candidate).position is not None
        except DomainError as refused:
            log.info("engagement sweep: no %s for %s: %s", what, candidate, refused)
    if recorded:
        log.info("engagement sweep: %s %s(s) recorded", recorded, what)
    return recorded
