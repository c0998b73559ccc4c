"""People directory, with the history of which organisation each person was in when.

Email addresses are never written here: this table is public output."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from domain.person import Person
from projections.base import Projection, Statement, handles, timestamp


class PeopleProjection(Projection):
    name = "people"
    tables = ("people", "people_memberships")
    ddl = (
        """CREATE TABLE IF NOT EXISTS people (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            job_title TEXT,
            organisation_id TEXT NOT NULL,
            signed_up_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS people_by_organisation ON people (organisation_id, signed_up_at, id)",
        "CREATE INDEX IF NOT EXISTS people_by_signup ON people (signed_up_at, id)",
        """CREATE TABLE IF NOT EXISTS people_memberships (
            person_id TEXT NOT NULL,
            organisation_id TEXT NOT NULL,
            since TEXT NOT NULL,
            until TEXT,
            PRIMARY KEY (person_id, since))""",
    )

    @handles(Person.SignedUp)
    def signed_up(self, event: Any) -> Iterator[Statement]:
        at = timestamp(event.timestamp)
        person, org = str(event.originator_id), str(event.organisation_id)
        yield Statement(
            "INSERT INTO people (id, name, job_title, organisation_id, signed_up_at, updated_at)"
            " VALUES (:id, :name, :job_title, :org, :at, :at)",
            {"id": person, "name": event.name, "job_title": event.job_title, "org": org, "at": at},
        )
        yield Statement(
            "INSERT INTO people_memberships (person_id, organisation_id, since) VALUES (:id, :org, :at)",
            {"id": person, "org": org, "at": at},
        )

    @handles(Person.MovedOrganisation)
    def moved(self, event: Any) -> Iterator[Statement]:
        at = timestamp(event.timestamp)
        person, org = str(event.originator_id), str(event.organisation_id)
        yield Statement(
            "UPDATE people SET organisation_id = :org, updated_at = :at WHERE id = :id",
            {"id": person, "org": org, "at": at},
        )
        yield Statement(
            "UPDATE people_memberships SET until = :at WHERE person_id = :id AND until IS NULL",
            {"id": person, "at": at},
        )
        yield Statement(
            "INSERT INTO people_memberships (person_id, organisation_id, since) VALUES (:id, :org, :at)",
            {"id": person, "org": org, "at": at},
        )


# ------------------------------------------------------------------ queries
def get(db: Any, person_id: str) -> dict | None:
    rows = db.query("SELECT * FROM people WHERE id = :id", {"id": person_id})
    if not rows:
        return None
    person = dict(rows[0])
    person["memberships"] = db.query(
        "SELECT organisation_id, since, until FROM people_memberships WHERE person_id = :id ORDER BY since",
        {"id": person_id},
    )
    return person


def list_page(db: Any, *, organisation_id: str | None = None, after=None, limit: int = 50) -> list[dict]:
    """Oldest sign-up first; ``after`` is the (signed_up_at, id) of the previous page's last row."""
    where, params = [], {"limit": limit}
    if organisation_id is not None:
        where.append("organisation_id = :org")
        params["org"] = organisation_id
    if after is not None:
        where.append("(signed_up_at > :after_at OR (signed_up_at = :after_at AND id > :after_id))")
        params.update(after_at=after[0], after_id=after[1])
    sql = "SELECT * FROM people" + (" WHERE " + " AND ".join(where) if where else "")
    return db.query(sql + " ORDER BY signed_up_at, id LIMIT :limit", params)
