"""Reading a database of the original Pipeline (October 2014 schema) into plain rows.

The file is opened read-only and never changed. It holds people's names and email
addresses: nothing here prints or logs a row."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workers.history.legacy import check as C
from workers.history.legacy.check import MAX_LISTED

TABLES = {
    "pipeline_orgs": ("id", "orgname"),
    "roadkill_users": ("id", "username", "email", "firstname", "lastname", "orgid", "isactivated", "createdon"),
    "roadkill_pages": ("id", "title", "tags", "createdby", "createdon", "projectlanguage", "projectstatus", "orgid"),
    "roadkill_pagecontent": (
        "pageid", "versionnumber", "editedby", "editedon", "text", "projectstart", "projectend",
        "projectestimatedtime", "projectlanguage", "projectstatus",
    ),
    "pipeline_relationship": ("id", "username", "pageid", "reltypeid", "reltext", "reldatetime", "orgid"),
    "pipeline_relationship_types": ("id", "reltypetext"),
}  # fmt: skip
# Added to the schema during 2014 (earlier files lack them): read as NULL, said in a note.
LATER_COLUMNS = {("roadkill_users", "createdon"), ("roadkill_users", "orgid"), ("roadkill_pages", "orgid"),
                 ("pipeline_relationship", "orgid")}  # fmt: skip
LATER_TABLES = {"pipeline_orgs", "pipeline_relationship", "pipeline_relationship_types"}


class NotALegacyFile(Exception):
    """The file is not a database of the original Pipeline (or cannot be read)."""


@dataclass
class LegacyData:
    orgs: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    versions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # page id -> versions, in number order
    relationships: list[dict[str, Any]] = field(default_factory=list)
    relationship_types: dict[int, str] = field(default_factory=dict)  # id -> "like" | "join"
    version_rows: list[dict[str, Any]] = field(default_factory=list)  # as read, before ``check``
    unplaced: list[str] = field(default_factory=list)  # rows left out by ``check``, with their reason
    notes: list[str] = field(default_factory=list)
    missing: set[tuple[str, str]] = field(default_factory=set)  # (table, column or "*") the file has not yet
    taken_at: datetime | None = None  # the file's latest time: when it was taken, or just before

    @property
    def facts(self) -> int:
        """How many rows the import will go through (for its progress report)."""
        versions = sum(len(v) for v in self.versions.values())
        return len(self.orgs) + len(self.users) + len(self.pages) + versions + len(self.relationships)


def read(path: str | Path, now: datetime | None = None, taken_at: datetime | None = None) -> LegacyData:
    """Every row that matters, each value read and checked (``check``), or
    ``NotALegacyFile`` saying what is wrong with the file. ``now``: the wall clock;
    ``taken_at``: when the file was copied, if known (else its latest time)."""
    if not Path(path).is_file():
        raise NotALegacyFile(f"No such file: {path}")
    try:
        connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise NotALegacyFile(f"{path} cannot be opened as SQLite: {error}") from None
    connection.row_factory = sqlite3.Row
    try:
        missing = _check_schema(connection, path)
        data = _rows(connection, missing)
    except sqlite3.DatabaseError as error:
        raise NotALegacyFile(f"{path} is not a readable SQLite database: {error}") from None
    finally:
        connection.close()
    problems = check(data, now or datetime.now(UTC), taken_at)
    if problems:
        listed = problems[:MAX_LISTED] + ([f"... and {len(problems) - MAX_LISTED} more"] * (len(problems) > MAX_LISTED))
        raise NotALegacyFile(
            f"{path} is refused, nothing written: {len(problems)} value(s) cannot be read as the 2014 schema's"
            " (nothing is guessed; correct them in a copy of the file and run again):\n  " + "\n  ".join(listed)
        )
    return data


def _check_schema(connection: sqlite3.Connection, path: str | Path) -> set[tuple[str, str]]:
    """The tables and columns the file has not yet (of those added during 2014); refuses a
    file without one the original always had."""
    missing: set[tuple[str, str]] = set()
    for table, columns in TABLES.items():
        have = {row["name"].casefold() for row in connection.execute(f"PRAGMA table_info([{table}])")}
        if not have and table in LATER_TABLES:
            missing.add((table, "*"))
            continue
        if not have:
            raise NotALegacyFile(f"{path} is not a 2014 Pipeline database: it has no table {table}.")
        lacking = [c for c in columns if c not in have and (table, c) not in LATER_COLUMNS]
        if lacking:
            raise NotALegacyFile(f"{path}: table {table} lacks the column(s) {', '.join(lacking)}.")
        missing |= {(table, c) for c in columns if c not in have}
    return missing


def _select(connection: sqlite3.Connection, table: str, order: str, missing: set) -> list[dict[str, Any]]:
    if (table, "*") in missing:
        return []
    columns = ", ".join(f"NULL AS [{c}]" if (table, c) in missing else f"[{c}]" for c in TABLES[table])
    return [dict(row) for row in connection.execute(f"SELECT {columns} FROM [{table}] ORDER BY {order}")]


def _rows(connection: sqlite3.Connection, missing: set[tuple[str, str]]) -> LegacyData:
    return LegacyData(
        orgs=_select(connection, "pipeline_orgs", "id", missing),
        users=_select(connection, "roadkill_users", "id", missing),
        pages=_select(connection, "roadkill_pages", "id", missing),
        relationships=_select(connection, "pipeline_relationship", "id", missing),
        version_rows=_select(connection, "roadkill_pagecontent", "pageid, versionnumber", missing),
        relationship_types={
            int(kind["id"]): str(kind["reltypetext"] or "").strip().casefold()
            for kind in _select(connection, "pipeline_relationship_types", "id", missing)
            if isinstance(kind["id"], int)  # an INTEGER PRIMARY KEY: always
        },
        missing=missing,
        notes=[
            f"This file has no {table}{'' if column == '*' else '.' + column} (the schema grew during 2014):"
            " read as unknown, nothing refused for it"
            for table, column in sorted(missing)
        ],
    )


def check(data: LegacyData, now: datetime, taken_at: datetime | None = None) -> list[str]:
    """Reads every value the import uses (in place); returns those that cannot be read.
    When there are none, leaves out (listing them in ``data.unplaced``) the rows that
    cannot be history, and groups the versions by page, in number order."""
    note = C.offsets_note(
        [(data.users, "createdon"), (data.pages, "createdon"), (data.version_rows, "editedon"),
         (data.relationships, "reldatetime")]
    )  # fmt: skip
    problems = C.read_values("pipeline_orgs", data.orgs, lambda r: str(r["id"]))
    problems += C.read_values("roadkill_users", data.users, lambda r: str(r["id"]))
    problems += C.read_values("roadkill_pages", data.pages, lambda r: str(r["id"]))
    problems += C.read_values(
        "roadkill_pagecontent", data.version_rows, lambda r: f"page {r['pageid']!r} version {r['versionnumber']!r}"
    )
    problems += C.read_values("pipeline_relationship", data.relationships, lambda r: str(r["id"]))
    problems += C.duplicate_versions(data.version_rows) if not problems else []
    data.taken_at = C.latest_time(data, now) if not problems else None
    problems += C.taken_at_problem(taken_at, data.taken_at, now) if not problems else []
    if problems:
        return problems
    data.notes += [note] if note else []
    data.taken_at = taken_at or data.taken_at
    if ("roadkill_users", "createdon") in data.missing:
        data.notes.append(C.bound_sign_ups(data))
    data.users.sort(key=lambda u: (u["createdon"] is None, u["createdon"] or now, u["id"] or ""))
    data.users = _placeable_users(data, now)
    for version in sorted(data.version_rows, key=lambda v: (v["pageid"], v["versionnumber"])):
        data.versions.setdefault(version["pageid"], []).append(version)
    data.pages = [page for page in data.pages if _placeable_page(data, page, now)]
    data.relationships = [r for r in data.relationships if _placeable(data, f"relationship {r['id']}", r, now)]
    return []


def _placeable_users(data: LegacyData, now: datetime) -> list[dict[str, Any]]:
    shared = C.shared_usernames(data.users)
    placed = []
    for user in data.users:
        username = (user["username"] or "").strip().casefold()
        why = "no username" if not username else "its username is another user's too" if username in shared else None
        if why:
            data.unplaced.append(f"user {user['id']}: {why}")
        elif _placeable(data, f"user {user['id']}", user, now):
            placed.append(user)
    return placed


def _placeable(data: LegacyData, what: str, row: dict[str, Any], now: datetime) -> bool:
    column = next(c for c in ("createdon", "reldatetime") if c in row)
    why = C.not_history(row[column], column, now)
    if why:
        data.unplaced.append(f"{what}: {why}")
    return why is None


def _placeable_page(data: LegacyData, page: dict[str, Any], now: datetime) -> bool:
    if not _placeable(data, f"page {page['id']}", page, now):
        return False
    for version in data.versions.get(page["id"], []):
        why = C.not_history(version["editedon"], "editedon", now)
        if why:
            data.unplaced.append(f"page {page['id']}: its version {version['versionnumber']}: {why}")
            return False
    return True
