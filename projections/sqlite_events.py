"""eventsourcing's SQLite event store with ``PRAGMA secure_delete=ON`` on every
connection, like the read-model connections (``projections.db``): SQLite otherwise
leaves deleted and overwritten bytes in the file's free space, where an erased
person's data could be read back. ``Settings.event_store_env`` names this factory."""

from __future__ import annotations

from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory
from eventsourcing.utils import Environment, EnvType


class SecureDeleteConnectionPool(SQLiteConnectionPool):
    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        connection.cursor().execute("PRAGMA secure_delete=ON")
        return connection


class SecureDeleteSQLiteFactory(SQLiteFactory):
    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        plain = self.datastore.pool  # nothing borrowed from it yet: swap it for ours
        self.datastore.pool = SecureDeleteConnectionPool(db_name=plain.db_name, lock_timeout=plain.lock_timeout)
        plain.close()
