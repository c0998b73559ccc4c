"""eventsourcing's SQLite event store, its connections set like the read models' ones
(``projections.db``): ``PRAGMA secure_delete=ON``, since SQLite otherwise leaves deleted and
overwritten bytes in the file's free space, where an erased person's data could be read back;
and the same wait for the write lock. ``Settings.event_store_env`` names this factory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteConnection, SQLiteConnectionPool, SQLiteFactory
from eventsourcing.utils import Environment, EnvType

from projections.db import BUSY_SECONDS


class SecureDeleteConnectionPool(SQLiteConnectionPool):
    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        connection.cursor().execute("PRAGMA secure_delete=ON")
        return connection


def raise_if_moved(unchanged: dict[Any, int], found: dict[Any, int]) -> None:
    """The optimistic-concurrency error a conflicting insert raises, if any aggregate the save
    decided on has a version other than the one read (``workers.adapters.pgstore`` uses it too)."""
    moved = sorted(str(i) for i, version in unchanged.items() if found.get(i) != version)
    if moved:
        raise IntegrityError(f"Decided on aggregates changed since they were read: {', '.join(moved)}")


class CheckingRecorder(SQLiteApplicationRecorder):
    """A save may name aggregates it decided on without changing (``unchanged``: id -> the
    version read); it commits only if none has moved since. Checked after the insert, which
    holds SQLite's one write lock, in the same transaction (rolled back if the check fails)."""

    checks_unchanged = True

    def _insert_events(self, c: Any, stored_events: Sequence[Any], **kwargs: Any) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        unchanged: dict[UUID, int] = kwargs.get("unchanged") or {}
        if unchanged:
            marks = ", ".join("?" for _ in unchanged)
            c.execute(
                f"SELECT originator_id, MAX(originator_version) FROM {self.events_table_name}"
                f" WHERE originator_id IN ({marks}) GROUP BY originator_id",
                [i.hex for i in unchanged],
            )
            raise_if_moved(unchanged, {UUID(row[0]): row[1] for row in c.fetchall()})
        return ids


class SecureDeleteSQLiteFactory(SQLiteFactory):
    application_recorder_class = CheckingRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        plain = self.datastore.pool  # nothing borrowed from it yet: swap it for ours
        # eventsourcing waits 5 s for the write lock unless SQLITE_LOCK_TIMEOUT says otherwise:
        # a save then failed (SQLITE_BUSY, a 503) while the read models' writes still waited.
        lock_timeout = plain.lock_timeout or BUSY_SECONDS
        self.datastore.pool = SecureDeleteConnectionPool(db_name=plain.db_name, lock_timeout=lock_timeout)
        plain.close()
