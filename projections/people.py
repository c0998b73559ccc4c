"""People directory, with the history of which organisation each person was in when.

Email addresses are never written here: this table is public output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from domain.organisation import Organisation
from domain.person import SHOWN_BY_DEFAULT, Person
from domain.personal import FORMER_MEMBER
from projections.base import Projection, Reveal, Statement, handles, reads, timestamp
from projections.db import Reader


class PeopleProjection(Projection):
    name = "people"
    # 4: page_shown (what each person chose to show on their page), and people_admins, so that the
    # creator of a new organisation, appointed in the same save before their SignedUp, shows as admin;
    # 5: suspended_at and suspension_reason (the reason is for operators: the API withholds it)
    version = 5
    indexes_after_fill = True  # its statements find rows by primary key only
    tables = ("people", "people_memberships", "people_admins")
    ddl = (
        """CREATE TABLE IF NOT EXISTS people (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            job_title TEXT,
            organisation_id TEXT,
            membership TEXT,
            email_verified BOOLEAN NOT NULL DEFAULT FALSE,
            is_admin BOOLEAN NOT NULL DEFAULT FALSE,
            erased BOOLEAN NOT NULL DEFAULT FALSE,
            signed_up_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            page_shown TEXT,
            suspended_at TEXT,
            suspension_reason TEXT)""",
        "CREATE INDEX IF NOT EXISTS people_by_organisation ON people (organisation_id, signed_up_at, id)",
        "CREATE INDEX IF NOT EXISTS people_by_signup ON people (signed_up_at, id)",
        """CREATE TABLE IF NOT EXISTS people_memberships (
            person_id TEXT NOT NULL,
            organisation_id TEXT NOT NULL,
            since TEXT NOT NULL,
            until TEXT,
            PRIMARY KEY (person_id, since))""",
        "CREATE TABLE IF NOT EXISTS people_admins (person_id TEXT NOT NULL, organisation_id TEXT NOT NULL,"
        " PRIMARY KEY (person_id, organisation_id))",
    )

    def row_of(self, statement: Statement) -> str | None:
        """The person whose rows a statement changes or reads (``projections.bulk.by_row``): every
        statement here finds its rows by one person's id (the sign-up's insert reads that person's
        ``people_admins`` rows only), so statements on different people commute. None for a
        statement naming no person (a subclass's): it keeps its place against every other."""
        params = statement.params
        return params["id"] if "id" in params else params.get("person")

    @handles(Person.SignedUp)
    def signed_up(self, event: Person.SignedUp, reveal: Reveal) -> Iterator[Statement]:
        at = timestamp(event.timestamp)
        person, org = str(event.originator_id), str(event.organisation_id)
        yield Statement(
            "INSERT INTO people (id, name, job_title, organisation_id, membership, signed_up_at, updated_at, is_admin)"
            " VALUES (:id, :name, :job_title, :org, 'pending', :at, :at,"
            " EXISTS (SELECT 1 FROM people_admins a WHERE a.person_id = :id AND a.organisation_id = :org))",
            {
                "id": person,
                "org": org,
                "at": at,
                "name": reveal(event.originator_id, event.name) or FORMER_MEMBER,
                "job_title": reveal(event.originator_id, event.job_title),
            },
        )
        yield _join(person, org, at)

    @handles(Person.MovedOrganisation)
    def moved(self, event: Person.MovedOrganisation, reveal: Reveal) -> Iterator[Statement]:
        at, person, org = timestamp(event.timestamp), str(event.originator_id), str(event.organisation_id)
        yield _set(person, at, organisation_id=org, membership="pending")
        yield _leave(person, at)
        yield _join(person, org, at)

    @handles(Person.RemovedFromOrganisation, Person.MembershipDeclined)
    def removed(
        self, event: Person.RemovedFromOrganisation | Person.MembershipDeclined, reveal: Reveal
    ) -> Iterator[Statement]:
        at, person = timestamp(event.timestamp), str(event.originator_id)
        yield _set(person, at, organisation_id=None, membership=None, is_admin=False)
        yield _leave(person, at)

    @handles(Person.MembershipApproved)
    def approved(self, event: Person.MembershipApproved, reveal: Reveal) -> Iterator[Statement]:
        yield _set(str(event.originator_id), timestamp(event.timestamp), membership="member")

    @handles(Person.MembershipLapsed)
    def lapsed(self, event: Person.MembershipLapsed, reveal: Reveal) -> Iterator[Statement]:
        yield _set(str(event.originator_id), timestamp(event.timestamp), membership="pending")

    @handles(Person.ProfileChanged)
    def profile_changed(self, event: Person.ProfileChanged, reveal: Reveal) -> Iterator[Statement]:
        changes: dict[str, str | None] = {}
        if "name" in event.changes:
            changes["name"] = reveal(event.originator_id, event.changes["name"]) or FORMER_MEMBER
        if "job_title" in event.changes:
            changes["job_title"] = reveal(event.originator_id, event.changes["job_title"])
        if changes:
            yield _set(str(event.originator_id), timestamp(event.timestamp), **changes)

    @handles(Person.EmailVerified)
    def verified(self, event: Person.EmailVerified, reveal: Reveal) -> Iterator[Statement]:
        yield _set(str(event.originator_id), timestamp(event.timestamp), email_verified=True)

    @handles(Person.EmailChanged)
    def email_changed(self, event: Person.EmailChanged, reveal: Reveal) -> Iterator[Statement]:
        yield _set(str(event.originator_id), timestamp(event.timestamp), email_verified=False)

    @handles(Person.PageSectionsChosen)
    def page_chosen(self, event: Person.PageSectionsChosen, reveal: Reveal) -> Iterator[Statement]:
        shown = json.dumps(list(event.shown))
        yield _set(str(event.originator_id), timestamp(event.timestamp), page_shown=shown)

    @handles(Person.Suspended, Person.Reinstated)
    def suspended(self, event: Person.Suspended | Person.Reinstated, reveal: Reveal) -> Iterator[Statement]:
        at = timestamp(event.timestamp)
        if isinstance(event, Person.Suspended):
            yield _set(str(event.originator_id), at, suspended_at=at, suspension_reason=event.reason)
        else:
            yield _set(str(event.originator_id), at, suspended_at=None, suspension_reason=None)

    @handles(Person.Erased)
    def erased(self, event: Person.Erased, reveal: Reveal) -> Iterator[Statement]:
        yield _set(
            str(event.originator_id),
            timestamp(event.timestamp),
            name=FORMER_MEMBER,
            job_title=None,
            erased=True,
            is_admin=False,
            suspended_at=None,
            suspension_reason=None,
        )

    @handles(Organisation.AdminAppointed, Organisation.AdminDropped)
    def admin(
        self, event: Organisation.AdminAppointed | Organisation.AdminDropped, reveal: Reveal
    ) -> Iterator[Statement]:
        appointed = isinstance(event, Organisation.AdminAppointed)
        keys = {"person": str(event.person_id), "org": str(event.originator_id)}
        yield Statement("DELETE FROM people_admins WHERE person_id = :person AND organisation_id = :org", keys)
        if appointed:  # kept for a SignedUp saved after it (the creator of a new organisation)
            yield Statement("INSERT INTO people_admins (person_id, organisation_id) VALUES (:person, :org)", keys)
        yield _set(str(event.person_id), timestamp(event.timestamp), is_admin=appointed)


def _set(person_id: str, at: str, **columns: Any) -> Statement:
    assignments = ", ".join(f"{column} = :{column}" for column in columns)
    return Statement(
        f"UPDATE people SET {assignments}, updated_at = :at WHERE id = :id", {**columns, "id": person_id, "at": at}
    )


def _join(person_id: str, organisation_id: str, at: str) -> Statement:
    return Statement(
        "INSERT INTO people_memberships (person_id, organisation_id, since) VALUES (:id, :org, :at)",
        {"id": person_id, "org": organisation_id, "at": at},
    )


def _leave(person_id: str, at: str) -> Statement:
    return Statement(
        "UPDATE people_memberships SET until = :at WHERE person_id = :id AND until IS NULL", {"id": person_id, "at": at}
    )


# ------------------------------------------------------------------ queries
def shown(row: dict[str, Any]) -> list[str]:
    """The sections a person's page shows: what they chose, or the default; none once erased."""
    if row.get("erased"):
        return []
    chosen = row.get("page_shown")
    return list(json.loads(chosen)) if chosen else list(SHOWN_BY_DEFAULT)


@reads("people")
def verified_members(db: Reader, organisation_id: str, limit: int = 20) -> list[str]:
    """Ids of the organisation's verified members, longest-standing first (who may take the admin
    role on when its last admin leaves: a hint, which the domain checks against the store)."""
    rows = db.query(
        "SELECT id FROM people WHERE organisation_id = :org AND membership = 'member' AND email_verified = TRUE"
        " AND erased = FALSE ORDER BY signed_up_at, id LIMIT :limit",
        {"org": organisation_id, "limit": limit},
    )
    return [r["id"] for r in rows]


@reads("people")
def get(db: Reader, person_id: str) -> dict | None:
    rows = db.query("SELECT * FROM people WHERE id = :id", {"id": person_id})
    if not rows:
        return None
    person = dict(rows[0])
    person["memberships"] = db.query(
        "SELECT organisation_id, since, until FROM people_memberships WHERE person_id = :id ORDER BY since",
        {"id": person_id},
    )
    return person


@reads("people")
def list_page(
    db: Reader, *, organisation_id: str | None = None, membership: str | None = None, after=None, limit: int = 50
) -> list[dict]:
    """Oldest sign-up first; ``after`` is the (signed_up_at, id) of the previous page's last row."""
    where: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    if organisation_id is not None:
        where.append("organisation_id = :org")
        params["org"] = organisation_id
    if membership is not None:
        where.append("membership = :membership")
        params["membership"] = membership
    if after is not None:
        where.append("(signed_up_at > :after_at OR (signed_up_at = :after_at AND id > :after_id))")
        params.update(after_at=after[0], after_id=after[1])
    sql = "SELECT * FROM people" + (" WHERE " + " AND ".join(where) if where else "")
    return db.query(sql + " ORDER BY signed_up_at, id LIMIT :limit", params)
