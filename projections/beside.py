"""A view's tables under other names, beside the live ones: where a rebuild (``rebuild_``)
or a verify (``verify_``) builds its copy while readers keep using the live tables, and how
a finished copy takes the live names in one transaction.

Both databases rename tables in a transaction, so renaming is the portable switch (SQLite
has no schemas). The copy's SQL is the view's own, with every name the view creates (tables,
indexes, triggers, SQLite's FTS5 table) given a prefix; a batch maps events exactly as it
does for the live view and only the names differ. Index and trigger names are global, so
the switch moves them too: PostgreSQL renames indexes (cheap, catalog only); SQLite cannot,
so it drops the copy's and makes them under the live names (readers are not blocked by that
in WAL mode, writers wait for it)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from projections.base import Projection, Reveal, Statement
from projections.context import FollowerContext
from projections.db import Transaction

REBUILD = "rebuild_"
VERIFY = "verify_"
RETIRED = "retired_"

_CREATED = re.compile(
    r"CREATE\s+(?:UNIQUE\s+)?(?:VIRTUAL\s+)?(?:TABLE|INDEX|TRIGGER)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE
)
_PLAIN_INDEX = re.compile(r"\s*CREATE\s+INDEX\s+IF\s+NOT\s+EXISTS\s", re.IGNORECASE)  # not UNIQUE: no constraint
_GIN = re.compile(r"\bUSING\s+GIN\b", re.IGNORECASE)
_LITERAL = re.compile(r"('(?:[^']|'')*')")  # string literals keep their text


def created_names(projection: Projection) -> set[str]:
    """Every name the view's DDL creates in either database, and its tables."""
    names: set[str] = set()
    for dialect in ("sqlite", "postgres"):
        names |= set(projection.tables_for(dialect))
        names |= {m.group(1) for sql in projection.ddl_for(dialect) for m in _CREATED.finditer(sql)}
    return names


class Renamer:
    """Rewrites SQL so each of ``names`` reads ``prefix + name`` (not inside string literals,
    not a ``:parameter``, not a column after a dot)."""

    def __init__(self, names: Iterable[str], prefix: str) -> None:
        alternatives = "|".join(sorted(names, key=len, reverse=True))
        self.pattern = re.compile(rf"(?<![\w:.])({alternatives})\b")
        self.prefix = prefix
        self._done: dict[str, str] = {}

    def __call__(self, sql: str) -> str:
        done = self._done.get(sql)
        if done is None:
            parts = _LITERAL.split(sql)
            done = "".join(
                part if i % 2 else self.pattern.sub(lambda m: self.prefix + m.group(1), part)
                for i, part in enumerate(parts)
            )
            self._done[sql] = done
        return done


class Copy(Projection):
    """The live view's mapping, written into the prefixed tables; tracked under its own name."""

    live: ClassVar[Projection]
    prefix: ClassVar[str]
    rename: ClassVar[Renamer]

    @classmethod
    def topics(cls) -> tuple[str, ...]:
        return cls.live.topics()

    def batch(self, events: list[Any], reveal: Reveal, context: FollowerContext | None) -> list[Statement]:
        return [Statement(self.rename(s.sql), s.params) for s in self.live.batch(events, reveal, context)]

    def ddl_for(self, dialect: str) -> tuple[str, ...]:
        """What makes the copy: the view's DDL, less the indexes it may build after the fill."""
        return tuple(self.rename(sql) for sql in self.live.ddl_for(dialect) if not self._later(sql))

    def indexes_for(self, dialect: str) -> tuple[str, ...]:
        """The indexes left out of ``ddl_for``, to build once the copy is full (``IF NOT EXISTS``)."""
        return tuple(self.rename(sql) for sql in self.live.ddl_for(dialect) if self._later(sql))

    def _later(self, sql: str) -> bool:
        if not _PLAIN_INDEX.match(sql):
            return False
        # A text-search (GIN) index serves searches only, never a statement's lookup of a row.
        return self.live.indexes_after_fill or bool(_GIN.search(sql))

    def tables_for(self, dialect: str) -> tuple[str, ...]:
        return tuple(self.prefix + table for table in self.live.tables_for(dialect))


def beside(live: Projection, prefix: str) -> Copy:
    """A projection building ``live``'s tables under ``prefix``, its position row named
    ``<name>~<kind>`` (``projects~rebuild``)."""
    attributes = {
        "name": f"{live.name}~{prefix.rstrip('_')}",
        "version": live.version,
        "tables": tuple(prefix + t for t in live.tables),
        "ddl": (),
        "live": live,
        "prefix": prefix,
        "rename": Renamer(created_names(live), prefix),
    }
    return type(f"Beside_{prefix}{live.name}", (Copy,), attributes)()


