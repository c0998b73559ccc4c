"""Writing a batch of a view's statements in fewer, bigger pieces: a rebuild's batch into its
copy, and a worker's batch into the live view. A batch commits in one transaction with its new
position, so a reader sees all of it or none of it, whatever order it went in.

- Statements on different tables commute when each touches one table and no trigger or foreign
  key links tables: they are grouped by table (in the order each table first appears), keeping
  their order within a table. Consecutive statements with the same SQL then form long runs.
- A view whose every statement finds its rows by one key (a person's id, a project's id) says
  so with a ``row_of(statement)`` method: statements on different keys, or on different tables,
  commute even when one names two tables or when a table's statements alternate, so the batch
  is put in levels (``by_row``), each key's statements on a table in their order, and each level
  sent SQL by SQL.
- A run of plain inserts (``INSERT INTO t (a, b) VALUES (:a, 'x')``: parameters and text literals
  only) goes in by ``COPY`` on PostgreSQL (an append, as the inserts would be) and by one
  ``executemany`` on SQLite. Other runs go as ``executemany`` in one pipeline.

The statements themselves are the view's own, so the rows end as the view's mapping makes them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from projections.base import Projection, Statement
from projections.db import Transaction

COPY_FROM = 20  # a shorter run of inserts is not worth leaving the pipeline for

_PLAIN_INSERT = re.compile(r"\s*INSERT\s+INTO\s+(\w+)\s*\(([\w\s,]+)\)\s*VALUES\s*\(([^()]*)\)\s*", re.IGNORECASE)
_VALUE = re.compile(r"\s*(?::(\w+)|'((?:[^']|'')*)')\s*")
_LINKED = re.compile(r"\b(?:TRIGGER|REFERENCES)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Insert:
    """A plain insert: its table, columns, and how each value comes from the parameters."""

    table: str
    columns: tuple[str, ...]
    values: tuple[Callable[[Any], Any], ...]

    def row(self, params: Any) -> tuple[Any, ...]:
        return tuple(value(params) for value in self.values)


@cache
def plain_insert(sql: str) -> Insert | None:
    found = _PLAIN_INSERT.fullmatch(sql)
    if found is None:
        return None
    columns = tuple(c.strip() for c in found.group(2).split(","))
    values = []
    for part in _split_values(found.group(3)):
        value = _VALUE.fullmatch(part)
        if value is None:
            return None  # an expression: leave it to the database
        if value.group(1) is not None:
            values.append(_param(value.group(1)))
        else:
            values.append(_constant(value.group(2).replace("''", "'")))
    return Insert(found.group(1), columns, tuple(values)) if len(values) == len(columns) else None


def _split_values(text: str) -> list[str]:
    """Split on commas outside text literals."""
    return [p for p in re.split(r",(?=(?:[^']*'[^']*')*[^']*$)", text)]


def _param(name: str) -> Callable[[Any], Any]:
    return lambda params: params[name]


def _constant(text: str) -> Callable[[Any], Any]:
    return lambda params: text


@cache
def _tables_pattern(tables: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(sorted(map(re.escape, tables), key=len, reverse=True))
    return re.compile(rf"(?<![\w:.])({alternatives})\b")


def runs(statements: list[Statement]) -> list[tuple[str, list[Any]]]:
    """Consecutive statements with the same SQL, grouped so the driver can send them
    together (order is kept: later statements may depend on earlier ones)."""
    found: list[tuple[str, list[Any]]] = []
    for statement in statements:
        if found and found[-1][0] == statement.sql:
            found[-1][1].append(statement.params)
        else:
            found.append((statement.sql, [statement.params]))
    return found


def by_table(projection: Projection, dialect: str, statements: list[Statement]) -> list[Statement]:
    """The statements grouped by the table each one names, order kept within a table; as they
    are if a statement names no table or several, or triggers or foreign keys link tables. A
    view with ``row_of`` is ordered by ``by_row`` instead (unless triggers or foreign keys link
    its tables: a trigger may number rows in the order they come)."""
    tables = tuple(projection.tables_for(dialect))
    if not tables or _linked(projection, dialect):
        return statements
    row_of: Callable[[Statement], Any] | None = getattr(getattr(projection, "live", projection), "row_of", None)
    if row_of is not None:
        return by_row(statements, row_of, tables)
    groups: dict[str, list[Statement]] = {}
    for statement in statements:
        named = _named(tables, statement.sql)
        if len(named) != 1:
            return statements
        groups.setdefault(named[0], []).append(statement)
    return [statement for group in groups.values() for statement in group]


def _linked(projection: Projection, dialect: str) -> bool:
    return any(_LINKED.search(sql) for sql in projection.ddl_for(dialect))


@lru_cache(maxsize=4096)  # a view has a few dozen statements, each met thousands of times a rebuild
def _named(tables: tuple[str, ...], sql: str) -> tuple[str, ...]:
    """The tables a statement names, once each."""
    return tuple(dict.fromkeys(_tables_pattern(tables).findall(sql)))


def by_row(
    statements: list[Statement], row_of: Callable[[Statement], Any], tables: tuple[str, ...] = ()
) -> list[Statement]:
    """The statements in levels. A statement's places are its key (``row_of``) in each of the
    ``tables`` it names (or its key alone if it names none of them): it goes above the latest
    statement in each of its places, or on that statement's level if it has the same SQL. A
    statement whose key is None (its rows are not known from its parameters) goes above every
    earlier one, and every later one above it. Sent level by level, SQL by SQL within a level
    (in the order each SQL first appears), the log's order within one SQL: statements sharing a
    place keep their order, and the others commute (``row_of``'s promise: each statement finds
    its rows in a table by that key only), so the rows end as the log's order makes them."""
    last: dict[Any, tuple[int, str]] = {}  # place -> (level, SQL) of its latest statement
    floor = top = 0  # every level from ``floor`` up lies above the last statement of no key
    kinds: dict[str, tuple[int, tuple[str, ...]]] = {}  # SQL -> (its rank, the tables it names)
    levels: dict[tuple[int, int], list[Statement]] = {}  # (level, rank) -> its statements in order
    for statement in statements:
        key, sql = row_of(statement), statement.sql
        kind = kinds.get(sql)
        if kind is None:
            kind = kinds[sql] = (len(kinds), _named(tables, sql) if tables else ())
        if key is None:
            level = top + 1
            floor = level + 1
        else:
            spots = [(table, key) for table in kind[1]] or [key]
            level = floor
            for spot in spots:
                before = last.get(spot)
                if before is not None:
                    level = max(level, before[0] if before[1] == sql else before[0] + 1)
            for spot in spots:
                last[spot] = (level, sql)
        if level > top:
            top = level
        levels.setdefault((level, kind[0]), []).append(statement)
    return [statement for place in sorted(levels) for statement in levels[place]]


def write(tx: Transaction, dialect: str, statements: list[Statement]) -> None:
    """Send the statements in order: runs of plain inserts by COPY, the rest pipelined."""
    pending: list[tuple[str, list[Any]]] = []
    for sql, params in runs(statements):
        insert = plain_insert(sql) if len(params) >= COPY_FROM else None
        if insert is None:
            pending.append((sql, params))
            continue
        _send(tx, pending)
        pending = []
        tx.copy_rows(insert.table, insert.columns, _rows(insert, params))
    _send(tx, pending)


def _rows(insert: Insert, params: list[Any]) -> Iterator[tuple[Any, ...]]:
    return (insert.row(p) for p in params)


def _send(tx: Transaction, runs: list[tuple[str, list[Any]]]) -> None:
    if not runs:
        return
    with tx.pipeline():
        for sql, params in runs:
            if len(params) == 1:
                tx.execute(sql, params[0])
            else:
                tx.execute_many(sql, params)
