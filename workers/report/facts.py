"""The log reduced to what the engagement report needs: one ``Fact`` per relevant event.

A fact keeps the event's log position, time, kind (``Aggregate.Event``, e.g.
``Person.SignedUp``), aggregate id and the few attributes the figures read. Personal
fields (names, emails, job titles, messages) are never copied: the report holds no
personal data. Anything else in the log (history marks, index aggregates, passwords,
domains) is dropped."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

_PROJECT = ("project_id",)
_PLEDGE = ("organisation_id", "person_id", "pledge")
_NEED = ("project_id", "organisation_id", "person_id")

# kind -> the attributes kept ("imported" is read with getattr: legacy events may carry it)
FIELDS: dict[str, tuple[str, ...]] = {
    "Organisation.Registered": ("kind", "name", "code"),
    "Organisation.RegisterEntryAmended": ("changes",),
    "Organisation.DetailsChanged": ("changes",),
    "Person.SignedUp": ("organisation_id", "organisation_kind", "imported"),
    "Person.EmailVerified": (),
    "Person.EmailChanged": (),
    "Person.MovedOrganisation": ("organisation_id", "organisation_kind"),
    "Person.MembershipApproved": ("organisation_id",),
    "Person.MembershipLapsed": (),
    "Person.MembershipDeclined": (),
    "Person.RemovedFromOrganisation": (),
    "Person.Erased": (),
    "Project.Proposed": ("organisation_id", "proposer_id", "phase", "details", "imported"),
    "Project.Edited": ("actor", "changes"),
    "Project.FieldRestored": ("actor", "changes"),  # an earlier value again: an edit to a reader
    "Project.PhaseChanged": ("phase", "actor"),
    "Project.GoalSet": ("actor",),
    "Project.GoalDecided": ("outcome",),
    "Project.PledgeMade": _PLEDGE,
    "Project.PledgeAmended": _PLEDGE,
    "Project.PledgeWithdrawn": ("organisation_id", "person_id"),
    "Project.TeamMemberAdded": ("person_id", "organisation_id", "actor"),
    "Project.Archived": ("actor",),
    "Project.Restored": ("actor",),
    "Follow.Followed": ("project_id", "person_id", "imported"),
    "Follow.Refollowed": ("project_id", "person_id"),
    "Follow.Unfollowed": ("project_id", "person_id"),
    "Need.Declared": _NEED,
    "Need.Redeclared": _NEED,
    "Need.Withdrawn": _NEED,
    "ContributionRequest.Requested": ("project_id", "person_id", "organisation_id", "imported"),
    "ContributionRequest.Approved": ("actor",),
    "ContributionRequest.Declined": ("actor",),
    "ContributionRequest.Withdrawn": ("actor",),
    "StatusUpdate.Posted": ("project_id", "author_id"),
    "StatusUpdate.Corrected": ("actor",),
    "StatusUpdate.Retracted": ("actor",),
    "ProjectNudge.Sent": ("project_id", "number", "idle_since"),
}
TOPIC_MODULES = ("domain.organisation", "domain.person", "domain.project", "domain.interest", "domain.reminders")


class Fact(NamedTuple):
    position: int
    at: datetime
    kind: str
    id: UUID
    data: dict[str, Any]


def kind_of(event: Any) -> str:
    return type(event).__qualname__


def topics() -> list[str]:
    """The stored topics the report reads, to filter the log in SQL."""
    module = {"Organisation": 0, "Person": 1, "Project": 2, "ProjectNudge": 4}
    return [f"{TOPIC_MODULES[module.get(kind.split('.')[0], 3)]}:{kind}" for kind in FIELDS]


def to_fact(event: Any, position: int) -> Fact | None:
    """The fact an event contributes, or None if the report does not read it."""
    kind = kind_of(event)
    names = FIELDS.get(kind)
    if names is None or type(event).__module__ not in TOPIC_MODULES:
        return None
    data = {name: _kept(kind, name, getattr(event, name, None)) for name in names}
    return Fact(position, event.timestamp, kind, event.originator_id, data)


def _kept(kind: str, name: str, value: Any) -> Any:
    """Only the non-personal part of bulky attributes: a project's title, a new name."""
    if name == "details":
        return {"title": (value or {}).get("title")}
    if name == "changes" and kind in ("Project.Edited", "Project.FieldRestored"):
        title = (value or {}).get("title")
        return {"title": title.get("to")} if isinstance(title, dict) else {}
    if name == "changes":
        value = value or {}
        return {k: value[k] for k in ("name", "official_name") if k in value}
    if name == "imported":
        return dict(value) if isinstance(value, dict) else None
    return value
