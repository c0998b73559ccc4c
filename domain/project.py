"""Projects: what councils publish, with the pledges, goal and team around them.

Pledges live on the project they back, so deciding its goal reads them exactly as
they are; concurrent pledges to one project are made safe by retrying a command
that lost the version race (see ``domain.projects``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.clock import Aggregate, event
from domain.errors import Conflict, RuleBroken, ValidationFailed

PHASES = ("concept", "discovery", "alpha", "beta", "live", "decommissioned")
BUDGET_BANDS = ("unknown", "0-50k", "50k-100k", "100k-250k", "250k-500k", "500k-1m")
COLLABORATION_LEVELS = ("share_ideas", "open_to_conversation", "share_funding")
CONTRIBUTION_KINDS = (
    "user_research",
    "testing",
    "hosting",
    "code_review",
    "content_design",
    "accessibility_audit",
    "other",
)
EDITABLE = (
    "title",
    "summary",
    "description",
    "tags",
    "department",
    "key_contact_id",
    "phase_start",
    "phase_end",
    "phase_dates_estimated",
    "budget_band",
    "collaboration_level",
    "next_assessment",
    "links",
)
GOAL_OPEN, GOAL_MET, GOAL_MISSED = "open", "met", "missed"


# ASCII digits only: Decimal() would also take "1e2", "1_000", " 5", "+5" and full-width digits.
AMOUNT = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")


def parse_amount(value: object) -> Decimal:
    """Money (GBP) or person-days as sent: a string like "1500" or "7.50", never a number."""
    if not isinstance(value, str) or not AMOUNT.fullmatch(value):
        raise ValidationFailed(
            'Give an amount as a string of up to 12 digits and at most two decimals, e.g. "1500.00".'
        )
    return Decimal(value)


def _number(value: Any) -> Decimal:
    """An amount as recorded in an event (already checked when it was recorded)."""
    return Decimal(str(value or 0))


def count_contributions(contributions: Iterable[Iterable[str]]) -> dict[str, int]:
    """How many live pledges name each kind of contribution (one list per pledge)."""
    kinds: dict[str, int] = {}
    for named in contributions:
        for kind in named:
            kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


class Project(Aggregate):
    class Proposed(Aggregate.Created):
        organisation_id: UUID
        proposer_id: UUID
        phase: str
        details: dict[str, Any]
        imported: dict[str, Any] | None

    @event(Proposed)
    def __init__(
        self,
        organisation_id: UUID,
        proposer_id: UUID,
        phase: str,
        details: dict[str, Any],
        imported: dict[str, Any] | None = None,  # taken in from another system (domain.legacy)
    ) -> None:
        self.imported = imported
        self.organisation_id = organisation_id
        self.proposer_id = proposer_id
        self.phase = phase
        self.details = dict(details)
        self.team: list[UUID] = [proposer_id]
        self.team_organisations: dict[str, UUID] = {str(proposer_id): organisation_id}  # as whom each joined
        self.archived = False
        self.goal: dict[str, Any] | None = None
        self.outcome: str | None = None
        self.pledges: dict[str, dict[str, Any]] = {}  # organisation id (str) -> live pledge

    # ------------------------------------------------------------ editing
    def _require_open(self) -> None:
        self.require_unlocked()
        if self.archived:
            raise Conflict("The project is archived: restore it first.")

    @property
    def locked(self) -> dict[str, Any] | None:
        """Why and by whom an operator locked the project (None while it is open to changes).
        Read with a default: a snapshot from before locking existed lacks the attribute."""
        return self.__dict__.get("_lock")

    def require_unlocked(self) -> None:
        """Every command that changes the project (or posts on it) asks this of the version it
        saves against: a lock saved first makes the change's save fail, and its retry refused."""
        if self.locked:
            raise Conflict(
                f"An operator has locked this project: {self.locked['reason']} It cannot change until unlocked."
            )

    def edit(self, changes: dict[str, Any], *, actor: UUID, moderation: bool) -> bool:
        """Record which fields changed, from what to what. False if nothing changed."""
        self._require_open()
        diff = {
            k: {"from": self.details.get(k), "to": v}
            for k, v in changes.items()
            if k in EDITABLE and self.details.get(k) != v
        }
        if diff:
            self._edit(changes=diff, actor=actor, moderation=moderation)
        return bool(diff)

    class Edited(Aggregate.Event):
        changes: dict[str, Any]
        actor: UUID
        moderation: bool

    @event(Edited)
    def _edit(self, changes: dict[str, Any], actor: UUID, moderation: bool) -> None:
        for field, change in changes.items():
            self.details[field] = change["to"]

    def change_phase(self, phase: str, *, actor: UUID, moderation: bool) -> None:
        self._require_open()
        if phase == self.phase:
            raise RuleBroken(f"The project is already in {phase}.")
        self._change_phase(from_phase=self.phase, phase=phase, actor=actor, moderation=moderation)

    class PhaseChanged(Aggregate.Event):
        from_phase: str
        phase: str
        actor: UUID
        moderation: bool

    @event(PhaseChanged)
    def _change_phase(self, from_phase: str, phase: str, actor: UUID, moderation: bool) -> None:
        self.phase = phase

    def archive(self, *, actor: UUID, moderation: bool) -> None:
        self.require_unlocked()
        if self.archived:
            raise Conflict("The project is already archived.")
        self._archive(actor=actor, moderation=moderation)

    class Archived(Aggregate.Event):
        actor: UUID
        moderation: bool

    @event(Archived)
    def _archive(self, actor: UUID, moderation: bool) -> None:
        self.archived = True

    def restore(self, *, actor: UUID, moderation: bool) -> None:
        self.require_unlocked()
        if not self.archived:
            raise Conflict("The project is not archived.")
        self._restore(actor=actor, moderation=moderation)

    class Restored(Aggregate.Event):
        actor: UUID
        moderation: bool

    @event(Restored)
    def _restore(self, actor: UUID, moderation: bool) -> None:
        self.archived = False

    # --------------------------------------------------------- moderation
    def lock(self, reason: str, *, actor: UUID) -> None:
        if self.locked:
            raise Conflict("The project is already locked.")
        self._lock_project(reason=reason, actor=actor)

    class Locked(Aggregate.Event):
        reason: str
        actor: UUID

    @event(Locked)
    def _lock_project(self, reason: str, actor: UUID) -> None:
        self._lock: dict[str, str] | None = {"reason": reason, "actor": str(actor)}

    def unlock(self, reason: str, *, actor: UUID) -> None:
        if not self.locked:
            raise Conflict("The project is not locked.")
        self._unlock_project(reason=reason, actor=actor)

    class Unlocked(Aggregate.Event):
        reason: str
        actor: UUID

    @event(Unlocked)
    def _unlock_project(self, reason: str, actor: UUID) -> None:
        self._lock = None

    def restore_field(self, field: str, value: Any, version: int, *, actor: UUID, moderation: bool) -> None:
        """Give ``field`` back the value it had at ``version`` (read by the caller from the log)."""
        self._require_open()
        if field not in EDITABLE:
            raise RuleBroken(f"'{field}' is not a field that can be restored.")
        if not 1 <= version < self.version:
            raise RuleBroken(f"The project has no earlier version {version}.")
        if self.details.get(field) == value:
            raise RuleBroken(f"The {field.replace('_', ' ')} already reads as it did in version {version}.")
        change = {field: {"from": self.details.get(field), "to": value}}
        self._restore_field(changes=change, restored_version=version, actor=actor, moderation=moderation)

    class FieldRestored(Aggregate.Event):
        changes: dict[str, Any]  # the shape of Edited's: views apply both alike
        restored_version: int
        actor: UUID
        moderation: bool

    @event(FieldRestored)
    def _restore_field(self, changes: dict[str, Any], restored_version: int, actor: UUID, moderation: bool) -> None:
        for field, change in changes.items():
            self.details[field] = change["to"]

    def rename_tag(self, old: str, new: str, *, actor: UUID, reason: str) -> bool:
        """An operator's rename (or merge, when the project has ``new`` already); False if the
        project has no ``old`` tag. Allowed on a locked or archived project: it names, not edits."""
        tags = list(self.details.get("tags") or [])
        if old not in tags:
            return False
        renamed = list(dict.fromkeys(new if tag == old else tag for tag in tags))
        change = {"tags": {"from": tags, "to": renamed}}
        self._rename_tag(changes=change, old=old, new=new, actor=actor, reason=reason)
        return True

    class TagRenamed(Aggregate.Event):
        changes: dict[str, Any]  # the shape of Edited's
        old: str
        new: str
        actor: UUID
        reason: str

    @event(TagRenamed)
    def _rename_tag(self, changes: dict[str, Any], old: str, new: str, actor: UUID, reason: str) -> None:
        self.details["tags"] = changes["tags"]["to"]

    # --------------------------------------------------------------- team
    def add_to_team(self, person_id: UUID, organisation_id: UUID, *, actor: UUID) -> None:
        self.require_unlocked()
        if person_id in self.team:
            raise Conflict("That person is already on the team.")
        self._add_to_team(person_id=person_id, organisation_id=organisation_id, actor=actor)

    class TeamMemberAdded(Aggregate.Event):
        person_id: UUID
        organisation_id: UUID
        actor: UUID

    @event(TeamMemberAdded)
    def _add_to_team(self, person_id: UUID, organisation_id: UUID, actor: UUID) -> None:
        self.team.append(person_id)
        known = getattr(self, "team_organisations", {})  # a snapshot from before it was kept lacks it
        self.team_organisations = {**known, str(person_id): organisation_id}

    def joined_team_from(self, person_id: UUID) -> UUID | None:
        """The organisation the person was in when they joined the team (None if not on it)."""
        if person_id not in self.team:
            return None
        return getattr(self, "team_organisations", {}).get(str(person_id), self.organisation_id)

    # --------------------------------------------------------------- goal
    @property
    def goal_state(self) -> str | None:
        return self.outcome or (GOAL_OPEN if self.goal else None)

    def deadline_passed(self, now: datetime) -> bool:
        return now >= datetime.fromisoformat(self.goal["deadline"]) if self.goal else False

    def set_goal(self, goal: dict[str, Any], *, actor: UUID, now: datetime) -> None:
        self._require_open()
        for amount in (goal["money"], goal["days"]):
            parse_amount(amount)
        if self.outcome:
            raise Conflict(f"The goal has been decided ({self.outcome}); it cannot change.")
        if datetime.fromisoformat(goal["deadline"]) <= now:
            said = {"deadline": ["Enter a deadline in the future"]}  # the field a form should point at
            raise RuleBroken("The deadline must be in the future.", errors=said)
        self._set_goal(goal=goal, actor=actor)

    class GoalSet(Aggregate.Event):
        goal: dict[str, Any]
        actor: UUID

    @event(GoalSet)
    def _set_goal(self, goal: dict[str, Any], actor: UUID) -> None:
        self.goal = dict(goal)

    def totals(self) -> dict[str, Any]:
        live = self.pledges.values()
        partners = {org for org in self.pledges if org != str(self.organisation_id)}
        return {
            "money": sum((_number(p["money"]) for p in live), Decimal(0)),
            "days": sum((_number(p["days"]) for p in live), Decimal(0)),
            "partners": len(partners),
            "pledges": len(self.pledges),
            "contributions": count_contributions(p["contributions"] for p in live),
        }

    def goal_met(self) -> bool:
        if not self.goal:
            raise RuleBroken("The project has no goal to meet.")
        t = self.totals()
        return (
            t["partners"] >= int(self.goal["min_partners"] or 0)
            and t["money"] >= _number(self.goal["money"])
            and t["days"] >= _number(self.goal["days"])
        )

    def decide(self, now: datetime) -> bool:
        """Decide the goal once its deadline has passed; False if there is nothing to decide."""
        if not self.goal or self.outcome or not self.deadline_passed(now):
            return False
        totals = self.totals()
        self._decide(outcome=GOAL_MET if self.goal_met() else GOAL_MISSED, totals=totals, goal=dict(self.goal))
        return True

    class GoalDecided(Aggregate.Event):
        outcome: str
        totals: dict[str, Any]
        goal: dict[str, Any]

    @event(GoalDecided)
    def _decide(self, outcome: str, totals: dict[str, Any], goal: dict[str, Any]) -> None:
        self.outcome = outcome

    # ------------------------------------------------------------ pledges
    def _require_pledging_open(self, now: datetime) -> None:
        self.require_unlocked()
        if self.archived:
            raise Conflict("The project is archived: it takes no pledges.")
        if self.outcome:
            raise Conflict(f"The goal has been decided ({self.outcome}): pledges are locked.")
        if self.deadline_passed(now):
            raise Conflict("The goal's deadline has passed: pledges can no longer be made or changed.")

    def _require_valid_pledge(self, pledge: dict[str, Any], now: datetime) -> None:
        self._require_pledging_open(now)
        for amount in (pledge["money"], pledge["days"]):
            parse_amount(amount)
        if not (_number(pledge["money"]) or _number(pledge["days"]) or pledge["contributions"]):
            raise RuleBroken("A pledge needs money, staff time or at least one named contribution.")

    def require_not_owner(self, organisation_id: UUID, what: str) -> None:
        """An organisation backs others' projects: it cannot pledge to, or say it needs, its own."""
        if organisation_id == self.organisation_id:
            raise RuleBroken(f"Your organisation owns this project, so it cannot {what} it.")

    def has_pledge_from(self, organisation_id: UUID) -> bool:
        return str(organisation_id) in self.pledges

    def make_pledge(self, organisation_id: UUID, person_id: UUID, pledge: dict[str, Any], *, now: datetime) -> None:
        """The organisation's first live pledge on this project (one per organisation)."""
        self.require_not_owner(organisation_id, "pledge to")
        self._require_valid_pledge(pledge, now)
        if self.has_pledge_from(organisation_id):
            raise Conflict("Your organisation has already pledged to this project: amend that pledge instead.")
        self._make_pledge(organisation_id=organisation_id, person_id=person_id, pledge=pledge)

    def amend_pledge(self, organisation_id: UUID, person_id: UUID, pledge: dict[str, Any], *, now: datetime) -> bool:
        """Change the organisation's live pledge; False if it already reads exactly so."""
        self._require_valid_pledge(pledge, now)
        if not self.has_pledge_from(organisation_id):
            raise RuleBroken("Your organisation has no pledge on this project.")
        if self.pledges[str(organisation_id)] == {**pledge, "person_id": str(person_id)}:
            return False
        self._amend_pledge(organisation_id=organisation_id, person_id=person_id, pledge=pledge)
        return True

    def pledge_for(self, organisation_id: UUID, person_id: UUID, pledge: dict[str, Any], *, now: datetime) -> None:
        """Make the organisation's pledge, or amend the one it has: what "my pledge is this" means."""
        if self.has_pledge_from(organisation_id):
            self.amend_pledge(organisation_id, person_id, pledge, now=now)
        else:
            self.make_pledge(organisation_id, person_id, pledge, now=now)

    class PledgeMade(Aggregate.Event):
        organisation_id: UUID
        person_id: UUID
        pledge: dict[str, Any]

    @event(PledgeMade)
    def _make_pledge(self, organisation_id: UUID, person_id: UUID, pledge: dict[str, Any]) -> None:
        self.pledges[str(organisation_id)] = {**pledge, "person_id": str(person_id)}

    class PledgeAmended(Aggregate.Event):
        organisation_id: UUID
        person_id: UUID
        pledge: dict[str, Any]

    @event(PledgeAmended)
    def _amend_pledge(self, organisation_id: UUID, person_id: UUID, pledge: dict[str, Any]) -> None:
        self.pledges[str(organisation_id)] = {**pledge, "person_id": str(person_id)}

    def withdraw_pledge(self, organisation_id: UUID, person_id: UUID, *, now: datetime) -> None:
        self._require_pledging_open(now)
        if not self.has_pledge_from(organisation_id):
            raise RuleBroken("Your organisation has no pledge on this project.")
        self._withdraw_pledge(organisation_id=organisation_id, person_id=person_id)

    class PledgeWithdrawn(Aggregate.Event):
        organisation_id: UUID
        person_id: UUID

    @event(PledgeWithdrawn)
    def _withdraw_pledge(self, organisation_id: UUID, person_id: UUID) -> None:
        self.pledges.pop(str(organisation_id), None)
