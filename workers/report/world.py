"""The history as of a moment, folded from facts in time order (``fold``).

Everything here is independent of the report's window start and of ``forgotten_days``:
it records *when* things happened, and the figures (``workers.report.figures``) choose
what falls in the window."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from workers.report.facts import Fact

MIGRATION_STAMP = "created_on_is_migration_stamp"
UNKNOWN_SIGN_UP = "created_on_unknown"
UPDATES = (
    "Project.Edited",
    "Project.FieldRestored",
    "Project.PhaseChanged",
    "StatusUpdate.Posted",
    "StatusUpdate.Corrected",
)
WITHDRAWALS = ("Follow.Unfollowed", "Need.Withdrawn", "Project.PledgeWithdrawn", "ContributionRequest.Withdrawn")


def undated_sign_up(imported: dict[str, Any] | None) -> bool:
    """Imported with a migration stamp, or from a file without sign-up times: time unknown."""
    return bool((imported or {}).get(MIGRATION_STAMP) or (imported or {}).get(UNKNOWN_SIGN_UP))


@dataclass
class Org:
    kind: str
    name: str
    code: str | None


@dataclass
class Person:
    signed_up_at: datetime
    undated: bool  # imported with a migration stamp for a sign-up time
    org: UUID | None
    kind: str | None
    first_org: UUID | None = None  # where they signed up
    first_kind: str | None = None
    member: bool = False
    verified: bool = False
    erased: bool = False

    @property
    def verified_member(self) -> bool:
        return self.org is not None and self.member and self.verified and not self.erased


@dataclass
class Project:
    org: UUID
    proposer: UUID
    proposed_at: datetime
    title: str | None
    phase: str
    archived: bool = False
    outcome: str | None = None
    decided_at: datetime | None = None
    updates: list[datetime] = field(default_factory=list)
    followed_at: list[datetime] = field(default_factory=list)
    pledged_at: list[datetime] = field(default_factory=list)
    pledges: dict[UUID, tuple[Decimal, Decimal]] = field(default_factory=dict)  # live, by organisation
    partners: dict[UUID, set[str]] = field(default_factory=dict)  # other organisations -> "pledge" / "team"
    acts: list[tuple[datetime, UUID | None, UUID | None]] = field(default_factory=list)  # (at, person, org)


@dataclass
class Interest:
    at: datetime
    kind: str  # follow, need, contribution_request, legacy_like, legacy_join
    project: UUID
    person: UUID | None
    org: UUID | None
    request: UUID | None = None
    after: int = 0  # the project's acts from this index on came later


@dataclass
class World:
    end: datetime
    orgs: dict[UUID, Org] = field(default_factory=dict)
    people: dict[UUID, Person] = field(default_factory=dict)
    projects: dict[UUID, Project] = field(default_factory=dict)
    interest: list[Interest] = field(default_factory=list)
    answered: dict[UUID, datetime] = field(default_factory=dict)  # contribution request -> decided at
    request_project: dict[UUID, UUID] = field(default_factory=dict)
    update_project: dict[UUID, UUID] = field(default_factory=dict)
    first_verified: dict[UUID, datetime] = field(default_factory=dict)  # organisation -> first verified member
    edits: dict[tuple[UUID, datetime], None] = field(default_factory=dict)  # (project, moment) changed
    # what each person and organisation did, by step of the funnel: proposed, followed_or_pledged, posted
    person_steps: dict[UUID, dict[str, list[datetime]]] = field(default_factory=lambda: defaultdict(dict))
    org_steps: dict[UUID, dict[str, list[datetime]]] = field(default_factory=lambda: defaultdict(dict))
    person_acts: dict[UUID, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    nudges: list[tuple[datetime, UUID, int, datetime | None]] = field(
        default_factory=list
    )  # at, project, number, idle since

    def org_of(self, person: UUID | None) -> UUID | None:
        found = self.people.get(person) if person is not None else None
        return found.org if found else None


def fold(facts: Iterable[Fact], end: datetime) -> World:
    """The world as of ``end`` (exclusive): facts sorted by time, then log position. Organisations
    (kind, latest name, code) are taken from every fact about them, whatever its time."""
    world = World(end)
    for fact in sorted((f for f in facts if f.kind.startswith("Organisation.")), key=lambda f: f.position):
        _organisation(world, fact)  # whenever recorded: the register is loaded after the history it names
    for fact in sorted((f for f in facts if f.at < end), key=lambda f: (f.at, f.position)):
        handler = HANDLERS.get(fact.kind.split(".")[0])
        if handler is not None:
            handler(world, fact)
    return world


# ---------------------------------------------------------------- organisations
def _organisation(world: World, fact: Fact) -> None:
    d = fact.data
    if fact.kind == "Organisation.Registered":
        world.orgs[fact.id] = Org(d["kind"], d["name"], d["code"])
    elif fact.id in world.orgs:
        changes = d.get("changes") or {}
        name = changes.get("name") or changes.get("official_name")
        if name:
            world.orgs[fact.id].name = name


# ---------------------------------------------------------------------- people
def _person(world: World, fact: Fact) -> None:
    d, kind = fact.data, fact.kind
    if kind == "Person.SignedUp":
        undated = undated_sign_up(d.get("imported"))
        org, org_kind = d["organisation_id"], d["organisation_kind"]
        world.people[fact.id] = Person(fact.at, undated, org, org_kind, org, org_kind)
        return
    person = world.people.get(fact.id)
    if person is None:
        return
    if kind == "Person.EmailVerified":
        person.verified = True
    elif kind == "Person.EmailChanged":
        person.verified = False
    elif kind == "Person.MovedOrganisation":
        person.org, person.kind, person.member = d["organisation_id"], d["organisation_kind"], False
    elif kind == "Person.MembershipApproved":
        person.member = person.org == d["organisation_id"]
    elif kind == "Person.MembershipLapsed":
        person.member = False
    elif kind in ("Person.MembershipDeclined", "Person.RemovedFromOrganisation"):
        person.org = person.kind = None
        person.member = False
    elif kind == "Person.Erased":
        person.erased = True
    if person.verified_member and person.org is not None:
        world.first_verified.setdefault(person.org, fact.at)


# -------------------------------------------------------------------- projects
def _step(world: World, step: str, at: datetime, person: UUID | None, org: UUID | None) -> None:
    if person is not None:
        world.person_steps[person].setdefault(step, []).append(at)
    if org is not None:
        world.org_steps[org].setdefault(step, []).append(at)


def _act(world: World, project: Project, at: datetime, person: UUID | None, org: UUID | None = None) -> None:
    """Someone did something on the project (for follow-through and cohorts)."""
    org = org if org is not None else world.org_of(person)
    project.acts.append((at, person, org))
    if person is not None:
        world.person_acts[person].append(at)


def _project(world: World, fact: Fact) -> None:
    d, kind = fact.data, fact.kind
    if kind == "Project.Proposed":
        new = Project(d["organisation_id"], d["proposer_id"], fact.at, d["details"]["title"], d["phase"])
        world.projects[fact.id] = new
        _act(world, new, fact.at, d["proposer_id"], d["organisation_id"])
        _step(world, "proposed", fact.at, d["proposer_id"], d["organisation_id"])
        return
    project = world.projects.get(fact.id)
    if project is None:
        return
    _PROJECT_HANDLERS.get(kind, _other_project_event)(world, project, fact)


def _other_project_event(world: World, project: Project, fact: Fact) -> None:
    if fact.kind in UPDATES:
        project.updates.append(fact.at)
    if fact.kind in ("Project.Edited", "Project.FieldRestored", "Project.PhaseChanged"):
        world.edits[(fact.id, fact.at)] = None  # an edit and a phase change at one moment: one version
    if fact.kind in ("Project.Edited", "Project.FieldRestored"):
        if fact.data["changes"].get("title"):
            project.title = fact.data["changes"]["title"]
    elif fact.kind == "Project.PhaseChanged":
        project.phase = fact.data["phase"]
    elif fact.kind in ("Project.Archived", "Project.Restored"):
        project.archived = fact.kind == "Project.Archived"
    elif fact.kind == "Project.GoalDecided":
        project.outcome, project.decided_at = fact.data["outcome"], fact.at
        return
    _act(world, project, fact.at, fact.data.get("actor"))


def _pledge(world: World, project: Project, fact: Fact) -> None:
    d = fact.data
    org, person = d["organisation_id"], d["person_id"]
    if fact.kind == "Project.PledgeWithdrawn":
        project.pledges.pop(org, None)
        return
    pledge = d["pledge"] or {}
    project.pledges[org] = (Decimal(str(pledge.get("money") or 0)), Decimal(str(pledge.get("days") or 0)))
    _act(world, project, fact.at, person, org)
    if fact.kind == "Project.PledgeMade":
        project.pledged_at.append(fact.at)
        _step(world, "followed_or_pledged", fact.at, person, org)
        if org != project.org:
            project.partners.setdefault(org, set()).add("pledge")


def _team(world: World, project: Project, fact: Fact) -> None:
    org = fact.data["organisation_id"]
    if org != project.org:
        project.partners.setdefault(org, set()).add("team")
    _act(world, project, fact.at, fact.data["person_id"], org)


_PROJECT_HANDLERS = {
    "Project.PledgeMade": _pledge,
    "Project.PledgeAmended": _pledge,
    "Project.PledgeWithdrawn": _pledge,
    "Project.TeamMemberAdded": _team,
}


# -------------------------------------------------------------------- interest
def _legacy(fact: Fact, plain: str) -> str:
    imported = fact.data.get("imported") or {}
    return f"legacy_{imported['kind']}" if imported.get("kind") in ("like", "join") else plain


def _signal(world: World, fact: Fact) -> None:
    d, kind = fact.data, fact.kind
    if kind.startswith("ContributionRequest.") and kind != "ContributionRequest.Requested":
        project_id = world.request_project.get(fact.id)
        world.answered.setdefault(fact.id, fact.at)
        person = d.get("actor")
    elif kind.startswith("StatusUpdate."):
        project_id = d.get("project_id") or world.update_project.get(fact.id)
        person = d.get("author_id") or d.get("actor")
        if kind == "StatusUpdate.Posted" and project_id is not None:
            world.update_project[fact.id] = project_id
    else:
        project_id, person = d.get("project_id"), d.get("person_id")
    project = world.projects.get(project_id) if project_id is not None else None
    if project is None:
        return
    if kind == "StatusUpdate.Posted":
        _step(world, "posted", fact.at, person, world.org_of(person))
    if kind in UPDATES:
        project.updates.append(fact.at)
    if kind in WITHDRAWALS or kind == "StatusUpdate.Retracted":
        return
    org = d.get("organisation_id") or world.org_of(person)
    _act(world, project, fact.at, person, org)
    _interest(world, project, fact, person, org)


def _interest(world: World, project: Project, fact: Fact, person: UUID | None, org: UUID | None) -> None:
    kind = {
        "Follow.Followed": _legacy(fact, "follow"),
        "Need.Declared": "need",
        "ContributionRequest.Requested": _legacy(fact, "contribution_request"),
    }.get(fact.kind)
    if kind is None:
        return
    request = fact.id if fact.kind == "ContributionRequest.Requested" else None
    if request is not None:
        world.request_project[request] = fact.data["project_id"]
    world.interest.append(Interest(fact.at, kind, fact.data["project_id"], person, org, request, len(project.acts)))
    if fact.kind == "Follow.Followed":
        project.followed_at.append(fact.at)
        _step(world, "followed_or_pledged", fact.at, person, org)


def _nudge(world: World, fact: Fact) -> None:
    since = fact.data.get("idle_since")
    idle_since = datetime.fromisoformat(since) if since else None
    world.nudges.append((fact.at, fact.data["project_id"], int(fact.data["number"] or 0), idle_since))


HANDLERS: dict[str, Any] = {
    "Person": _person,
    "Project": _project,
    "Follow": _signal,
    "Need": _signal,
    "ContributionRequest": _signal,
    "StatusUpdate": _signal,
    "ProjectNudge": _nudge,
}
