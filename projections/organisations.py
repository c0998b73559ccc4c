"""Organisations directory: every organisation with its register details and members."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from domain.organisation import Organisation
from domain.person import Person
from projections.base import Projection, Reveal, Statement, handles, reads, timestamp
from projections.context import FollowerContext
from projections.db import Reader
from projections.signups import migrated

COLUMNS = {  # register field -> column
    "official_name": "name",
    "short_name": "short_name",
    "alt_names": "alt_names",
    "gss_code": "gss_code",
    "type_code": "type_code",
    "type_name": "type_name",
    "nation": "nation",
    "region": "region",
    "start_date": "start_date",
    "end_date": "end_date",
    "replaced_by": "replaced_by",
    "current": "current",
}


def _value(field: str, value: Any) -> Any:
    return json.dumps(value or [], ensure_ascii=False) if field == "alt_names" else value


MEMBERS = """UPDATE organisations SET
     member_count = member_count + :delta,
     first_signup_at = COALESCE(first_signup_at, :first),
     latest_signup_at = CASE WHEN latest_signup_at IS NULL OR latest_signup_at < :latest
                             THEN :latest ELSE latest_signup_at END
   WHERE id = :id"""  # :first and :latest are None for a move, a removal or a sign-up of unknown time


def _member_delta(organisation_id: Any, delta: int, at: str | None = None) -> Statement:
    return Statement(MEMBERS, {"id": str(organisation_id), "delta": delta, "first": at, "latest": at})


def _merged(a: Statement, b: Statement) -> Statement:
    """Two member changes of one organisation as one: counts add up, the first sign-up time
    stays the earlier statement's (it is kept once set), the latest is the later of the two."""
    first = a.params["first"] if a.params["first"] is not None else b.params["first"]
    latest = max((t for t in (a.params["latest"], b.params["latest"]) if t is not None), default=None)
    delta = a.params["delta"] + b.params["delta"]
    return Statement(MEMBERS, {"id": a.params["id"], "delta": delta, "first": first, "latest": latest})


def members_merged(statements: list[Statement]) -> list[Statement]:
    """A batch's member changes of each organisation as one statement, placed where its last one
    was: a big council's row changes once per batch, not once per sign-up. Any other statement on
    that organisation's row closes the merge, so the order on each row is the log's."""
    out: list[Statement | None] = []
    open_at: dict[Any, int] = {}  # organisation id -> index in ``out`` of its merged statement
    for statement in statements:
        key = statement.params.get("id")
        if statement.sql != MEMBERS:
            open_at.pop(key, None)
            out.append(statement)
            continue
        at = open_at.get(key)
        if at is not None:
            previous = out[at]
            out[at] = None
            statement = _merged(previous, statement) if previous is not None else statement
        open_at[key] = len(out)
        out.append(statement)
    return [s for s in out if s is not None]


