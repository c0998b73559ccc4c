"""The PostgreSQL event store with every wait bounded.

eventsourcing 9.5.6 retries each recorder call 10 times, 0.2 s apart, and waits up to
POSTGRES_CONNECT_TIMEOUT (its *pool* wait, 30 s by default) on each try; its libpq
connections have no connect or statement timeout. With the database gone, one call
could block a request for minutes. This factory keeps the library's recorder, and sets:
libpq's connect_timeout and statement_timeout, and fewer retries; a save is one call of a
function of our own (``BoundedRecorder``). It is chosen with
PERSISTENCE_MODULE=workers.adapters.pgstore:Factory (see ``store_env``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import psycopg
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, ProgrammingError
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder, PostgresFactory
from eventsourcing.utils import retry
from psycopg.errors import UndefinedFunction
from psycopg.sql import SQL, Identifier

from projections.db import Timeouts, connection_options
from projections.sqlite_events import raise_if_moved

log = logging.getLogger(__name__)

RETRY_WAIT_SECONDS = 0.2

MOVED = "Decided on aggregates changed since they were read: "  # as ``raise_if_moved`` says it

# One save in one statement (see ``BoundedRecorder``). The EXCLUSIVE lock serialises inserts so
# notification ids commit in order; the check of ``held`` (the aggregates a command decided on
# without changing, at the versions it read) runs under it; NOTIFY and the insert as the library
# does them. RAISE rolls the whole statement back.
INSERT_FUNCTION = (
    "CREATE OR REPLACE FUNCTION {schema}.{name}("
    "ids {id_type}[], versions bigint[], topics text[], states bytea[],"
    " held_ids {id_type}[], held_versions bigint[], wait text) "
    "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
    "DECLARE moved text; "
    "BEGIN "
    "  PERFORM set_config('lock_timeout', wait, true); "
    "  LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
    "  IF cardinality(held_ids) > 0 THEN "
    "    SELECT string_agg(h.id::text, ', ' ORDER BY h.id::text COLLATE \"C\") INTO moved "
    "    FROM unnest(held_ids, held_versions) AS h(id, version) "
    "    WHERE h.version IS DISTINCT FROM ("
    "      SELECT MAX(e.originator_version) FROM {schema}.{table} e WHERE e.originator_id = h.id); "
    "    IF moved IS NOT NULL THEN "
    f"      RAISE EXCEPTION '{MOVED}%', moved; "
    "    END IF; "
    "  END IF; "
    "  NOTIFY {channel}; "
    "  RETURN QUERY INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
    "    SELECT u.id, u.version, u.topic, u.state"
    "    FROM unnest(ids, versions, topics, states) AS u(id, version, topic, state) "
    "    RETURNING {table}.notification_id; "
    "END; $BODY$"
)


class _Bounded:
    """Retry transient faults ``attempts`` times instead of the library's 10."""

    attempts = 2

    def create_table(self) -> None:
        """The library's ``create_table`` tries ``CREATE TYPE`` (which has no IF NOT EXISTS) on every
        run and hides the DuplicateObject it gets, so each `pipeline init` left an ERROR in the
        server's log. Leave that statement out when the type is there already."""
        recorder: Any = self
        datastore = recorder.datastore
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
                " WHERE n.nspname = %s AND t.typname = %s",
                (datastore.schema, recorder.stored_event_type_name),
            )
            made = cursor.fetchone() is not None
        if made:
            statements = recorder.sql_create_statements
            statements[:] = [s for s in statements if "CREATE TYPE" not in s.as_string()]
        super().create_table()  # type: ignore[misc]

    def _bounded(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        undecorated = getattr(method, "__wrapped__", method)
        again = retry((InterfaceError, OperationalError), max_attempts=self.attempts, wait=RETRY_WAIT_SECONDS)
        return again(undecorated)(self, *args, **kwargs)


class BoundedSnapshotRecorder(_Bounded, PostgresAggregateRecorder):
    """The snapshot store's recorder (read first by every ``repository.get``)."""

    def insert_events(self, stored_events: Sequence[Any], **kwargs: Any) -> Any:
        return self._bounded(PostgresAggregateRecorder.insert_events, stored_events, **kwargs)

    def select_events(self, *args: Any, **kwargs: Any) -> Any:
        return self._bounded(PostgresAggregateRecorder.select_events, *args, **kwargs)


class BoundedRecorder(_Bounded, PostgresApplicationRecorder):
    """The event store's recorder. A save may name aggregates it decided on without changing
    (``unchanged``: id -> the version read); it commits only if none has moved since, checked
    under the table lock every insert takes, in the insert's transaction.

    A save is one call of a database function (made by ``pipeline init``, ``create_table``)
    that does what the library's insert does in six statements of a pipelined transaction:
    the lock timeout, the table lock (so commit order is notification order), the check of
    ``unchanged``, NOTIFY, the insert, the ids back. One prepared statement instead of a
    transaction of six halves the web process's CPU per save and PostgreSQL's too. A store
    made before the function existed gets the library's statements until it is initialised
    again."""

    checks_unchanged = True
    one_statement: bool | None = None  # None: not known yet whether the store has the function

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schema = Identifier(self.datastore.schema or "public")
        name = Identifier(f"{self.events_table_name}_insert")
        self.sql_create_statements.append(
            SQL(INSERT_FUNCTION).format(
                schema=schema,
                name=name,
                table=Identifier(self.events_table_name),
                id_type=Identifier(self.datastore.originator_id_type),
                channel=Identifier(self.channel_name),
            )
        )
        self.insert_call = SQL(
            "SELECT {schema}.{name}(%s::{id_type}[], %s::bigint[], %s::text[], %s::bytea[],"
            " %s::{id_type}[], %s::bigint[], %s) AS notification_id"
        ).format(schema=schema, name=name, id_type=Identifier(self.datastore.originator_id_type))

    def _insert_events(self, curs: Any, stored_events: Sequence[Any], **kwargs: Any) -> None:
        unchanged: dict[Any, int] = kwargs.get("unchanged") or {}
        if unchanged:
            self._lock_table(curs)  # taken again by the insert below: a no-op in the same transaction
            statement = SQL(
                "SELECT originator_id, MAX(originator_version) AS version FROM {}.{}"
                " WHERE originator_id = ANY(%s) GROUP BY originator_id"
            ).format(Identifier(self.datastore.schema or "public"), Identifier(self.events_table_name))
            curs.execute(statement, (list(unchanged),))
            raise_if_moved(unchanged, {row["originator_id"]: row["version"] for row in curs.fetchall()})
        super()._insert_events(curs, stored_events, **kwargs)

    def insert_events(self, stored_events: Sequence[Any], **kwargs: Any) -> Any:
        if kwargs.get("unchanged") and self.datastore.enable_db_functions:  # that path skips _insert_events
            raise RuntimeError("POSTGRES_ENABLE_DB_FUNCTIONS skips the check of what a command decided on.")
        if stored_events and self.one_statement is not False and not self.datastore.enable_db_functions:
            try:
                return self._bounded(BoundedRecorder._insert_in_one, stored_events, **kwargs)
            except ProgrammingError as error:
                if not isinstance(error.__cause__, UndefinedFunction):
                    raise
                log.warning("the event store has no %s: run `pipeline init` to make it", self.insert_call.as_string())
                self.one_statement = False
        return self._bounded(PostgresApplicationRecorder.insert_events, stored_events, **kwargs)

    def _insert_in_one(self, stored_events: Sequence[Any], **kwargs: Any) -> list[int]:
        unchanged: dict[Any, int] = kwargs.get("unchanged") or {}
        # four plain arrays, not an array of the composite type: psycopg dumps those in C
        params = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
            list(unchanged),
            list(unchanged.values()),
            f"{self.datastore.lock_timeout}s",
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            try:
                curs.execute(self.insert_call, params, prepare=True)
            except psycopg.errors.RaiseException as error:  # the function's check of ``unchanged``
                if (error.diag.message_primary or "").startswith(MOVED):
                    raise IntegrityError(error.diag.message_primary) from None
                raise
            ids = [row["notification_id"] for row in curs.fetchall()]
        self.one_statement = True
        return ids

    def select_events(self, *args: Any, **kwargs: Any) -> Any:
        return self._bounded(PostgresApplicationRecorder.select_events, *args, **kwargs)

    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        return self._bounded(PostgresApplicationRecorder.select_notifications, *args, **kwargs)

    def max_notification_id(self) -> int | None:
        return self._bounded(PostgresApplicationRecorder.max_notification_id)


class Factory(PostgresFactory):
    """Found by eventsourcing in this module when PERSISTENCE_MODULE names it."""

    application_recorder_class = BoundedRecorder
    aggregate_recorder_class = BoundedSnapshotRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        timeouts = Timeouts(
            connect=float(self.env.get("POSTGRES_LIBPQ_CONNECT_TIMEOUT") or Timeouts.connect),
            statement=float(self.env.get("POSTGRES_STATEMENT_TIMEOUT") or Timeouts.statement),
        )
        # The pool opens lazily, on first use: connections made from here on get these.
        pool = self.datastore.pool
        pool.kwargs.update(connection_options(timeouts))  # type: ignore[union-attr]
        pool.reconnect_timeout = timeouts.reconnect
        self.attempts = max(int(self.env.get("POSTGRES_RETRIES") or BoundedRecorder.attempts), 1)

    def application_recorder(self) -> Any:
        recorder = super().application_recorder()
        recorder.attempts = self.attempts  # type: ignore[attr-defined]
        return recorder

    def aggregate_recorder(self, purpose: str = "events") -> Any:
        recorder = super().aggregate_recorder(purpose)
        recorder.attempts = self.attempts  # type: ignore[attr-defined]
        return recorder


class StoreSettings(Protocol):
    """What the event store's environment is made from."""

    @property
    def db_connect_timeout_seconds(self) -> float: ...

    @property
    def db_pool_timeout_seconds(self) -> float: ...

    @property
    def db_statement_timeout_seconds(self) -> float: ...

    @property
    def db_lock_timeout_seconds(self) -> int: ...

    @property
    def db_retries(self) -> int: ...

    def event_store_env(self, *, create_tables: bool) -> dict[str, str]: ...


def store_env(settings: StoreSettings, *, create_tables: bool) -> dict[str, str]:
    """``Settings.event_store_env`` with this module as the PostgreSQL store and our bounds
    (each key also under the application's prefix, which eventsourcing reads first)."""
    env = settings.event_store_env(create_tables=create_tables)
    if env.get("PERSISTENCE_MODULE") != "eventsourcing.postgres":
        return env
    bounds = {
        "PERSISTENCE_MODULE": f"{__name__}:Factory",
        "POSTGRES_CONNECT_TIMEOUT": str(max(int(round(settings.db_pool_timeout_seconds)), 1)),
        "POSTGRES_LIBPQ_CONNECT_TIMEOUT": str(settings.db_connect_timeout_seconds),
        "POSTGRES_STATEMENT_TIMEOUT": str(settings.db_statement_timeout_seconds),
        "POSTGRES_LOCK_TIMEOUT": str(settings.db_lock_timeout_seconds),
        "POSTGRES_RETRIES": str(settings.db_retries),
    }
    return {**env, **bounds, **{f"PIPELINE_{key}": value for key, value in bounds.items()}}
