"""Activity feed: what happened, newest first, derived from events.

Rows hold ids and a small JSON ``detail`` only (never names, emails or free text):
names are joined at query time, so an erased person shows as "Former member".
Events that do not name their project or organisation (a correction, a decision on a
request, an edit) take them from the row of the event that started their aggregate
(``source``), which this table already holds. Unfollows are left out: they are a
private preference, not news. A status update an operator hid leaves the feed with all its
rows (``activity_hidden`` names it until it is un-hidden); the project's history keeps it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from domain.interest import ContributionRequest, Follow, Need, StatusUpdate
from domain.organisation import Organisation
from domain.person import Person
from domain.project import Project
from projections.base import Projection, Recorded, Reveal, Statement, handles, reads, timestamp
from projections.context import FollowerContext
from projections.db import Reader
from projections.signups import migrated

INSERT = """INSERT INTO activity (id, at, type, actor_id, person_id, organisation_id, project_id, detail)
VALUES (:id, :at, :type, :actor,
    COALESCE(:person, (SELECT s.person_id FROM activity s WHERE s.id = :source)),
    COALESCE(:org, (SELECT s.organisation_id FROM activity s WHERE s.id = :source)),
    COALESCE(:project, (SELECT s.project_id FROM activity s WHERE s.id = :source)),
    :detail)"""

PLAIN_INSERT = """INSERT INTO activity (id, at, type, actor_id, person_id, organisation_id, project_id, detail)
VALUES (:id, :at, :type, :actor, :person, :org, :project, :detail)"""  # a row that takes nothing from its source

# type -> summary; {actor}, {person}, {org}, {project} and the detail's keys are filled in.
SUMMARIES = {
    "person.signed_up": "{person} ({org}) signed up",
    "person.carried_over": "{person} ({org}) was carried over from the original Pipeline",
    "person.moved": "{person} moved to {org}",
    "person.removed": "{person} was removed from {org}",
    "person.erased": "{person} was erased",
    "organisation.created": "{org} joined Pipeline",
    "organisation.details_changed": "{actor} changed the {fields} of {org}",
    "organisation.admin_appointed": "{person} became an admin of {org}",
    "project.proposed": "{person} ({org}) proposed {project}, in {phase}",
    "project.edited": "{actor} edited the {fields} of {project}",
    "project.phase_changed": "{actor} moved {project} from {from} to {to}",
    "project.archived": "{actor} archived {project}",
    "project.restored": "{actor} restored {project}",
    "project.team_joined": "{person} ({org}) joined the team of {project}",
    "project.goal_set": "{actor} set a goal for {project}: {goal} by {deadline}",
    "project.goal_met": "{project} met its goal, with {goal}",
    "project.goal_missed": "{project} missed its goal, with {goal}",
    "pledge.made": "{person} ({org}) pledged {pledge} to {project}",
    "pledge.amended": "{person} ({org}) changed their pledge to {project} to {pledge}",
    "pledge.withdrawn": "{person} ({org}) withdrew their pledge to {project}",
    "project.followed": "{person} followed {project}",
    "project.need_declared": "{person} ({org}) said they need {project} too",
    "project.need_withdrawn": "{person} ({org}) no longer needs {project}",
    "contribution.requested": "{person} ({org}) asked to join the team of {project}",
    "contribution.approved": "{actor} approved {person}'s request to join {project}",
    "contribution.declined": "{actor} declined {person}'s request to join {project}",
    "status_update.posted": "{person} posted a status update on {project}",
    "status_update.corrected": "{actor} corrected a status update on {project}",
    "status_update.retracted": "{actor} retracted a status update on {project}",
}
TYPES = tuple(SUMMARIES)


# One encoder for every row (``json.dumps`` with options makes a new one per call): the same text.
_DETAIL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def row(
    event: Recorded,
    type_: str,
    *,
    actor: Any = None,
    person: Any = None,
    org: Any = None,
    project: Any = None,
    source: Any = None,
    **detail: Any,
) -> Statement:
    """One feed row; ``source`` is the aggregate whose first row supplies what is not given."""
    return Statement(
        INSERT if source is not None else PLAIN_INSERT,
        {
            "id": f"{event.originator_id}:{event.originator_version}",
            "at": timestamp(event.timestamp),
            "type": type_,
            "actor": _id(actor),
            "person": _id(person),
            "org": _id(org),
            "project": _id(project),
            "source": None if source is None else f"{source}:1",
            "detail": _DETAIL.encode(detail) if detail else "{}",
        },
    )


def sources_first(statements: list[Statement]) -> list[Statement]:
    """The batch's rows ordered by depth: rows with no source, then rows whose source is written
    already or is such a row, and so on (a status update's correction takes from the update,
    which takes from its project). A row only ever reads its source, a row written before it and
    never changed, so this order writes the same rows as the log's, with fewer changes of
    statement: runs of plain inserts go in together (``projections.bulk``). A row whose source
    is an earlier row of the batch takes what it lacks from that row's values here, as a plain
    insert (what the lookup would have found), so only rows whose source was written by an
    earlier batch look it up."""
    depth: dict[str, int] = {}
    known: dict[str, Any] = {}  # id -> the values of a row of this batch, its lookups done
    placed = []
    for statement in statements:
        params = statement.params
        source = params["source"]
        if source is not None and source in known:
            found = known[source]
            params = {**params, **{k: found[k] for k in _TAKEN if params[k] is None}}
            statement = Statement(PLAIN_INSERT, params)
            source = None
        if statement.sql == PLAIN_INSERT:
            known[params["id"]] = params
        depth[params["id"]] = 0 if source is None else depth.get(source, 0) + 1
        placed.append(statement)
    return sorted(placed, key=lambda statement: depth[statement.params["id"]])


_TAKEN = ("person", "org", "project")  # what a row takes from its source when it lacks it


def _amounts(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(values.get(k) or 0) for k in ("money", "days")}


class ActivityProjection(Projection):
    name = "activity"
    version = 3  # 1 had no tables; 3: hidden status updates (`pipeline init` replays the history)
    indexes_after_fill = True  # its statements find rows by primary key only
    tables = ("activity", "activity_hidden")
    ddl = (
        """CREATE TABLE IF NOT EXISTS activity (
            id TEXT PRIMARY KEY, at TEXT NOT NULL, type TEXT NOT NULL, actor_id TEXT, person_id TEXT,
            organisation_id TEXT, project_id TEXT, detail TEXT NOT NULL DEFAULT '{}')""",
        "CREATE INDEX IF NOT EXISTS activity_by_time ON activity (at, id)",
        "CREATE INDEX IF NOT EXISTS activity_by_project ON activity (project_id, at, id)",
        "CREATE INDEX IF NOT EXISTS activity_by_organisation ON activity (organisation_id, at, id)",
        "CREATE INDEX IF NOT EXISTS activity_by_person ON activity (person_id, at, id)",
        "CREATE INDEX IF NOT EXISTS activity_by_actor ON activity (actor_id, at, id)",
        # the status updates an operator hid: every row of theirs (ids "<update id>:<version>") is left out
        "CREATE TABLE IF NOT EXISTS activity_hidden (id TEXT PRIMARY KEY)",
    )

    def batch(self, events: list[Any], reveal: Reveal, context: FollowerContext | None) -> list[Statement]:
        return sources_first(super().batch(events, reveal, context))

    # ----------------------------------------------------------- people, organisations
    @handles(Person.SignedUp)
    def signed_up(self, e: Person.SignedUp, reveal: Reveal) -> Iterator[Statement]:
        kind = "person.carried_over" if migrated(e) else "person.signed_up"  # a migration stamp is no sign-up
        yield row(e, kind, actor=e.originator_id, person=e.originator_id, org=e.organisation_id)

    @handles(Person.MovedOrganisation)
    def moved(self, e: Person.MovedOrganisation, reveal: Reveal) -> Iterator[Statement]:
        yield row(
            e,
            "person.moved",
            actor=e.actor,
            person=e.originator_id,
            org=e.organisation_id,
            from_organisation_id=_id(e.from_organisation_id),
        )

    @handles(Person.RemovedFromOrganisation)
    def removed(self, e: Person.RemovedFromOrganisation, reveal: Reveal) -> Iterator[Statement]:
        yield row(e, "person.removed", actor=e.actor, person=e.originator_id, org=e.organisation_id)

    @handles(Person.Erased)
    def erased(self, e: Person.Erased, reveal: Reveal) -> Iterator[Statement]:
        yield row(e, "person.erased", actor=e.actor, person=e.originator_id)

    @handles(Organisation.Registered)
    def registered(self, e: Organisation.Registered, reveal: Reveal) -> Iterator[Statement]:
        if e.code is None:  # councils come from the register, not from anyone's action
            yield row(e, "organisation.created", actor=e.registered_by, org=e.originator_id, kind=e.kind)

    @handles(Organisation.DetailsChanged)
    def details_changed(self, e: Organisation.DetailsChanged, reveal: Reveal) -> Iterator[Statement]:
        yield row(e, "organisation.details_changed", actor=e.actor, org=e.originator_id, fields=sorted(e.changes))

    @handles(Organisation.AdminAppointed)
    def admin_appointed(self, e: Organisation.AdminAppointed, reveal: Reveal) -> Iterator[Statement]:
        yield row(e, "organisation.admin_appointed", actor=e.actor, person=e.person_id, org=e.originator_id)

    # ------------------------------------------------------------------- projects
    @handles(Project.Proposed)
    def proposed(self, e: Project.Proposed, reveal: Reveal) -> Iterator[Statement]:
        yield row(
            e,
            "project.proposed",
            actor=e.proposer_id,
            person=e.proposer_id,
            org=e.organisation_id,
            project=e.originator_id,
            phase=e.phase,
        )

    @handles(Project.Edited, Project.FieldRestored)
    def edited(self, e: Project.Edited | Project.FieldRestored, reveal: Reveal) -> Iterator[Statement]:
        yield row(
            e,
            "project.edited",
            actor=e.actor,
            person=e.actor,
            project=e.originator_id,
            source=e.originator_id,
            fields=sorted(e.changes),
            moderation=bool(e.moderation),
        )

    @handles(Project.PhaseChanged)
    def phase_changed(self, e: Project.PhaseChanged, reveal: Reveal) -> Iterator[Statement]:
        yield row(
            e,
            "project.phase_changed",
            actor=e.actor,
            person=e.actor,
            project=e.originator_id,
            source=e.originator_id,
            moderation=bool(e.moderation),
            **{"from": e.from_phase, "to": e.phase},
        )

    @handles(Project.Archived, Project.Restored)
    def archived(self, e: Project.Archived | Project.Restored, reveal: Reveal) -> Iterator[Statement]:
        kind = "project.archived" if isinstance(e, Project.Archived) else "project.restored"
        yield row(
            e,
            kind,
            actor=e.actor,
            person=e.actor,
            project=e.originator_id,
            source=e.originator_id,
            moderation=bool(e.moderation),
        )

    @handles(Project.TeamMemberAdded)
    def team_joined(self, e: Project.TeamMemberAdded, reveal: Reveal) -> Iterator[Statement]:
        yield row(
            e, "project.team_joined", actor=e.actor, person=e.person_id, org=e.organisation_id, project=e.originator_id
        )

    @handles(Project.GoalSet)
    def goal_set(self, e: Project.GoalSet, reveal: Reveal) -> Iterator[Statement]:
        yield row(
            e,
            "project.goal_set",
            actor=e.actor,
            person=e.actor,
            project=e.originator_id,
            source=e.originator_id,
            min_partners=int(e.goal.get("min_partners") or 0),
            deadline=str(e.goal["deadline"]),
            **_amounts(e.goal),
        )

    @handles(Project.GoalDecided)
    def goal_decided(self, e: Project.GoalDecided, reveal: Reveal) -> Iterator[Statement]:
        yield row(
            e,
            f"project.goal_{e.outcome}",
            project=e.originator_id,
            source=e.originator_id,
            partners=int(e.totals.get("partners") or 0),
            **_amounts(e.totals),
        )

    @handles(Project.PledgeMade, Project.PledgeAmended, Project.PledgeWithdrawn)
    def pledged(
        self, e: Project.PledgeMade | Project.PledgeAmended | Project.PledgeWithdrawn, reveal: Reveal
    ) -> Iterator[Statement]:
        if isinstance(e, Project.PledgeWithdrawn):
            kind, detail = "pledge.withdrawn", {}
        else:
            kind = "pledge.made" if isinstance(e, Project.PledgeMade) else "pledge.amended"
            detail = {**_amounts(e.pledge), "contributions": list(e.pledge.get("contributions") or [])}
        yield row(
            e, kind, actor=e.person_id, person=e.person_id, org=e.organisation_id, project=e.originator_id, **detail
        )

    # ------------------------------------------------------------------- interest
    @handles(Follow.Followed, Follow.Refollowed)
    def followed(self, e: Follow.Followed | Follow.Refollowed, reveal: Reveal) -> Iterator[Statement]:
        yield row(
            e, "project.followed", actor=e.person_id, person=e.person_id, project=e.project_id, source=e.project_id
        )

    @handles(Need.Declared, Need.Redeclared, Need.Withdrawn)
    def need(self, e: Need.Declared | Need.Redeclared | Need.Withdrawn, reveal: Reveal) -> Iterator[Statement]:
        kind = "project.need_withdrawn" if isinstance(e, Need.Withdrawn) else "project.need_declared"
        yield row(e, kind, actor=e.person_id, person=e.person_id, org=e.organisation_id, project=e.project_id)

    @handles(ContributionRequest.Requested)
    def requested(self, e: ContributionRequest.Requested, reveal: Reveal) -> Iterator[Statement]:
        yield row(
            e,
            "contribution.requested",
            actor=e.person_id,
            person=e.person_id,
            org=e.organisation_id,
            project=e.project_id,
        )

    @handles(ContributionRequest.Approved, ContributionRequest.Declined)
    def decided(
        self, e: ContributionRequest.Approved | ContributionRequest.Declined, reveal: Reveal
    ) -> Iterator[Statement]:
        approved = isinstance(e, ContributionRequest.Approved)
        yield row(
            e, "contribution.approved" if approved else "contribution.declined", actor=e.actor, source=e.originator_id
        )

    @handles(StatusUpdate.Posted)
    def posted(self, e: StatusUpdate.Posted, reveal: Reveal) -> Iterator[Statement]:
        yield row(
            e, "status_update.posted", actor=e.author_id, person=e.author_id, project=e.project_id, source=e.project_id
        )

    @handles(StatusUpdate.Corrected, StatusUpdate.Retracted)
    def revised(self, e: StatusUpdate.Corrected | StatusUpdate.Retracted, reveal: Reveal) -> Iterator[Statement]:
        kind = "status_update.corrected" if isinstance(e, StatusUpdate.Corrected) else "status_update.retracted"
        yield row(e, kind, actor=e.actor, source=e.originator_id)

    @handles(StatusUpdate.Hidden, StatusUpdate.Unhidden)
    def hidden(self, e: StatusUpdate.Hidden | StatusUpdate.Unhidden, reveal: Reveal) -> Iterator[Statement]:
        """Hiding and un-hiding keep their order in a batch: ``sources_first`` sorts stably, both at depth 0."""
        keys = {"id": str(e.originator_id), "source": None}
        if isinstance(e, StatusUpdate.Hidden):
            yield Statement("INSERT INTO activity_hidden (id) VALUES (:id)", keys)
        else:
            yield Statement("DELETE FROM activity_hidden WHERE id = :id", keys)


# ------------------------------------------------------------------ queries
SELECT = """SELECT a.*, pe.name AS person_name, ac.name AS actor_name, o.name AS organisation_name,
    o.code AS organisation_code, pr.title AS project_title
  FROM activity a LEFT JOIN people pe ON pe.id = a.person_id LEFT JOIN people ac ON ac.id = a.actor_id
  LEFT JOIN organisations o ON o.id = a.organisation_id LEFT JOIN projects pr ON pr.id = a.project_id"""
FILTERS = {  # argument -> condition
    "organisation_id": "(a.organisation_id = :organisation_id"
    " OR a.project_id IN (SELECT p.id FROM projects p WHERE p.organisation_id = :organisation_id))",
    "project_id": "a.project_id = :project_id",
    "person_id": "(a.person_id = :person_id OR a.actor_id = :person_id)",
    "type": "a.type = :type",
}
# a hidden status update's rows: ids are "<aggregate id>:<version>", the hidden table holds the update's id
NOT_HIDDEN = "NOT EXISTS (SELECT 1 FROM activity_hidden h WHERE a.id LIKE h.id || ':%')"


@reads("activity", "people", "organisations", "projects")
def feed(
    db: Reader,
    *,
    organisation_id: str | None = None,
    project_id: str | None = None,
    person_id: str | None = None,
    type: str | None = None,
    before: tuple[str, str] | list[str] | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Newest first. ``before`` is the (at, id) of the previous page's last row. An
    organisation's feed has what its people did and what happened to its projects."""
    given = {"organisation_id": organisation_id, "project_id": project_id, "person_id": person_id, "type": type}
    where = [FILTERS[k] for k, v in given.items() if v is not None] + [NOT_HIDDEN]
    params: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if before is not None:
        where.append("(a.at < :before_at OR (a.at = :before_at AND a.id < :before_id))")
        params.update(before_at=before[0], before_id=before[1])
    sql = SELECT + " WHERE " + " AND ".join(where) + " ORDER BY a.at DESC, a.id DESC LIMIT :limit"
    return [_shaped(r) for r in db.query(sql, {**params, "limit": limit})]


