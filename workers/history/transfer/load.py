"""``pipeline events import``: a file written by ``workers.history.transfer.export.export`` into an empty
store (SQLite or PostgreSQL, whichever the source was).

Checked before anything is written: this process has the KEK(s) the keys are wrapped under,
the store holds no event and no key, and every line of the file is what it must be, each
event decoding with this store's mapper (``workers.history.transfer.read``). Then, in one
transaction, reading the file again with the same checks (a file changed meanwhile rolls
back): the keys as they were (but those of people without a living sign-up in the file),
and every event at its original position, with the store's sequence moved to the last.
Then the views are built from the log, and the processes that act on the world (the
notifier) are put at the head, so nobody is mailed about an imported event."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from projections import runner
from projections.base import Projection
from projections.db import Transaction
from workers.adapters import idempotency, keys, mail, sessions
from workers.adapters.kek import UnknownKek
from workers.history.transfer.export import Advance, Header, TransferError
from workers.history.transfer.read import EventLine, KeyLine, Tally, read
from workers.runtime import follow
from workers.runtime.bootstrap import Runtime

BATCH = 1000
INSERT_INDEX_KEY = (
    "INSERT INTO secret_keys (name, kek_id, wrapped, created_at) VALUES (:name, :kek_id, :wrapped, :created_at)"
)
INSERT_PERSON = (
    "INSERT INTO person_keys (person_id, kek_id, wrapped, created_at)"
    " VALUES (:person_id, :kek_id, :wrapped, :created_at)"
)


@dataclass(frozen=True)
class Imported:
    header: Header
    head: int
    views: list[str]
    unused_keys: int  # keys in the file of people without a living sign-up in it: not imported


def import_log(rt: Runtime, path: Path, *, advance: Advance = lambda n: None) -> Imported:
    """Check, then write the keys and events; processes are put at the head. The views are
    built next (``build_view``, each from position 0)."""
    header = Header.read(path)
    check_keks(rt, header)
    check_empty(rt)
    checked = Tally()
    for _ in read(rt, path, header, decode=True, tally=checked):
        pass
    with rt.db.transaction() as tx:
        _write(rt, tx, read(rt, path, header, decode=False, tally=Tally()), checked.unused_keys, advance)
    head = runner.head(rt.app)
    _processes_at(rt, head)
    return Imported(header, head, [view.name for view in views()], len(checked.unused_keys))


def views() -> list[Projection]:
    """What the import builds from the log: every follower but those acting on the world."""
    return [f for f in follow.all_followers() if not f.starts_at_head]


def build_view(rt: Runtime, view: Projection, advance: Advance | None = None) -> int:
    return runner.catch_up(rt.app, rt.db, view, batch_size=max(rt.settings.batch_size, BATCH), progress=advance)


def check_keks(rt: Runtime, header: Header) -> None:
    """Refuse, before anything is written, unless this process has every KEK the file needs."""
    try:
        for kek_id in header.keks:
            rt.keys.ring.get(kek_id)
    except UnknownKek:
        raise TransferError(
            f"The export's keys are wrapped under key-encryption key(s) {', '.join(header.keks)}, but this store"
            f" is given {', '.join(rt.keys.ring.ids)}. Give the import the same KEK as the source"
            " (PIPELINE_SECRET_KEY_FILE or PIPELINE_SECRET_KEY): without it no personal data could be read."
        ) from None


def check_empty(rt: Runtime) -> None:
    """Refuse a store that already holds an event or a key: an import writes a whole history."""
    head = runner.head(rt.app)
    if head:
        raise TransferError(
            f"The target store is not empty (its log reaches position {head}): import only into a new, empty"
            " database, without running `pipeline init` on it first."
        )
    _create_read_tables(rt)
    held = sum(int(rt.db.query(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"]) for t in ("person_keys", "secret_keys"))
    if held:
        raise TransferError("The target store already holds personal-data keys: import only into an empty database.")


def _create_read_tables(rt: Runtime) -> None:
    """What ``pipeline init`` creates, without loading the register (the log brings its own)."""
    runner.create_tables(rt.db, follow.all_followers(), keys.DDL + sessions.DDL + mail.DDL + idempotency.DDL)
    sessions.add_token_binding(rt.db)
    mail.migrate(rt.db)


def _write(
    rt: Runtime, tx: Transaction, lines: Iterator[KeyLine | EventLine], unused: set[str], advance: Advance
) -> None:
    insert, table = _insert_sql(rt), rt.app.recorder.events_table_name  # type: ignore[attr-defined]
    postgres = rt.db.dialect == "postgres"
    batch: list[Mapping[str, Any]] = []
    last = 0
    for line in lines:
        if isinstance(line, KeyLine):
            if line.row.get("person_id") not in unused:
                tx.execute(INSERT_INDEX_KEY if line.table == "secret_keys" else INSERT_PERSON, line.row)
            continue
        batch.append(_event_row(line, postgres))
        last = line.position  # positions rise strictly: the last is the largest
        if len(batch) == BATCH:
            tx.execute_many(insert, batch)
            advance(len(batch))
            batch = []
    if batch:
        tx.execute_many(insert, batch)
        advance(len(batch))
    if postgres and last:
        tx.query(f"SELECT setval(pg_get_serial_sequence('{table}', 'notification_id'), :last)", {"last": last})


def _event_row(line: EventLine, postgres: bool) -> dict[str, Any]:
    return {
        "position": line.position,
        "originator_id": str(line.originator_id) if postgres else line.originator_id.hex,  # as each store writes it
        "version": line.version,
        "topic": line.topic,
        "state": line.state,
    }


def _insert_sql(rt: Runtime) -> str:
    table = rt.app.recorder.events_table_name  # type: ignore[attr-defined]
    if rt.db.dialect == "postgres":
        return (
            f"INSERT INTO {table} (notification_id, originator_id, originator_version, topic, state)"
            " VALUES (:position, CAST(:originator_id AS uuid), :version, :topic, :state)"
        )
    return (
        f"INSERT INTO {table} (rowid, originator_id, originator_version, topic, state)"
        " VALUES (:position, :originator_id, :version, :topic, :state)"
    )


def _processes_at(rt: Runtime, head: int) -> None:
    """Processes that act on the world start at the head: the past is not acted on again."""
    with rt.db.transaction() as tx:
        for process in follow.all_followers():
            if process.starts_at_head:
                tx.execute(
                    "UPDATE projection_positions SET position = :head WHERE name = :name",
                    {"head": head, "name": process.name},
                )