class OrganisationsProjection(Projection):
    name = "organisations"
    version = 3
    indexes_after_fill = True  # its statements find rows by primary key only
    tables = ("organisation_domains", "organisations")
    ddl = (
        """CREATE TABLE IF NOT EXISTS organisations (
            id TEXT PRIMARY KEY,
            code TEXT UNIQUE,
            name TEXT NOT NULL,
            short_name TEXT,
            sort_name TEXT NOT NULL,
            kind TEXT NOT NULL,
            type_code TEXT, type_name TEXT, nation TEXT, region TEXT, gss_code TEXT,
            start_date TEXT, end_date TEXT, replaced_by TEXT,
            current BOOLEAN NOT NULL,
            alt_names TEXT NOT NULL,
            website TEXT,
            description TEXT,
            member_count INTEGER NOT NULL DEFAULT 0,
            first_signup_at TEXT,
            latest_signup_at TEXT,
            registered_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS organisations_by_sort_name ON organisations (sort_name, id)",
        # The project list's region filter starts from the organisations in a region (at 1M events
        # it scanned the whole table). An index only: `pipeline init` adds it to existing tables.
        "CREATE INDEX IF NOT EXISTS organisations_by_region ON organisations (region)",
        """CREATE TABLE IF NOT EXISTS organisation_domains (
            organisation_id TEXT NOT NULL,
            domain TEXT NOT NULL,
            source TEXT,
            added_at TEXT NOT NULL,
            PRIMARY KEY (organisation_id, domain))""",
    )

    @handles(Organisation.Registered)
    def registered(self, event: Organisation.Registered, reveal: Reveal) -> Iterator[Statement]:
        register = dict(event.register or {})
        row = {column: _value(field, register.get(field)) for field, column in COLUMNS.items()}
        row.update(
            id=str(event.originator_id),
            code=event.code,
            name=event.name,
            sort_name=(register.get("short_name") or event.name).casefold(),
            kind=event.kind,
            current=bool(register.get("current", True)),
            registered_at=timestamp(event.timestamp),
        )
        columns = ", ".join(row)
        values = ", ".join(f":{c}" for c in row)
        yield Statement(f"INSERT INTO organisations ({columns}) VALUES ({values})", row)

    @handles(Organisation.RegisterEntryAmended)
    def amended(self, event: Organisation.RegisterEntryAmended, reveal: Reveal) -> Iterator[Statement]:
        changes = {COLUMNS[f]: _value(f, v) for f, v in event.changes.items() if f in COLUMNS}
        if "short_name" in event.changes:
            changes["sort_name"] = (event.changes["short_name"] or "").casefold()
        if changes:
            assignments = ", ".join(f"{column} = :{column}" for column in changes)
            yield Statement(
                f"UPDATE organisations SET {assignments} WHERE id = :id",
                {**changes, "id": str(event.originator_id)},
            )

    def batch(self, events: list[Any], reveal: Reveal, context: FollowerContext | None) -> list[Statement]:
        return members_merged(super().batch(events, reveal, context))

    @handles(Person.SignedUp)
    def signed_up(self, event: Person.SignedUp, reveal: Reveal) -> Iterator[Statement]:
        # a migrated member's time is a migration stamp: no sign-up time known
        yield _member_delta(event.organisation_id, +1, None if migrated(event) else timestamp(event.timestamp))

    @handles(Person.MovedOrganisation)
    def moved(self, event: Person.MovedOrganisation, reveal: Reveal) -> Iterator[Statement]:
        if event.from_organisation_id is not None:
            yield _member_delta(event.from_organisation_id, -1)
        yield _member_delta(event.organisation_id, +1)

    @handles(Person.RemovedFromOrganisation)
    def removed(self, event: Person.RemovedFromOrganisation, reveal: Reveal) -> Iterator[Statement]:
        yield _member_delta(event.organisation_id, -1)

    @handles(Organisation.DetailsChanged)
    def details_changed(self, event: Organisation.DetailsChanged, reveal: Reveal) -> Iterator[Statement]:
        changes = {k: v for k, v in event.changes.items() if k in ("name", "website", "description")}
        if "name" in changes:
            changes["sort_name"] = changes["name"].casefold()
        if changes:
            assignments = ", ".join(f"{column} = :{column}" for column in changes)
            yield Statement(
                f"UPDATE organisations SET {assignments} WHERE id = :id", {**changes, "id": str(event.originator_id)}
            )

    @handles(Organisation.DomainAdded)
    def domain_added(self, event: Organisation.DomainAdded, reveal: Reveal) -> Iterator[Statement]:
        yield Statement(
            "INSERT INTO organisation_domains (organisation_id, domain, source, added_at)"
            " VALUES (:id, :domain, :source, :at) ON CONFLICT (organisation_id, domain) DO NOTHING",
            {
                "id": str(event.originator_id),
                "domain": event.domain,
                "source": event.source,
                "at": timestamp(event.timestamp),
            },
        )

    @handles(Organisation.DomainRemoved)
    def domain_removed(self, event: Organisation.DomainRemoved, reveal: Reveal) -> Iterator[Statement]:
        yield Statement(
            "DELETE FROM organisation_domains WHERE organisation_id = :id AND domain = :domain",
            {"id": str(event.originator_id), "domain": event.domain},
        )


# ------------------------------------------------------------------ queries
SELECT = "SELECT * FROM organisations"
# The directory's rows also count each organisation's live projects (read from the projects view).
COUNTED = (
    "SELECT organisations.*, (SELECT COUNT(*) FROM projects p WHERE p.organisation_id = organisations.id"
    " AND p.archived = FALSE) AS project_count FROM organisations"
)


def _row(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["alt_names"] = json.loads(row["alt_names"] or "[]")
    row["current"] = bool(row["current"])
    return row


def _filters(
    kind: str | None,
    current: bool | None,
    has_members: bool | None,
    nation: str | None = None,
    region: str | None = None,
) -> tuple[list[str], dict]:
    where: list[str] = []
    params: dict[str, Any] = {}
    for column, value in (("kind", kind), ("nation", nation), ("region", region)):
        if value is not None:
            where.append(f"{column} = :{column}")
            params[column] = value
    if current is not None:
        where.append("current = :current")
        params["current"] = current
    if has_members is not None:
        where.append("member_count > 0" if has_members else "member_count = 0")
    return where, params


@reads("organisations", "projects")
def list_page(
    db: Reader, *, kind=None, current=None, has_members=None, nation=None, region=None, after=None, limit=50
) -> list[dict]:
    """Alphabetical by short name; ``after`` is the (sort_name, id) of the previous page's last row."""
    where, params = _filters(kind, current, has_members, nation, region)
    if after is not None:
        where.append("(sort_name > :after_name OR (sort_name = :after_name AND id > :after_id))")
        params.update(after_name=after[0], after_id=after[1])
    sql = COUNTED + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY sort_name, id LIMIT :limit"
    return [_row(r) for r in db.query(sql, {**params, "limit": limit})]


@reads("organisations", "projects")
def filtered(
    db: Reader, ids: list[str], *, kind=None, current=None, has_members=None, nation=None, region=None
) -> dict[str, dict]:
    """The rows among ``ids`` that pass the filters, by id."""
    if not ids:
        return {}
    where, params = _filters(kind, current, has_members, nation, region)
    marks = ", ".join(f":id{i}" for i in range(len(ids)))
    where.append(f"id IN ({marks})")
    params.update({f"id{i}": value for i, value in enumerate(ids)})
    return {r["id"]: _row(r) for r in db.query(COUNTED + " WHERE " + " AND ".join(where), params)}


@reads("organisations")
def get_by_id(db: Reader, organisation_id: str) -> dict | None:
    rows = db.query(SELECT + " WHERE id = :id", {"id": organisation_id})
    return _with_domains(db, _row(rows[0])) if rows else None


@reads("organisations")
def get_by_code(db: Reader, code: str) -> dict | None:
    rows = db.query(SELECT + " WHERE code = :code", {"code": code.upper()})
    return _with_domains(db, _row(rows[0])) if rows else None


def _with_domains(db: Reader, row: dict[str, Any]) -> dict[str, Any]:
    found = db.query(
        "SELECT domain FROM organisation_domains WHERE organisation_id = :id ORDER BY domain", {"id": row["id"]}
    )
    row["domains"] = [r["domain"] for r in found]
    return row


@reads("organisations")
def all_names(db: Reader) -> list[tuple[str, list[str], bool]]:
    """(id, names, current) for every organisation: what the search matcher is built from."""
    rows = db.query("SELECT id, name, short_name, alt_names, current FROM organisations ORDER BY id")
    return [
        (
            r["id"],
            [n for n in (r["name"], r["short_name"], *json.loads(r["alt_names"] or "[]")) if n],
            bool(r["current"]),
        )
        for r in rows
    ]


@reads("organisations")
def summaries(db: Reader, ids: set[str]) -> dict[str, dict]:
    """id -> {id, code, name, kind} for embedding in other resources."""
    if not ids:
        return {}
    ordered = sorted(ids)
    marks = ", ".join(f":id{i}" for i in range(len(ordered)))
    rows = db.query(
        f"SELECT id, code, name, kind, current FROM organisations WHERE id IN ({marks})",
        {f"id{i}": value for i, value in enumerate(ordered)},
    )
    return {r["id"]: {**r, "current": bool(r["current"])} for r in rows}
