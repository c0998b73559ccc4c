"""Follower leases: at most one worker catches a follower up at a time.

Positions alone keep every follower exactly-once (``runner.commit_batch`` moves a position
only from the value its batch was read at), but two workers catching the same follower up
both read and map the same batch, and the loser's work is thrown away. A lease makes a
worker that finds a follower taken move on to another follower instead.

On PostgreSQL a lease is a session-level advisory lock, held on one connection of the
process's own for as long as the catch-up runs: PostgreSQL releases it the moment that
connection ends, so a worker that is killed (or whose machine vanishes: the connection's
TCP keepalives end it in about 10 s) frees its followers without anyone waiting for an
expiry. On SQLite (the embedded mode, one process) a lease is a lock in the process.

Whoever gives a lease back must look again for work that arrived while it held it: a
worker that found the follower taken has moved on, trusting the holder to see its event
(``workers.runtime.follow``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from projections.db import Timeouts, connection_options

log = logging.getLogger(__name__)

LOCK_CLASS = "pipeline.follower"  # the first key of every follower's advisory lock


class Leases(Protocol):
    def hold(self, name: str) -> AbstractContextManager[bool]:
        """True inside the block if this process holds the follower ``name`` (no one else
        in any process does); False if another holds it. Never waits for a holder."""
        ...

    def close(self) -> None: ...


class ProcessLeases:
    """One lock per follower in this process: enough where one process writes (SQLite)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @contextmanager
    def hold(self, name: str) -> Iterator[bool]:
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        taken = lock.acquire(blocking=False)
        try:
            yield taken
        finally:
            if taken:
                lock.release()

    def close(self) -> None:
        pass


class PostgresLeases:
    """Advisory locks on a connection of their own (never a pooled one: a lock must outlive
    the transactions of the batches it covers, and go with this process)."""

    def __init__(self, url: str, timeouts: Timeouts | None = None) -> None:
        self._url = url
        self._options = connection_options(timeouts or Timeouts())
        self._conn: Any = None
        self._inside = ProcessLeases()  # threads of this process share the one connection
        self._talk = threading.Lock()

    @contextmanager
    def hold(self, name: str) -> Iterator[bool]:
        with self._inside.hold(name) as mine:
            if not mine:
                yield False
                return
            taken = self._ask("SELECT pg_try_advisory_lock(hashtext(%s), hashtext(%s))", name)
            try:
                yield taken
            finally:
                if taken:
                    self._ask("SELECT pg_advisory_unlock(hashtext(%s), hashtext(%s))", name, quiet=True)

    def _ask(self, sql: str, name: str, *, quiet: bool = False) -> bool:
        """Run one lock statement; a lost connection is opened again once. If PostgreSQL cannot
        be reached the answer is False: no lease, so nothing is applied (it could not be
        anyway), and the next job or sweep tries again."""
        import psycopg

        with self._talk:
            for attempt in range(2):
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = psycopg.connect(self._url, autocommit=True, **self._options)
                    row = self._conn.execute(sql, (LOCK_CLASS, name)).fetchone()
                    return bool(row and row[0])
                except psycopg.OperationalError:
                    # the connection went, and every lock it held with it
                    self._drop()
                    if attempt == 1:
                        if not quiet:
                            log.warning("follower %s: no lease, PostgreSQL did not answer", name, exc_info=True)
                        return False
        return False

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # already broken: nothing more to release
                log.debug("closing a broken lease connection failed", exc_info=True)
        self._conn = None

    def close(self) -> None:
        with self._talk:
            self._drop()


def open_leases(url: str, timeouts: Timeouts | None = None) -> Leases:
    if url.startswith(("postgresql:", "postgres:")):
        return PostgresLeases(url, timeouts)
    return ProcessLeases()
