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
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime

from projections import beside, failures, runner
from projections.base import Projection
from projections.db import ReadDatabase
from projections.eventlog import EventLog

log = logging.getLogger(__name__)

Advance = Callable[[int], None]
Reporter = Callable[[str, int], AbstractContextManager[Advance]]
"""Makes a progress reporter: ``with reporter(label, total) as advance: advance(n)``
(``web.progress.progress`` on the command line)."""

SWITCH_TRIES = 100  # catch up and try again while new events keep arriving between the two
SWITCH_LOCK_SECONDS = 1.0  # the longest the switch waits for a table (readers wait behind it)


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
        for sql in copy.ddl_for(db.dialect):
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
    at = runner.position(db, copy.name)
    while True:
        batch = runner.prepare_batch(app, db, copy, batch_size, until=until)
        if batch is None:
            return at
        new = batch.new if runner.commit_batch(db, batch) else runner.position(db, copy.name)
        advance(max(new - at, 0))
        at = new


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
    batch_size: int = 1000,
    advance: Advance | None = None,
) -> int:
    """Rebuild ``live`` beside itself and switch; returns the live position reached. A process
    (``starts_at_head``) is left where it is: replaying would act on the past again."""
    if live.starts_at_head:
        return runner.position(db, live.name)
    copy, at = open_copy(db, live, beside.REBUILD)
    step = advance or (lambda count: None)
    step(at)  # resumed: the part already done counts as done
    try:
        for attempt in range(SWITCH_TRIES):
            fill(app, db, copy, step, batch_size=batch_size)
            try:
                switched = switch(app, db, live, copy)
            except Exception as error:
                if not beside.lock_timed_out(error):
                    raise
                log.warning("projection %s: a long read held the switch up; trying again", live.name)
                time.sleep(min(0.1 * (attempt + 1), 2.0))
                continue
            if switched is not None:
                return switched
    except runner.NotInitialised:
        log.info("projection %s: another rebuild switched it in first", live.name)
        return runner.position(db, live.name)
    raise RuntimeError(f"{live.name}: new events kept arriving; the rebuild is kept, run it again to finish")


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
    batch_size: int = 1000,
    reporter: Reporter = quietly,
) -> list[tuple[Projection, int]]:
    """Rebuild (beside, then switch) every view whose stored version differs from its code's;
    returns those rebuilt and the position each reached."""
    done = []
    for projection in outdated(db, projections):
        log.warning("projection %s: its tables are another version's; rebuilding it beside them", projection.name)
        with reporter(f"migrating {projection.name}", runner.head(app)) as advance:
            done.append((projection, rebuild(app, db, projection, batch_size=batch_size, advance=advance)))
    return done
