"""The read-model database: the one place where SQLite and PostgreSQL differ.

Views write their SQL once, with ``:name`` placeholders and portable types
(TEXT, BIGINT, INTEGER, BOOLEAN, ``INSERT ... ON CONFLICT``); this module turns
that into each driver's dialect and hands out transactions.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class Transaction(Protocol):
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int: ...

    def execute_many(self, sql: str, params: list[Mapping[str, Any]]) -> None: ...

    def pipeline(self) -> AbstractContextManager[Any]: ...

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Append rows to a table (PostgreSQL: ``COPY ... FROM STDIN``; not inside ``pipeline``)."""
        ...

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...


class Reader(Protocol):
    """What a query needs of the read database: one statement at a time, in its dialect."""

    @property
    def dialect(self) -> str: ...

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...


class ReadDatabase(Reader, Protocol):
    """The read database: ``SQLiteDatabase`` or ``PostgresDatabase``."""

    def transaction(self) -> AbstractContextManager[Transaction]:
        """Everything done with the transaction commits together, or nothing does."""
        ...

    def reading(self) -> AbstractContextManager[Reader]:
        """Several reads on one connection in one transaction: one pool checkout per request,
        and every read sees the same commit (SQLite) or none older than the first (PostgreSQL)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class _Reading:
    """A ``Reader`` bound to one open transaction."""

    dialect: str
    tx: Transaction

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.tx.query(sql, params)


class _SQLiteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        return self.conn.execute(sql, dict(params or {})).rowcount

    def execute_many(self, sql: str, params: list[Mapping[str, Any]]) -> None:
        self.conn.executemany(sql, [dict(p) for p in params])

    def pipeline(self) -> AbstractContextManager[Any]:
        return nullcontext()  # in-process: there are no round trips to save

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        marks = ", ".join("?" for _ in columns)
        self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return [dict(row) for row in self.conn.execute(sql, dict(params or {})).fetchall()]


# How long a connection waits for SQLite's one write lock before SQLITE_BUSY: a rebuild's switch
# or a verify holds it for seconds on a large view. Every connection to the file waits as long
# (the event store's too: ``projections.sqlite_events``), so no write gives up before another.
BUSY_SECONDS = 30

# Opens a read transaction and checks the connection's schema against it (reloading it if
# another connection changed it): every statement after it is prepared on that schema.
_SNAPSHOT = "SELECT 1 FROM sqlite_master LIMIT 1"


class SQLiteDatabase:
    """One connection per thread, WAL journal, ``BEGIN IMMEDIATE`` for every transaction and a
    deferred one, on a snapshot taken first, for reads that need one (``reading``)."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: dict[sqlite3.Connection, threading.Thread] = {}  # each connection, and its thread
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA secure_delete=ON")  # zero deleted bytes: erasure must not leave them in the file
            self._local.conn = conn
            with self._lock:
                self._close_orphans()
                self._all[conn] = threading.current_thread()
        return conn

    def _close_orphans(self) -> None:
        """Close the connections of threads that have ended. The embedded server runs each
        request on a new thread, and a rebuild each pass: kept open, their connections (two
        file descriptors each) would run the process out of descriptors (after about 500
        requests under a limit of 1,024), and every request after that fail to open the file."""
        for conn, thread in list(self._all.items()):
            if not thread.is_alive():
                conn.close()
                del self._all[conn]

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield _SQLiteTx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """Reads on one snapshot, taken (with the schema it had) before any of them is prepared.

        Without a transaction each statement gets a snapshot of its own, and SQLite prepares it
        against the schema it last loaded: a schema change committed meanwhile by a rebuild's
        switch (or any CREATE, DROP or RENAME) then fails the read. The full-text table fails
        worst: its constructor, run while a statement is prepared after every schema change,
        reads its own tables at a newer snapshot than the schema, and the read gets
        ``SQLITE_SCHEMA`` ("vtable constructor failed: projects_fts"). The deferred BEGIN takes
        no write lock: in WAL mode writers do not hold these reads up."""
        conn = self._connection()
        if conn.in_transaction:  # inside this thread's own transaction: its snapshot already
            yield _Reading(self.dialect, _SQLiteTx(conn))
            return
        conn.execute("BEGIN")
        try:
            conn.execute(_SNAPSHOT).fetchall()
            yield _Reading(self.dialect, _SQLiteTx(conn))
        finally:
            conn.execute("ROLLBACK")  # nothing to keep: it only read

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """One statement on a snapshot of its own: that alone is half the cost of a point read
        in ``reading``; refused for a schema changed under it (``SQLITE_SCHEMA``, see
        ``reading``), it is read again there, where that cannot happen."""
        conn = self._connection()
        try:
            return _SQLiteTx(conn).query(sql, params)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_SCHEMA or conn.in_transaction:
                raise
        with self.reading() as reader:
            return reader.query(sql, params)

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


