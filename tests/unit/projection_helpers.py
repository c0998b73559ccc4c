"""Event in, rows out: domain events made the way the application makes them (an
aggregate, its commands, ``collect_events()``), mapped by a projection and applied to
an in-memory SQLite read database, so a view's rows can be checked without PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.organisation import COUNCIL, Organisation
from domain.person import Person
from domain.project import Project
from projections.base import Projection
from projections.db import ReadDatabase, open_database

SEALED = "sealed:"


def seal(value: str | None) -> str | None:
    """What a personal field looks like in an event: not the plain text."""
    return None if value is None else SEALED + value


class View:
    """One or more projections over one in-memory database. ``apply`` takes aggregates
    (their pending events) or events; ``erase`` makes ``reveal`` give None for a person,
    as the key store does once their key is destroyed."""

    def __init__(self, *projections: Projection) -> None:
        self.projections = projections
        self.db: ReadDatabase = open_database("sqlite:///:memory:")
        self.erased: set[UUID] = set()
        with self.db.transaction() as tx:
            for projection in projections:
                for ddl in projection.ddl_for(self.db.dialect):
                    tx.execute(ddl)

    def reveal(self, person_id: Any, sealed: Any) -> str | None:
        if sealed is None or person_id in self.erased:
            return None
        assert sealed.startswith(SEALED), f"{sealed!r} was not sealed"
        return sealed[len(SEALED) :]

    def erase(self, person_id: UUID) -> None:
        self.erased.add(person_id)

    def apply(self, *sources: Aggregate | Any) -> list[Any]:
        """Apply each aggregate's pending events (or each event) in order; returns the events."""
        events = [e for source in sources for e in _events(source)]
        with self.db.transaction() as tx:
            for event in events:
                for projection in self.projections:
                    for statement in projection.statements(event, self.reveal):
                        tx.execute(statement.sql, statement.params)
        return events

    def rows(self, table: str, order_by: str = "rowid", **where: Any) -> list[dict[str, Any]]:
        condition = " AND ".join(f"{column} = :{column}" for column in where) or "1 = 1"
        return self.db.query(f"SELECT * FROM {table} WHERE {condition} ORDER BY {order_by}", where)

    def row(self, table: str, **where: Any) -> dict[str, Any]:
        found = self.rows(table, **where)
        assert len(found) == 1, f"expected one {table} row for {where}, found {found}"
        return found[0]

    def close(self) -> None:
        self.db.close()


def _events(source: Aggregate | Any) -> Iterable[Any]:
    return source.collect_events() if isinstance(source, Aggregate) else [source]


# ------------------------------------------------------------------ makers
def council(code: str = "WGN", name: str = "Wigan Metropolitan Borough Council", **register: Any) -> Organisation:
    entry = {"official_name": name, "short_name": name.split()[0], "nation": "England", "current": True, **register}
    return Organisation(kind=COUNCIL, name=name, code=code, register=entry)


def organisation(name: str = "Acme Ltd", kind: str = "supplier", registered_by: UUID | None = None) -> Organisation:
    return Organisation(kind=kind, name=name, registered_by=registered_by)


def person(org: Organisation, name: str = "Ann Example", job_title: str | None = "Service designer") -> Person:
    person_id = uuid4()
    return Person(
        id=person_id,
        name=seal(name),
        email=seal(f"{person_id.hex[:8]}@example.org"),
        job_title=seal(job_title),
        organisation_id=org.id,
        organisation_kind=org.kind,
    )


def project(proposer: Person, title: str = "Bulky waste", **details: Any) -> Project:
    assert proposer.organisation_id is not None
    return Project(
        organisation_id=proposer.organisation_id,
        proposer_id=proposer.id,
        phase="discovery",
        details={"title": title, "summary": "Book a collection", **details},
    )


def now() -> datetime:
    return datetime.now(UTC)


def later(days: float = 30) -> datetime:
    return now() + timedelta(days=days)


def pledge_of(money: str = "0", days: str = "0", *contributions: str, message: str | None = None) -> dict[str, Any]:
    return {"money": money, "days": days, "contributions": list(contributions), "message": message}


def pledge(project: Project, backer: Person, offer: dict[str, Any]) -> None:
    """Make or amend the pledge of the backer's organisation, as the pledge command does."""
    project.pledge_for(backer.organisation_id, backer.id, offer, now=now())


def withdraw(project: Project, backer: Person) -> None:
    project.withdraw_pledge(backer.organisation_id, backer.id, now=now())
