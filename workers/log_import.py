"""``pipeline events import``: a file written by ``workers.transfer.export`` into an empty
store (SQLite or PostgreSQL, whichever the source was).

Checked before anything is written: the file is whole (its end line is there and counts
what the header says), this process has the KEK(s) the keys are wrapped under, and the
store holds no event and no key. Then, in one transaction: the keys as they were, and
every event at its original position, with the store's sequence moved past the last.
Then the views are built from the log, and the processes that act on the world (the
notifier) are put at the head, so nobody is mailed about an imported event."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from projections import runner
from projections.base import Projection
from projections.db import Transaction
from workers import follow
from workers.adapters import idempotency, keys, mail, sessions
from workers.adapters.kek import UnknownKek
from workers.bootstrap import Runtime
from workers.transfer import Advance, Header, TransferError

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


def import_log(rt: Runtime, path: Path, *, advance: Advance = lambda n: None) -> Imported:
    """Check, then write the keys and events; processes are put at the head. The views are
    built next (``build_view``, each from position 0)."""
    with path.open() as source:
        header = Header.parse(source.readline())
        check_whole(path, header)
        check_keks(rt, header)
        check_empty(rt)
        with rt.db.transaction() as tx:
            _write(rt, tx, _records(source), advance)
    head = runner.head(rt.app)
    _processes_at(rt, head)
    return Imported(header, head, [view.name for view in views()])


def views() -> list[Projection]:
    """What the import builds from the log: every follower but those acting on the world."""
    return [f for f in follow.all_followers() if not f.starts_at_head]


def build_view(rt: Runtime, view: Projection, advance: Advance | None = None) -> int:
    return runner.catch_up(rt.app, rt.db, view, batch_size=max(rt.settings.batch_size, BATCH), progress=advance)


def _records(source: IO[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(source, start=2):
        try:
            yield json.loads(line)
        except ValueError:
            raise TransferError(f"Line {number} of the export is not JSON: the file is damaged.") from None


def check_whole(path: Path, header: Header) -> None:
    """The file ends with its end line, and holds as many lines as the header says."""
    expected = 1 + header.person_keys + header.events + 1  # header, keys, events, end (+ secret keys)
    lines, last = 0, ""
    with path.open() as source:
        for line in source:
            lines, last = lines + 1, line
    try:
        end = json.loads(last)
    except ValueError:
        end = None
    if not isinstance(end, dict) or not end.get("end") or end.get("events") != header.events or lines < expected:
        raise TransferError(f"{path} is incomplete (no end line, or fewer events than its header says): export again.")


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


def _write(rt: Runtime, tx: Transaction, records: Iterator[dict[str, Any]], advance: Advance) -> None:
    insert, table = _insert_sql(rt), rt.app.recorder.events_table_name  # type: ignore[attr-defined]
    postgres = rt.db.dialect == "postgres"
    batch: list[Mapping[str, Any]] = []
    last = 0
    for record in records:
        if "secret_key" in record:
            tx.execute(INSERT_INDEX_KEY, _key_row(record["secret_key"], "name"))
        elif "person_key" in record:
            tx.execute(INSERT_PERSON, _key_row(record["person_key"], "person_id"))
        elif "position" in record:
            batch.append(_event_row(record, postgres))
            last = int(record["position"])
            if len(batch) == BATCH:
                tx.execute_many(insert, batch)
                advance(len(batch))
                batch = []
    if batch:
        tx.execute_many(insert, batch)
        advance(len(batch))
    if postgres and last:
        tx.query(f"SELECT setval(pg_get_serial_sequence('{table}', 'notification_id'), :last)", {"last": last})


def _key_row(row: dict[str, Any], key: str) -> dict[str, Any]:
    return {key: row[key], "kek_id": row["kek_id"], "wrapped": row["wrapped"], "created_at": row["created_at"]}


def _event_row(record: dict[str, Any], postgres: bool) -> dict[str, Any]:
    originator = UUID(record["originator_id"])
    return {
        "position": int(record["position"]),
        "originator_id": str(originator) if postgres else originator.hex,  # as each store writes it
        "version": int(record["version"]),
        "topic": record["topic"],
        "state": base64.b64decode(record["state"]),
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
