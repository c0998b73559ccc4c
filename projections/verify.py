"""Check a live view against the log: rebuild it into scratch tables (``verify_``) up to the
live view's position, compare every row of every table (as multisets, every column), and
say which rows differ. The scratch tables are dropped afterwards, whatever happens.

The comparison reads both sides in one transaction at one position: PostgreSQL takes one
snapshot (REPEATABLE READ); SQLite reads one snapshot too (``reading``: WAL, no write lock, so
writes go on while whole tables are compared). If the
live view moved on while the scratch copy was filled, the copy catches up and it tries again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from projections import beside, rebuilds, runner
from projections.base import Projection
from projections.db import ReadDatabase
from projections.eventlog import EventLog

TRIES = 5


class _Queries(Protocol):
    """What the comparison reads through: a transaction (PostgreSQL) or a read (SQLite)."""

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Difference:
    kind: str  # missing: the log makes it, the live view lacks it; extra: the reverse; changed: same key
    key: dict[str, Any]
    live: dict[str, Any] | None = None  # the columns that differ, as the live view has them
    rebuilt: dict[str, Any] | None = None  # ... and as the log makes them


@dataclass
class TableCheck:
    table: str
    rows: int  # in the rebuilt table
    differences: list[Difference] = field(default_factory=list)
    schema: str | None = None  # a column one side lacks


@dataclass
class Check:
    name: str
    position: int
    tables: list[TableCheck]

    @property
    def identical(self) -> bool:
        return all(not t.differences and not t.schema for t in self.tables)


def verify(
    app: EventLog, db: ReadDatabase, live: Projection, *, batch_size: int = 1000, advance: rebuilds.Advance
) -> Check:
    """Rebuild ``live`` into scratch tables up to its position and compare them with it."""
    copy, _ = rebuilds.open_copy(db, live, beside.VERIFY, resume=False)
    try:
        for _ in range(TRIES):
            target = runner.position(db, live.name)
            rebuilds.fill(app, db, copy, advance, batch_size=batch_size, until=target)
            check = _compare_if_level(app, db, live, copy)
            if check is not None:
                return check
        raise RuntimeError(f"{live.name} kept moving while it was checked: try again when it is quieter")
    finally:
        with db.transaction() as tx:
            beside.drop(tx, copy.tables_for(db.dialect))
            tx.execute("DELETE FROM projection_positions WHERE name = :name", {"name": copy.name})


def _compare_if_level(app: EventLog, db: ReadDatabase, live: Projection, copy: beside.Copy) -> Check | None:
    with _snapshot(db) as tx:
        rows = tx.query(
            "SELECT name, position FROM projection_positions WHERE name IN (:live, :copy)",
            {"live": live.name, "copy": copy.name},
        )
        at = {r["name"]: int(r["position"]) for r in rows}
        live_at, copy_at = at[live.name], at[copy.name]
        low, high = sorted((live_at, copy_at))
        if runner.pending(app, live, low, high):
            return None
        tables = [_compare(tx, db.dialect, t, copy.prefix + t) for t in live.tables_for(db.dialect)]
        return Check(live.name, live_at, tables)


@contextmanager
def _snapshot(db: ReadDatabase) -> Iterator[_Queries]:
    """One snapshot of every table: PostgreSQL's REPEATABLE READ, SQLite's read transaction
    (which takes no write lock: before, verify held it while whole tables were read into Python,
    and every write of the embedded server waited)."""
    if db.dialect != "postgres":
        with db.reading() as reader:
            yield reader
        return
    with db.transaction() as tx:
        tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield tx


def _compare(tx: _Queries, dialect: str, table: str, scratch: str) -> TableCheck:
    columns, key = _columns(tx, dialect, scratch)
    present = set(_columns(tx, dialect, table)[0])
    lacking = [c for c in columns if c not in present]
    if lacking:
        return TableCheck(table, 0, schema=f"the live table lacks column(s) {', '.join(lacking)}")
    select = ", ".join(columns)
    live_rows = Counter(tuple(r.values()) for r in tx.query(f"SELECT {select} FROM {table}"))
    rebuilt_rows = Counter(tuple(r.values()) for r in tx.query(f"SELECT {select} FROM {scratch}"))
    check = TableCheck(table, sum(rebuilt_rows.values()))
    check.differences = _differences(columns, key or columns, live_rows - rebuilt_rows, rebuilt_rows - live_rows)
    return check


def _differences(columns: list[str], key: list[str], extra: Counter, missing: Counter) -> list[Difference]:
    where = [columns.index(k) for k in key]

    def key_of(row: tuple) -> tuple:
        return tuple(row[i] for i in where)

    extra_by_key = {key_of(row): row for row in extra.elements()}
    found = []
    for row in sorted(missing.elements(), key=repr):
        k = key_of(row)
        old = extra_by_key.pop(k, None)
        if old is None:
            found.append(Difference("missing", dict(zip(key, k, strict=True))))
            continue
        changed = [i for i, (a, b) in enumerate(zip(old, row, strict=True)) if a != b]
        found.append(
            Difference(
                "changed",
                dict(zip(key, k, strict=True)),
                {columns[i]: old[i] for i in changed},
                {columns[i]: row[i] for i in changed},
            )
        )
    for k in sorted(extra_by_key, key=repr):
        found.append(Difference("extra", dict(zip(key, k, strict=True))))
    return found


def _columns(tx: _Queries, dialect: str, table: str) -> tuple[list[str], list[str]]:
    """A table's columns in order, and its primary key's (empty if it has none)."""
    if dialect == "postgres":
        columns = tx.query(
            "SELECT column_name AS name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = :t ORDER BY ordinal_position",
            {"t": table},
        )
        key = tx.query(
            "SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a"
            " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = to_regclass(:t) AND i.indisprimary"
            " ORDER BY array_position(i.indkey::int2[], a.attnum)",
            {"t": table},
        )
        return [c["name"] for c in columns], [k["name"] for k in key]
    info = tx.query(f"PRAGMA table_info({table})")
    key_columns = sorted((r for r in info if r["pk"]), key=lambda r: r["pk"])
    return [r["name"] for r in info], [r["name"] for r in key_columns]


def report(check: Check, limit: int = 20) -> list[str]:
    """What an operator reads: each table's differences, at most ``limit`` each."""
    lines = []
    for table in check.tables:
        if table.schema:
            lines.append(f"{check.name}: {table.table}: {table.schema}")
        for d in table.differences[:limit]:
            key = ", ".join(f"{k}={v!r}" for k, v in d.key.items())
            what = {"missing": "missing from the live view", "extra": "in the live view only"}.get(d.kind)
            if what is None:
                cols = "; ".join(
                    f"{c}: live {(d.live or {})[c]!r}, rebuilt {v!r}" for c, v in (d.rebuilt or {}).items()
                )
                what = f"changed ({cols})"
            lines.append(f"{check.name}: {table.table} [{key}] {what}")
        if len(table.differences) > limit:
            lines.append(f"{check.name}: {table.table}: ... and {len(table.differences) - limit} more")
    return lines
