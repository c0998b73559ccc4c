"""Rebuilds that never take reads down: build the view again beside the live one, catch it
up with the same batches, switch in one transaction, drop the old tables.

The race with workers applying new events to the live view meanwhile: a batch is computed
from events alone, never from the tables, so a batch from position ``old`` applies correctly
to whichever tables show the log at ``old``. The switch locks the live position row first
(as ``commit_batch`` does with ADVANCE), then the copy's row, then renames tables; it only
switches when the copy is at least as far as the live view, and sets the live position to
the copy's. A worker's batch computed against the old tables then either starts at that very
position (and applies to the new tables, rightly) or loses the ADVANCE race and changes
nothing. A killed rebuild leaves the copy and its position row: the next one carries on.
Two rebuilds of one view at once share the copy: their batches race like workers' do, and
the second to switch finds the copy gone and stops."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime

from projections import beside, failures, onepass, runner
from projections.base import Projection
from projections.db import ReadDatabase
from projections.eventlog import EventLog

log = logging.getLogger(__name__)

Advance = Callable[[int], None]
Reporter = Callable[[str, int], AbstractContextManager[Advance]]
"""Makes a progress reporter: ``with reporter(label, total) as advance: advance(n)``
(``web.cli.progress.progress`` on the command line)."""

BATCH = 5000  # log positions read per page: fewer, bigger transactions per copy
SWITCH_TRIES = 100  # catch up and try again while new events keep arriving between the two
# The longest the switch waits for a table (readers arriving meanwhile wait behind it). Well below
# PostgreSQL's deadlock_timeout (1 s by default): a request reads several of a view's tables in one
# transaction, so a reader holding one table and wanting another the switch already holds would be
# a deadlock; the switch must give up (and retry) before the deadlock check picks the reader.
SWITCH_LOCK_SECONDS = 0.25
# A stored generated column (the projects' search vector) is computed again on every UPDATE of its
# row, whatever the update changes: a copy gets it once it is full, in one rewrite of the table.
_GENERATED = re.compile(r"\s*ALTER\s+TABLE\s.*\bADD\s+COLUMN\b.*\bGENERATED\s+ALWAYS\s+AS\b", re.IGNORECASE | re.DOTALL)


@contextmanager
def quietly(label: str, total: int) -> Iterator[Advance]:
    yield lambda count: None


def _now() -> str:
    return datetime.now(UTC).isoformat()


def open_copy(db: ReadDatabase, live: Projection, prefix: str, *, resume: bool = True) -> tuple[beside.Copy, int]:
    """The copy of ``live`` under ``prefix`` and its position: the one left by an earlier run if
    it was for this version (and ``resume``), otherwise new tables at position 0."""
    copy = beside.beside(live, prefix)
    with db.transaction() as tx:
        if beside.lock_position(tx, db.dialect, live.name) is None:
            raise runner.NotInitialised(f"Projection {live.name!r} is not initialised: run `pipeline init`.")
        beside.drop(tx, [beside.RETIRED + t for t in live.tables_for(db.dialect)])  # a switch killed before its drop
        rows = tx.query("SELECT position, version FROM projection_positions WHERE name = :n", {"n": copy.name})
        if resume and rows and rows[0]["version"] == live.version:
            return copy, int(rows[0]["position"])
        beside.drop(tx, copy.tables_for(db.dialect))
        later = set(generated_columns(db, copy))
        for sql in copy.ddl_for(db.dialect):
            if sql not in later:
                tx.execute(sql)
        params = {"name": copy.name, "version": live.version, "now": _now()}
        tx.execute("DELETE FROM projection_positions WHERE name = :name", params)
        tx.execute(
            "INSERT INTO projection_positions (name, position, version, updated_at) VALUES (:name, 0, :version, :now)",
            params,
        )
    return copy, 0


def fill(
    app: EventLog, db: ReadDatabase, copy: beside.Copy, advance: Advance, *, batch_size: int, until: int | None = None
) -> int:
    """Apply batches to the copy up to ``until`` (default: the head); returns its position.
    Raises ``NotInitialised`` if its position row went (another rebuild switched it in)."""
    done = onepass.fill(app, db, [copy], advance, batch_size=batch_size, until=until)
    if done.feeds[0].gone:
        raise runner.NotInitialised(f"The copy {copy.name} was switched in or dropped by another process.")
    return done.feeds[0].at


def generated_columns(db: ReadDatabase, copy: beside.Copy) -> tuple[str, ...]:
    """PostgreSQL: the DDL adding the copy's stored generated columns, which ``open_copy`` leaves
    to ``build_indexes``. No statement of a view reads or writes such a column (the database
    computes it from the row), so the rows filled without it are the same rows."""
    if db.dialect != "postgres":
        return ()
    return tuple(sql for sql in copy.ddl_for(db.dialect) if _GENERATED.match(sql))


def build_indexes(db: ReadDatabase, copy: beside.Copy) -> None:
    """The stored generated columns and the indexes a full copy was filled without
    (``generated_columns``, ``indexes_after_fill``), each one pass over the table. PostgreSQL
    only: SQLite's switch makes every index under the live names anyway, and it has no such
    columns. Idempotent (``IF NOT EXISTS``): a resumed copy may have them already."""
    later = generated_columns(db, copy) + copy.indexes_for(db.dialect)
    if db.dialect != "postgres" or not later:
        return
    with db.transaction() as tx:
        if beside.lock_position(tx, db.dialect, copy.name) is None:
            return  # another rebuild of the view switched it in: the switch finds that out
        # Under that lock a second rebuild of the view waits here, then finds the indexes made.
        onepass.relax_durability(tx, db.dialect)
        tx.execute("SET LOCAL statement_timeout = 0")  # a sort of millions of rows may take a while
        tx.execute("SET LOCAL maintenance_work_mem = '128MB'")
        for sql in later:
            tx.execute(sql)


def switch(app: EventLog, db: ReadDatabase, live: Projection, copy: beside.Copy) -> int | None:
    """Put the copy in the live view's place in one transaction and drop the old tables after;
    returns the live position now. None (nothing changed) if the live view has applied events
    the copy has not: catch the copy up and try again."""
    with db.transaction() as tx:
        beside.bound_lock_waits(tx, db.dialect, SWITCH_LOCK_SECONDS)
        live_at = beside.lock_position(tx, db.dialect, live.name)
        copy_at = beside.lock_position(tx, db.dialect, copy.name)
        if live_at is None or copy_at is None:
            raise runner.NotInitialised(f"The rebuild of {live.name} was switched in or dropped by another process.")
        if copy_at < live_at and runner.pending(app, live, copy_at, live_at):
            return None
        at = max(copy_at, live_at)  # nothing it follows between the two: the copy shows the log at live_at
        beside.lock_live(tx, db.dialect, live)
        retired = beside.retire(tx, db.dialect, live)
        beside.promote(tx, db.dialect, live, copy.prefix)
        params = {"name": live.name, "copy": copy.name, "at": at, "version": live.version, "now": _now()}
        tx.execute(
            "UPDATE projection_positions SET position = :at, version = :version, updated_at = :now WHERE name = :name",
            params,
        )
        tx.execute("DELETE FROM projection_positions WHERE name = :copy", params)
        cleared = failures.cleared(live.name)
        tx.execute(cleared.sql, cleared.params)
    with db.transaction() as tx:
        beside.drop(tx, retired)
    return at


def rebuild(
    app: EventLog,
    db: ReadDatabase,
    live: Projection,
    *,
    batch_size: int = BATCH,
    advance: Advance | None = None,
) -> int:
    """Rebuild ``live`` beside itself and switch; returns the live position reached. A process
    (``starts_at_head``) is left where it is: replaying would act on the past again."""
    if live.starts_at_head:
        return runner.position(db, live.name)
    return rebuild_all(app, db, [live], batch_size=batch_size, advance=advance)[live.name]


def rebuild_all(
    app: EventLog,
    db: ReadDatabase,
    views: list[Projection],
    *,
    batch_size: int = BATCH,
    advance: Advance | None = None,
    timings: list[onepass.Pass] | None = None,
) -> dict[str, int]:
    """Rebuild several views beside themselves in one read of the log, then switch each in;
    returns each one's live position. Processes (``starts_at_head``) are left where they are.
    Each copy carries on from its own position if an earlier run left one; the read starts at
    the lowest. ``timings`` collects what each pass over the log cost (for benchmarks)."""
    views = [v for v in views if not v.starts_at_head]
    copies, starts = {}, []
    for view in views:
        copies[view.name], at = open_copy(db, view, beside.REBUILD)
        starts.append(at)
    step = advance or (lambda count: None)
    # Resumed: done counts as done. The positions open_copy saw, not read again: another rebuild
    # of the view may switch the shared copy in (deleting its row) at any moment from here on.
    step(min(starts, default=0))
    reached: dict[str, int] = {}
    indexed: set[str] = set()
    for attempt in range(SWITCH_TRIES):
        done = onepass.fill(app, db, list(copies.values()), step, batch_size=batch_size)
        if timings is not None:
            timings.append(done)
        for feed in done.feeds:
            if feed.gone:
                log.info("projection %s: another rebuild switched it in first", feed.copy.live.name)
                reached[feed.copy.live.name] = runner.position(db, feed.copy.live.name)
        for name in list(copies):
            if name in reached:
                del copies[name]
                continue
            if name not in indexed:
                build_indexes(db, copies[name])
                indexed.add(name)
                continue  # events that came meanwhile are applied first (cheaper now, with indexes)
            switched = _try_switch(app, db, copies[name].live, copies[name], attempt)
            if switched is not None:
                reached[name] = switched
                del copies[name]
        if not copies:
            return {v.name: reached[v.name] for v in views}
    names = ", ".join(copies)
    raise RuntimeError(f"{names}: new events kept arriving; the rebuild is kept, run it again to finish")


def _try_switch(app: EventLog, db: ReadDatabase, live: Projection, copy: beside.Copy, attempt: int) -> int | None:
    """The switch; None if the copy must catch up first or a long read held a table."""
    try:
        return switch(app, db, live, copy)
    except runner.NotInitialised:
        log.info("projection %s: another rebuild switched it in first", live.name)
        return runner.position(db, live.name)
    except Exception as error:
        if not beside.lock_timed_out(error):
            raise
        log.warning("projection %s: a long read held the switch up; trying again", live.name)
        time.sleep(min(0.1 * (attempt + 1), 2.0))
        return None


def in_progress(db: ReadDatabase) -> dict[str, int]:
    """Views with a rebuild under way (or stopped part-way), and its position."""
    suffix = "~" + beside.REBUILD.rstrip("_")
    rows = db.query("SELECT name, position FROM projection_positions")
    return {r["name"][: -len(suffix)]: int(r["position"]) for r in rows if r["name"].endswith(suffix)}


def copy_in_progress(db: ReadDatabase, live: Projection) -> beside.Copy | None:
    """The copy a rebuild of ``live`` is building (or left when it was stopped), if any."""
    return beside.beside(live, beside.REBUILD) if live.name in in_progress(db) else None


def outdated(db: ReadDatabase, projections: list[Projection]) -> list[Projection]:
    """Views whose tables were made by another version of their code."""
    rows = {r["name"]: r["version"] for r in db.query("SELECT name, version FROM projection_positions")}
    return [p for p in projections if not p.starts_at_head and p.name in rows and rows[p.name] != p.version]


def migrate(
    app: EventLog,
    db: ReadDatabase,
    projections: list[Projection],
    *,
    batch_size: int = BATCH,
    reporter: Reporter = quietly,
) -> list[tuple[Projection, int]]:
    """Rebuild (beside, then switch) every view whose stored version differs from its code's,
    all in one read of the log; returns those rebuilt and the position each reached."""
    views = outdated(db, projections)
    if not views:
        return []
    for view in views:
        log.warning("projection %s: its tables are another version's; rebuilding it beside them", view.name)
    label = "migrating " + ", ".join(v.name for v in views)
    with reporter(label, runner.head(app)) as advance:
        reached = rebuild_all(app, db, views, batch_size=batch_size, advance=advance)
    return [(view, reached[view.name]) for view in views]
