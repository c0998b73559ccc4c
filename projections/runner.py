"""Apply events to projections: a batch of view changes and the new position in one
transaction, exactly once even when several workers race on the same projection."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from projections import bulk, failures
from projections.base import Projection, Statement
from projections.context import FollowerContext
from projections.db import ReadDatabase, missing_table
from projections.eventlog import EventLog
from projections.failures import Failure
from projections.registry import get

log = logging.getLogger(__name__)

Progress = Callable[[int], None]
"""Hears how many more log positions a long job covered (a progress bar's ``advance``)."""

POSITIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_positions ("
    " name TEXT PRIMARY KEY, position BIGINT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL)"
)
ADVANCE = "UPDATE projection_positions SET position = :new, updated_at = :now WHERE name = :name AND position = :old"


# A view far behind (a backlog, a new worker) takes bigger batches, up to ten times the configured
# size and at most this many log positions (a small PIPELINE_BATCH_SIZE keeps batches small):
# fewer, bigger transactions, as a rebuild's pages. Decoded and mapped before the transaction opens,
# they keep it to writes only, well inside the idle-in-transaction and statement timeouts.
FAR_BEHIND_BATCH = 5000
RETRY_MAX_SECONDS = 60.0  # the longest wait between automatic tries of a failing projection


class NotInitialised(RuntimeError):
    """The read-model tables are missing: ``pipeline init`` has not been run."""


class ProjectionFailing(RuntimeError):
    """A read asked for a position that a failing projection cannot reach until it is repaired."""

    def __init__(self, failure: Failure, target: int) -> None:
        super().__init__(
            f"The {failure.name} read model is failing at log position {failure.position} "
            f"(since {failure.since}, {failure.attempts} attempts: {failure.error}); "
            f"it cannot reach position {target} until that is repaired."
        )
        self.failure = failure


@dataclass(frozen=True)
class Status:
    name: str
    position: int
    head: int
    updated_at: str | None
    failure: Failure | None = None

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)

    @property
    def state(self) -> str:
        return "failing" if self.failure else "behind" if self.lag else "ok"

    def as_dict(self) -> dict[str, Any]:
        failure = self.failure
        return {
            "name": self.name,
            "state": self.state,
            "position": self.position,
            "head": self.head,
            "lag": self.lag,
            "updated_at": self.updated_at,
            "error": failure.error if failure else None,
            "failing_since": failure.since if failure else None,
            "attempts": failure.attempts if failure else 0,
            "retry_at": failure.retry_at if failure else None,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat()


def create_tables(
    db: ReadDatabase, projections: list[Projection], extra_ddl: tuple[str, ...] = (), *, head: int = 0
) -> None:
    """Create what is missing. A projection whose ``version`` changed since its tables
    were made keeps them as they are, for ``rebuilds.migrate`` to rebuild beside. A process
    (``starts_at_head``) starts at ``head``, the log's head now, and a new version of it
    carries on from where the old one was."""
    with db.transaction() as tx:
        tx.execute(POSITIONS_DDL)
        tx.execute(failures.DDL)
        for statement in extra_ddl:
            tx.execute(statement)
        for projection in projections:
            start = head if projection.starts_at_head else 0
            if projection.starts_beside:
                beside = tx.query(
                    "SELECT position FROM projection_positions WHERE name = :name", {"name": projection.starts_beside}
                )
                start = int(beside[0]["position"]) if beside else start
            params = {"name": projection.name, "version": projection.version, "now": _now(), "start": start}
            rows = tx.query("SELECT version FROM projection_positions WHERE name = :name", params)
            if rows and rows[0]["version"] != projection.version and projection.starts_at_head:
                # a process has nothing to rebuild: it carries on from where it was (see ``rebuilds.rebuild``)
                tx.execute("UPDATE projection_positions SET version = :version WHERE name = :name", params)
            elif rows and rows[0]["version"] != projection.version:
                # its tables keep serving reads until a rebuild beside them switches (`migrate`)
                log.warning(
                    "projection %s: tables made by version %s, the code is version %s; "
                    "`pipeline projections migrate` (run by init, serve and worker) rebuilds it",
                    projection.name,
                    rows[0]["version"],
                    projection.version,
                )
                continue
            for statement in projection.ddl_for(db.dialect):
                tx.execute(statement)
            if not rows:
                tx.execute(
                    "INSERT INTO projection_positions (name, position, version, updated_at)"
                    " VALUES (:name, :start, :version, :now)",
                    params,
                )


def position(db: ReadDatabase, name: str) -> int:
    return positions(db, (name,))[name]


def positions(db: ReadDatabase, names: tuple[str, ...] | list[str]) -> dict[str, int]:
    """Projections' positions, in one query, in the order named."""
    marks = {f"n{i}": name for i, name in enumerate(names)}
    sql = f"SELECT name, position FROM projection_positions WHERE name IN ({', '.join(':' + k for k in marks)})"
    try:
        rows = db.query(sql, marks)
    except Exception as error:  # a missing table looks different in each driver; other faults pass on
        if missing_table(error):
            raise NotInitialised("Read models are not initialised: run `pipeline init`.") from error
        raise
    found = {row["name"]: int(row["position"]) for row in rows}
    for name in names:
        if name not in found:
            raise NotInitialised(f"Projection {name!r} is not initialised: run `pipeline init`.")
    return {name: found[name] for name in names}


def head(app: EventLog) -> int:
    top = int(app.recorder.max_notification_id() or 0)
    looked = _looked(app)
    looked.head = max(looked.head, top)
    return top


def pending(app: EventLog, projection: Projection, after: int, until: int) -> bool:
    """Whether the log holds an event this projection follows in (``after``, ``until``]. Writes
    ask only the followers their events feed to catch up, so a view's position may trail the
    head while nothing it follows has happened since: it is then as current as a rebuild.

    A span found empty up to a head this process has read stays empty (positions up to the
    head are committed, in order, and never change), so each process keeps, per projection,
    how far past its position it has looked: the next look reads only what came after. Without
    it a view that no write feeds (``interests`` under a run of pledges) had the whole span
    since its last event read again on every catch-up of a process that reads it."""
    if after >= until:
        return False
    looked = _looked(app)
    known = looked.spans.get(projection.name)
    checked = known[1] if known is not None and known[0] == after else after
    if until <= checked:
        return False
    found = bool(app.recorder.select_notifications(start=checked + 1, limit=1, stop=until, topics=projection.topics()))
    sure = min(until, looked.head)  # past the head read last, a position may not be written yet
    if not found and sure > checked:
        looked.spans[projection.name] = (after, sure)
    return found


class _Looked:
    """What this process knows of one store's log: the highest head it read, and per
    projection a span after its position found empty: name -> (position, looked up to)."""

    def __init__(self) -> None:
        self.head = 0
        self.spans: dict[str, tuple[int, int]] = {}


_LOOKED: weakref.WeakKeyDictionary[Any, _Looked] = weakref.WeakKeyDictionary()
_LOOKED_LOCK = threading.Lock()


def _looked(app: EventLog) -> _Looked:
    with _LOOKED_LOCK:
        try:
            looked = _LOOKED.get(app.recorder)
            if looked is None:
                looked = _LOOKED[app.recorder] = _Looked()
        except TypeError:  # a recorder that cannot be weakly referenced (a test's stand-in): remember nothing
            looked = _Looked()
        return looked


def status(app: EventLog, db: ReadDatabase, projections: list[Projection]) -> list[Status]:
    """Each one's position and the head; a projection with nothing it follows after its
    position is reported at the head (lag 0), however far its own position trails."""
    top = head(app)
    rows = {r["name"]: r for r in db.query("SELECT name, position, updated_at FROM projection_positions")}
    failing = failures.current(db)
    statuses = []
    for p in projections:
        at = int(rows[p.name]["position"]) if p.name in rows else 0
        statuses.append(
            Status(
                p.name,
                at if pending(app, p, at, top) else max(at, top),
                top,
                rows[p.name]["updated_at"] if p.name in rows else None,
                failing.get(p.name),
            )
        )
    return statuses


@dataclass(frozen=True)
class Batch:
    """The next batch, decoded and mapped, ready to commit."""

    projection: Projection
    old: int
    new: int
    statements: list[Statement]
    events: int


def prepare_batch(
    app: EventLog,
    db: ReadDatabase,
    projection: Projection,
    batch_size: int = 500,
    context: FollowerContext | None = None,
    *,
    until: int | None = None,
    old: int | None = None,
) -> Batch | None:
    """Read and map the events after the projection's position (up to ``until``, default the
    head); None if it is there, or if a view it reads has not caught up with the next event yet.
    ``old``: the position as the caller just read it (a stale one only makes the commit find
    the position moved, ``commit_batch``)."""
    old = position(db, projection.name) if old is None else old
    top = horizon(app, db, projection, head(app) if until is None else until)
    if old >= top:
        return None
    notifications = app.recorder.select_notifications(
        start=old + 1, limit=batch_size, stop=top, topics=projection.topics()
    )
    new = notifications[-1].id if len(notifications) == batch_size else top
    # Decode and map before any transaction opens: keep transactions short.
    events = [app.mapper.to_domain_event(n) for n in notifications if projection.accepts(n)]
    reveal = app.personal.revealer(e.originator_id for e in events) if events else nobody
    statements = [without_nul(statement) for statement in projection.batch(events, reveal, context)]
    return Batch(projection, old, new, statements, len(notifications))


def nobody(person_id: Any, sealed: Any) -> None:
    return None


def without_nul(statement: Statement) -> Statement:
    """PostgreSQL text cannot hold NUL. The API refuses it, but older events may carry one:
    a view drops it (in both databases, so they agree) rather than stop at that event."""
    params = statement.params
    if not any(isinstance(v, str) and "\x00" in v for v in params.values()):
        return statement
    return Statement(statement.sql, {k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in params.items()})


def commit_batch(db: ReadDatabase, batch: Batch) -> bool:
    """Apply the batch and move the position in one transaction. False (and nothing
    changed) if another worker moved the position first. The batch goes in set-wise, as a
    rebuild's does (``projections.bulk``): grouped by table, runs of plain inserts by COPY."""
    name = batch.projection.name
    statements = bulk.by_table(batch.projection, db.dialect, batch.statements)
    with db.transaction() as tx:
        # Take the position row first: a racing worker waits here, then finds
        # the position moved, changes nothing and rolls back.
        if tx.execute(ADVANCE, {"new": batch.new, "now": _now(), "name": name, "old": batch.old}) != 1:
            log.debug("projection %s: another worker applied position %s first", name, batch.old)
            return False
        bulk.write(tx, db.dialect, [*statements, failures.cleared(name)])
    return True


def catch_up(
    app: EventLog,
    db: ReadDatabase,
    projection: Projection,
    *,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
    retry_max: float = RETRY_MAX_SECONDS,
    context: FollowerContext | None = None,
) -> int:
    """Apply batches until the projection reaches the head as it was when called.

    Losing a batch to another worker is not the end: that worker moved the
    position on, so read it again and carry on from there. Returns the span of
    log positions covered while this call ran (by it or by racing workers).
    A batch that fails is recorded (see ``projections.failures``) and the error raised."""
    start = current = position(db, projection.name)
    target = head(app)
    while current < target:
        try:
            size = sized(batch_size, target - current)
            batch = prepare_batch(app, db, projection, size, context, until=target, old=current)
            if batch is None:
                break
            committed = commit_batch(db, batch)
        except Exception as error:
            failures.record(db, projection.name, current, error, retry_max)
            raise
        new = batch.new if committed else position(db, projection.name)
        if progress and new > current:
            progress(new - current)
        current = new
    return current - start


def sized(batch_size: int, behind: int) -> int:
    """The batch for a view ``behind`` log positions back: the configured size, or all of what is
    behind in one batch when that is more, up to ten times the configured size and at most
    ``FAR_BEHIND_BATCH``."""
    return max(batch_size, min(behind, 10 * batch_size, FAR_BEHIND_BATCH))


def keep_up(
    app: EventLog,
    db: ReadDatabase,
    projection: Projection,
    *,
    batch_size: int = 500,
    retry_max: float = RETRY_MAX_SECONDS,
    context: FollowerContext | None = None,
) -> int | None:
    """The automatic catch-up (after writes, in jobs and sweeps): skipped while a recorded
    failure waits out its backoff, so a poisoned view is not retried on every write;
    a new failure is recorded and logged with its traceback, never raised, so the
    caller moves on to the other projections. Returns the positions covered, or None."""
    try:
        if failures.waiting(failures.of(db, projection.name)):
            return None
        return catch_up(app, db, projection, batch_size=batch_size, retry_max=retry_max, context=context)
    except Exception:
        log.exception("projection %s failed to catch up; retrying later with backoff", projection.name)
        return None


def horizon(app: EventLog, db: ReadDatabase, projection: Projection, top: int) -> int:
    """How far ``projection`` may go: ``top``, or less while a view it reads (``reads``)
    still has events to apply before ``top``. A view being rebuilt or failing holds it back
    rather than let it act on what that view does not show yet."""
    if not projection.reads:
        return top
    for name, at in positions(db, projection.reads).items():
        if at < top and pending(app, get(name), at, top):
            top = at
    return top


def behind(app: EventLog, db: ReadDatabase, projection: Projection) -> bool:
    """Whether the projection has an event to apply now: one it follows after its position,
    up to where the views it reads allow (``horizon``)."""
    at = position(db, projection.name)
    return pending(app, projection, at, horizon(app, db, projection, head(app)))


def reached(app: EventLog, db: ReadDatabase, projection: Projection, target: int) -> bool:
    """Whether the projection shows the log as of ``target``: it applied ``target``, or
    nothing it follows happened between its position and ``target``."""
    at = position(db, projection.name)
    return at >= target or not pending(app, projection, at, target)


def wait_for(app: EventLog, db: ReadDatabase, projection: Projection, target: int, timeout: float) -> bool:
    """True once the projection has reached ``target``; False after ``timeout`` seconds.
    Raises ``ProjectionFailing`` if it is failing below ``target``: waiting won't help."""
    name = projection.name
    if reached(app, db, projection, target):
        return True
    _refuse_if_failing(db, name, target)
    deadline = time.monotonic() + timeout
    delay = 0.01
    while not reached(app, db, projection, target):
        if time.monotonic() >= deadline:
            _refuse_if_failing(db, name, target)
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
    return True


def _refuse_if_failing(db: ReadDatabase, name: str, target: int) -> None:
    failure = failures.of(db, name)
    if failure is not None:
        raise ProjectionFailing(failure, target)
