"""A projection that cannot apply its next batch: the failure is recorded where every
process and the operator can see it, retried with a growing wait, and cleared by the
next batch that commits (in that batch's own transaction)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from projections.base import Statement
from projections.db import ReadDatabase

log = logging.getLogger(__name__)

DDL = (
    "CREATE TABLE IF NOT EXISTS projection_failures ("
    " name TEXT PRIMARY KEY, position BIGINT NOT NULL, error TEXT NOT NULL, since TEXT NOT NULL,"
    " attempts INTEGER NOT NULL, last_attempt_at TEXT NOT NULL, retry_at TEXT NOT NULL)"
)
UPSERT = (
    "INSERT INTO projection_failures (name, position, error, since, attempts, last_attempt_at, retry_at)"
    " VALUES (:name, :position, :error, :now, 1, :now, :retry_at)"
    " ON CONFLICT (name) DO UPDATE SET position = :position, error = :error,"
    " attempts = projection_failures.attempts + 1, last_attempt_at = :now, retry_at = :retry_at"
)
FIRST_RETRY_SECONDS = 1.0
MAX_ERROR_CHARS = 1000


def utc_now() -> datetime:
    return datetime.now(UTC)


# What failures and their backoff are timed by; a test replaces it to move time, not wait.
clock: Callable[[], datetime] = utc_now


@dataclass(frozen=True)
class Failure:
    name: str
    position: int
    error: str
    since: str
    attempts: int
    last_attempt_at: str
    retry_at: str


def _stamp(moment: datetime) -> str:
    """Fixed-width UTC text: compares as text the same way as in time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def backoff(attempts: int, most: float) -> float:
    """Seconds to wait after the ``attempts``-th failure in a row: 1, 2, 4, ... at most ``most``."""
    return min(FIRST_RETRY_SECONDS * 2 ** min(max(attempts - 1, 0), 30), most)


def describe(error: BaseException) -> str:
    # PostgreSQL text cannot hold NUL, and an error may quote the value that caused it.
    text = f"{type(error).__name__}: {error}".replace("\x00", "\\0")
    return text[:MAX_ERROR_CHARS]


def record(db: ReadDatabase, name: str, position: int, error: BaseException, most: float) -> None:
    """Note that ``name`` failed at ``position``; the next automatic try waits longer each time."""
    now = clock()
    try:
        with db.transaction() as tx:
            rows = tx.query("SELECT attempts FROM projection_failures WHERE name = :name", {"name": name})
            attempts = (int(rows[0]["attempts"]) if rows else 0) + 1
            retry_at = now + timedelta(seconds=backoff(attempts, most))
            params = {"name": name, "position": position, "error": describe(error)}
            tx.execute(UPSERT, {**params, "now": _stamp(now), "retry_at": _stamp(retry_at)})
    except Exception:  # the database may be what failed: the caller still raises the first error
        log.warning("could not record the failure of projection %s", name, exc_info=True)


def cleared(name: str) -> Statement:
    """The statement a committing batch runs: its projection is no longer failing."""
    return Statement("DELETE FROM projection_failures WHERE name = :name", {"name": name})


def current(db: ReadDatabase) -> dict[str, Failure]:
    rows = db.query("SELECT * FROM projection_failures")
    return {row["name"]: Failure(**{**row, "position": int(row["position"])}) for row in rows}


def of(db: ReadDatabase, name: str) -> Failure | None:
    rows = db.query("SELECT * FROM projection_failures WHERE name = :name", {"name": name})
    return Failure(**{**rows[0], "position": int(rows[0]["position"])}) if rows else None


def waiting(failure: Failure | None) -> bool:
    """True while a failed projection is still waiting out its backoff."""
    return failure is not None and failure.retry_at > _stamp(clock())
