"""What only time brings about a project: a nudge when it has gone idle, the mark that it
went quiet after two unanswered nudges, and the warning that its goal's deadline is near.

Each is its own small aggregate with an id made from what makes it unique (the project,
the time it went idle and the nudge's number; the deadline), so a sweep that runs twice, in
two processes at once or again after a crash, records it once: the second save finds the id
taken. The notifier follows these events like any other, so the emails go exactly once."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from domain.clock import Aggregate, event
from domain.organisation import NAMESPACE

NUDGES_BEFORE_QUIET = 2


class ProjectNudge(Aggregate):
    """The ``number``th nudge (1 or 2) of a project idle since ``idle_since``."""

    class Sent(Aggregate.Created):
        project_id: UUID
        idle_since: str
        number: int
        key_contact_id: UUID

    @event(Sent)
    def __init__(self, id: UUID, project_id: UUID, idle_since: str, number: int, key_contact_id: UUID) -> None:
        self.project_id, self.idle_since, self.number = project_id, idle_since, number
        self.key_contact_id = key_contact_id

    @staticmethod
    def id_for(project_id: UUID, idle_since: datetime | str, number: int) -> UUID:
        return uuid5(NAMESPACE, f"nudge:{project_id}:{_iso(idle_since)}:{number}")


class ProjectWentQuiet(Aggregate):
    """Two nudges for one idle spell went unanswered: the project shows as quiet until its
    next status update or edit."""

    class Marked(Aggregate.Created):
        project_id: UUID
        idle_since: str

    @event(Marked)
    def __init__(self, id: UUID, project_id: UUID, idle_since: str) -> None:
        self.project_id, self.idle_since = project_id, idle_since

    @staticmethod
    def id_for(project_id: UUID, idle_since: datetime | str) -> UUID:
        return uuid5(NAMESPACE, f"quiet:{project_id}:{_iso(idle_since)}")


class DeadlineWarning(Aggregate):
    """The goal's deadline is a week (or less) away; one per project and deadline."""

    class Given(Aggregate.Created):
        project_id: UUID
        deadline: str

    @event(Given)
    def __init__(self, id: UUID, project_id: UUID, deadline: str) -> None:
        self.project_id, self.deadline = project_id, deadline

    @staticmethod
    def id_for(project_id: UUID, deadline: datetime | str) -> UUID:
        return uuid5(NAMESPACE, f"deadline-warning:{project_id}:{_iso(deadline)}")


def _iso(moment: datetime | str) -> str:
    return moment.isoformat() if isinstance(moment, datetime) else moment
