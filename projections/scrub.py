"""Scrubbing at rest: after an erasure the old bytes of deleted and overwritten rows must
leave the database files, not only the tables.

SQLite: every connection runs with ``secure_delete`` (freed space is zeroed), but the
WAL keeps the old page images until a checkpoint, so checkpoint with TRUNCATE (which
also empties the WAL file). PostgreSQL: an UPDATE or DELETE leaves the old tuple on its
page, and plain VACUUM only marks its space free: checked with pageinspect's
``get_raw_page`` on PostgreSQL 15, the old bytes stay in the page's hole. VACUUM FULL
writes each table (its indexes and TOAST too) anew and drops the old files."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable
from typing import Any

from projections.db import ReadDatabase

log = logging.getLogger(__name__)
LOCK_WAIT = "5s"
OLDER_SNAPSHOTS = (  # other sessions whose snapshot may still see the rows being scrubbed
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL"
)  # VACUUM FULL queues every reader of the table behind it: never wait long


def scrub(db: ReadDatabase, tables: Iterable[str]) -> list[str]:
    """Remove old row versions of ``tables`` from the files; returns what could not be
    scrubbed now (busy), to be logged. VACUUM cannot run inside a transaction: this
    uses a connection of its own."""
    if db.dialect == "sqlite":
        return [] if _checkpoint(db.path) else ["(WAL checkpoint)"]  # type: ignore[attr-defined]
    return _vacuum_full(db.pool.conninfo, list(tables))  # type: ignore[attr-defined]


def _checkpoint(path: str, attempts: int = 20) -> bool:
    """TRUNCATE waits for readers that still need old frames; a reader mid-request soon
    finishes, so try again for a few seconds before reporting the WAL unscrubbed."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        for attempt in range(attempts):
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy == 0:
                return True
            time.sleep(0.05 * (attempt + 1))
        return False
    finally:
        conn.close()


def _horizon_passed(conn: Any, attempts: int = 30) -> bool:
    """Wait (a few seconds at most) until every transaction that began before now has ended.
    VACUUM FULL copies a dead row version while any running transaction is older than the
    one that deleted it, and such a transaction need not show in this database's
    ``pg_stat_activity`` (one creating or dropping another database held it in a test run)."""
    row = conn.execute("SELECT pg_current_xact_id()").fetchone()  # a new id, committed at once
    for attempt in range(attempts):
        passed = conn.execute("SELECT pg_snapshot_xmin(pg_current_snapshot()) > %s", (row[0],)).fetchone()
        if passed and passed[0]:
            return True
        time.sleep(0.02 * (attempt + 1))
    return False


def _vacuum_full(conninfo: str, tables: list[str]) -> list[str]:
    import psycopg
    from psycopg import sql

    busy: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(LOCK_WAIT)))
        row = conn.execute(OLDER_SNAPSHOTS).fetchone()
        older = row[0] if row else 0  # count(*) always answers one row
        if older:  # VACUUM FULL must keep row versions such a transaction may still see
            busy.append(f"(old row versions kept for {older} open transaction(s); erase again once they end)")
        elif not _horizon_passed(conn):
            busy.append("(old row versions kept: a transaction older than the erasure is still running)")
        for table in tables:  # one at a time: a busy table does not hold up the others
            for _attempt in range(3):  # a lock held by a passing reader or autovacuum is soon free
                try:
                    conn.execute(sql.SQL("VACUUM FULL {}").format(sql.Identifier(table)))
                    break
                except psycopg.errors.LockNotAvailable:
                    continue
            else:
                busy.append(table)
    return busy