class _PostgresTx:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    @staticmethod
    @functools.lru_cache(maxsize=1024)  # a view has a few dozen statements, sent thousands of times
    def _sql(sql: str) -> str:
        return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        return self.conn.execute(self._sql(sql), dict(params or {})).rowcount

    def execute_many(self, sql: str, params: list[Mapping[str, Any]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(self._sql(sql), [dict(p) for p in params])

    def pipeline(self) -> AbstractContextManager[Any]:
        """psycopg pipeline mode: send statements without waiting for each reply."""
        return self.conn.pipeline()

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        with self.conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return list(self.conn.execute(self._sql(sql), dict(params or {})).fetchall())


@dataclass(frozen=True)
class Timeouts:
    """Bounds on every wait for PostgreSQL, so an outage answers 503 in seconds, not minutes."""

    connect: float = 2.0  # to open a connection (libpq connect_timeout)
    pool: float = 2.0  # to be handed a pooled connection
    statement: float = 15.0  # for one statement, server side
    # psycopg_pool retries a lost connection with doubling waits for 5 minutes by default,
    # so a pool could sit out minutes after the database came back. Giving up soon lets
    # the next request start a fresh attempt instead.
    reconnect: float = 5.0


class PostgresDatabase:
    """A psycopg 3 connection pool; each transaction is one pooled connection."""

    dialect = "postgres"

    def __init__(self, url: str, *, max_size: int = 10, timeouts: Timeouts | None = None) -> None:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        timeouts = timeouts or Timeouts()
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            kwargs={"row_factory": dict_row, **connection_options(timeouts)},
            open=True,
            name="pipeline-read",
            timeout=timeouts.pool,
            reconnect_timeout=timeouts.reconnect,
        )

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self.pool.connection() as conn, conn.transaction():
            yield _PostgresTx(conn)

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        with self.transaction() as tx:
            yield _Reading(self.dialect, tx)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.transaction() as tx:
            return tx.query(sql, params)

    def close(self) -> None:
        self.pool.close()


def connection_options(timeouts: Timeouts) -> dict[str, Any]:
    """libpq options bounding the connect and every statement (whole seconds and ms), and
    TCP keepalives so a connection to a host that vanished (no reset ever comes) is dropped
    in about 10 s instead of the kernel's two hours."""
    return {
        "connect_timeout": max(int(round(timeouts.connect)), 1),
        "options": f"-c statement_timeout={int(timeouts.statement * 1000)}",
        "keepalives": 1,
        "keepalives_idle": 4,
        "keepalives_interval": 2,
        "keepalives_count": 3,
    }


def missing_table(error: BaseException) -> bool:
    """The database answered, but without our tables: ``pipeline init`` has not been run."""
    import psycopg

    text = str(error).lower()
    return (
        isinstance(error, psycopg.errors.UndefinedTable)
        or isinstance(error.__cause__, psycopg.errors.UndefinedTable)
        or "no such table" in text
        or ("stored_event" in text and "not found" in text)
        or ("does not exist" in text and "relation" in text)
    )


class DatabaseUnreachable(RuntimeError):
    """The database cannot be reached or refuses us; the message names it (never the password)."""


def describe_url(url: str) -> str:
    """host:port/dbname (or the SQLite file): enough to find it, without credentials."""
    if url.startswith("sqlite:"):
        return sqlite_path(url)
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}/{parts.path.lstrip('/') or 'postgres'}"


def probe(url: str, timeout: float) -> None:
    """Connect once and run ``SELECT 1``; raise ``DatabaseUnreachable`` saying where and why."""
    try:
        if url.startswith("sqlite:"):
            path = sqlite_path(url)
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(path, timeout=timeout)) as conn:
                conn.execute("SELECT 1")
            return
        import psycopg

        with psycopg.connect(url, connect_timeout=max(int(round(timeout)), 1)) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # every driver and OS error: say which, not how
        reason = " ".join(str(error).split()) or type(error).__name__
        raise DatabaseUnreachable(f"Cannot reach the database {describe_url(url)}: {reason}") from None


def sqlite_path(url: str) -> str:
    """``sqlite:///var/x.db`` is relative to the working directory, ``sqlite:////abs`` absolute."""
    return url.split("sqlite:///", 1)[1] if url.startswith("sqlite:///") else urlsplit(url).path


def open_database(url: str, *, pool_size: int = 10, timeouts: Timeouts | None = None) -> ReadDatabase:
    if url.startswith("sqlite:"):
        return SQLiteDatabase(sqlite_path(url))
    if url.startswith(("postgresql:", "postgres:")):
        return PostgresDatabase(url, max_size=pool_size, timeouts=timeouts)
    raise ValueError(f"DATABASE_URL must start with sqlite:/// or postgresql://, not {url!r}")