def _shaped(r: dict[str, Any]) -> dict[str, Any]:
    detail = json.loads(r["detail"] or "{}")
    names = {
        "actor": r["actor_name"] or ("Pipeline" if r["actor_id"] is None else "Someone"),
        "person": r["person_name"] or "Someone",
        "org": r["organisation_name"] or "an organisation",
        "project": r["project_title"] or "a project",
    }
    return {**r, "detail": detail, "summary": summary(r["type"], names, detail)}


def summary(type_: str, names: dict[str, str], detail: dict[str, Any]) -> str:
    """The human line for one row: ``names`` are display names, ``detail`` the row's detail."""
    values = {**detail, **names}
    if "fields" in detail:
        values["fields"] = _and([field.replace("_", " ") for field in detail["fields"]])
    if type_.startswith("pledge."):
        values["pledge"] = _and(_offer(detail))
    if type_.startswith("project.goal_"):
        partners = int(detail.get("min_partners", detail.get("partners")) or 0)
        counted = [f"{partners} partner{'' if partners == 1 else 's'}"] if partners else []
        values["goal"] = _and(counted + _offer(detail))
        values["deadline"] = str(detail.get("deadline", ""))[:10]
    return SUMMARIES.get(type_, type_).format_map(values)


def _offer(detail: dict[str, Any]) -> list[str]:
    money, days = Decimal(detail.get("money") or 0), Decimal(detail.get("days") or 0)
    parts = [f"£{money:,.2f}"] if money else []
    parts += [f"{days.normalize():f} person-day{'' if days == 1 else 's'}"] if days else []
    return parts + [kind.replace("_", " ") for kind in detail.get("contributions", ())]


def _and(parts: list[str]) -> str:
    return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts) or "nothing"