def lock_position(tx: Transaction, dialect: str, name: str) -> int | None:
    """A position row, locked until the transaction ends (SQLite's BEGIN IMMEDIATE already
    holds the whole database); None if there is none. Callers lock the live row before the
    copy's, and rows before tables, like ``runner.commit_batch``: no deadlock."""
    lock = " FOR UPDATE" if dialect == "postgres" else ""
    rows = tx.query(f"SELECT position FROM projection_positions WHERE name = :name{lock}", {"name": name})
    return int(rows[0]["position"]) if rows else None


def bound_lock_waits(tx: Transaction, dialect: str, seconds: float) -> None:
    """PostgreSQL: give up (``LockNotAvailable``) rather than wait longer than ``seconds`` for a
    table lock. The switch needs each table to itself for a moment, and readers arriving meanwhile
    queue behind it: a long query in the way must cost one retry, not a pause for every reader."""
    if dialect == "postgres":
        tx.execute(f"SET LOCAL lock_timeout = '{int(seconds * 1000)}ms'")


def lock_timed_out(error: BaseException) -> bool:
    return type(error).__name__ == "LockNotAvailable"  # psycopg.errors.LockNotAvailable; SQLite has none


def exists(tx: Transaction, dialect: str, table: str) -> bool:
    if dialect == "postgres":
        return bool(tx.query("SELECT to_regclass(:t) IS NOT NULL AS present", {"t": table})[0]["present"])
    return bool(tx.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :t", {"t": table}))


def _attached(tx: Transaction, dialect: str, table: str) -> list[tuple[str, str]]:
    """(kind, name) of the indexes (and SQLite triggers) made on ``table`` by DDL."""
    if dialect == "postgres":
        sql = "SELECT 'index' AS type, indexname AS name FROM pg_indexes WHERE schemaname = current_schema()"
        return [(r["type"], r["name"]) for r in tx.query(sql + " AND tablename = :t", {"t": table})]
    sql = (
        "SELECT type, name FROM sqlite_master WHERE tbl_name = :t AND type IN ('index', 'trigger') AND sql IS NOT NULL"
    )
    return [(r["type"], r["name"]) for r in tx.query(sql, {"t": table})]


def lock_live(tx: Transaction, dialect: str, live: Projection) -> None:
    """PostgreSQL: take the live tables for the switch in the order reads take them, the
    view's main table (named like the view) first. A read that began before holds the main
    table and may want another next: locked first, the switch simply waits for it to finish,
    and reads starting later queue on the main table holding nothing. In the tables' own
    order the switch held, say, ``project_tags`` while such a read held ``projects`` and wanted
    ``project_tags``: a cycle only the lock timeout broke, and under load every retry met one."""
    if dialect != "postgres":
        return  # SQLite's BEGIN IMMEDIATE already holds the whole database
    present = [t for t in live.tables_for(dialect) if exists(tx, dialect, t)]
    ordered = sorted(present, key=lambda table: table != live.name)  # stable: the rest keep their order
    if ordered:
        tx.execute(f"LOCK TABLE {', '.join(ordered)} IN ACCESS EXCLUSIVE MODE")  # our constants


def retire(tx: Transaction, dialect: str, live: Projection) -> list[str]:
    """Move the live tables out of the way (``retired_`` names), with their indexes; returns
    the retired tables, to drop once the switch has committed."""
    retired = []
    for table in live.tables_for(dialect):
        if not exists(tx, dialect, table):
            continue  # a new version may add tables the old one did not have
        for kind, name in _attached(tx, dialect, table):
            if dialect == "postgres":
                tx.execute(f"ALTER INDEX {name} RENAME TO {RETIRED}{name}")
            else:
                tx.execute(f"DROP {kind.upper()} {name}")
        tx.execute(f"ALTER TABLE {table} RENAME TO {RETIRED}{table}")
        retired.append(RETIRED + table)
    return retired


def promote(tx: Transaction, dialect: str, live: Projection, prefix: str) -> None:
    """Give the copy's tables (and indexes, triggers) the live names."""
    for table in live.tables_for(dialect):
        tx.execute(f"ALTER TABLE {prefix}{table} RENAME TO {table}")
        for kind, name in _attached(tx, dialect, table):
            if dialect == "postgres" and name.startswith(prefix):
                tx.execute(f"ALTER INDEX {name} RENAME TO {name[len(prefix) :]}")
            elif dialect != "postgres":
                tx.execute(f"DROP {kind.upper()} {name}")
    if dialect != "postgres":
        for sql in live.ddl_for(dialect):  # the tables exist: this makes the indexes and triggers
            tx.execute(sql)


def drop(tx: Transaction, tables: Iterable[str]) -> None:
    for table in tables:
        tx.execute(f"DROP TABLE IF EXISTS {table}")  # names are our constants with our prefixes
