"""Reading a database of the original Pipeline (October 2014 schema) into plain rows.

The file is opened read-only and never changed. It holds people's names and email
addresses: nothing here prints or logs a row."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

    @property
    def facts(self) -> int:
        """How many rows the import will go through (for its progress report)."""
        versions = sum(len(v) for v in self.versions.values())
        return len(self.orgs) + len(self.users) + len(self.pages) + versions + len(self.relationships)


def read(path: str | Path) -> LegacyData:
    """Every row that matters, or ``NotALegacyFile`` saying what is wrong with the file."""
    if not Path(path).is_file():
        raise NotALegacyFile(f"No such file: {path}")
    try:
        connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise NotALegacyFile(f"{path} cannot be opened as SQLite: {error}") from None
    connection.row_factory = sqlite3.Row
    try:
        _check_schema(connection, path)
        return _rows(connection)
    except sqlite3.DatabaseError as error:
        raise NotALegacyFile(f"{path} is not a readable SQLite database: {error}") from None
    finally:
        connection.close()


def _check_schema(connection: sqlite3.Connection, path: str | Path) -> None:
    for table, columns in TABLES.items():
        have = {row["name"].casefold() for row in connection.execute(f"PRAGMA table_info([{table}])")}
        if not have:
            raise NotALegacyFile(f"{path} is not a 2014 Pipeline database: it has no table {table}.")
        missing = [c for c in columns if c not in have]
        if missing:
            raise NotALegacyFile(f"{path}: table {table} lacks the column(s) {', '.join(missing)}.")


def _select(connection: sqlite3.Connection, table: str, order: str) -> list[dict[str, Any]]:
    columns = ", ".join(f"[{c}]" for c in TABLES[table])
    return [dict(row) for row in connection.execute(f"SELECT {columns} FROM [{table}] ORDER BY {order}")]


def _rows(connection: sqlite3.Connection) -> LegacyData:
    data = LegacyData(
        orgs=_select(connection, "pipeline_orgs", "id"),
        users=_select(connection, "roadkill_users", "createdon, id"),
        pages=_select(connection, "roadkill_pages", "id"),
        relationships=_select(connection, "pipeline_relationship", "id"),
    )
    for version in _select(connection, "roadkill_pagecontent", "pageid, versionnumber"):
        data.versions.setdefault(int(version["pageid"]), []).append(version)
    for kind in _select(connection, "pipeline_relationship_types", "id"):
        data.relationship_types[int(kind["id"])] = str(kind["reltypetext"] or "").strip().casefold()
    return data
