"""Reading a ``pipeline-events`` file (``workers.history.transfer.export``) line by line, so that an
import refuses any damage before it writes anything.

Every line after the header is checked for what it must be: keys, then events, then the
end line, nothing after it. A key line has its four text fields, names a person (or a
secret) only once, and opens under its KEK for that very row. An event line has exactly
its five fields of the right kinds; positions rise strictly (never above the header's
head); each aggregate's versions run 1, 2, 3... (a duplicate or a gap is refused); and,
when ``decode`` is asked, the event decodes with the target's own mapper, into an
event holding every field its class requires. The end line
counts what the header says, its SHA-256 is that of every byte before it, and its MAC
verifies under the KEK it names, which this installation must hold (``transfer.mac``).
Any fault is a ``TransferError`` naming the line and what is wrong."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.person import Person
from workers.adapters.kek import KekError
from workers.adapters.keys import EMAIL_INDEX, unwrap_row
from workers.history.transfer.export import Header, TransferError, mac
from workers.history.transfer.export import field as need
from workers.runtime.bootstrap import Runtime

KEY_FIELDS = ("kek_id", "wrapped", "created_at")
EVENT_FIELDS = frozenset({"position", "originator_id", "version", "topic", "state"})
SECTIONS = ("secret_key", "person_key", "event", "end")
SIGNED_UP, ERASED = get_topic(Person.SignedUp), get_topic(Person.Erased)


@dataclass(frozen=True)
class KeyLine:
    table: str  # "secret_keys" or "person_keys"
    row: dict[str, str]


@dataclass(frozen=True)
class EventLine:
    position: int
    originator_id: UUID
    version: int
    topic: str
    state: bytes


@dataclass
class Tally:
    """What the lines read so far hold; ``unused_keys`` is known once the file is read."""

    section: int = 0
    events: int = 0
    last: int = 0
    versions: dict[UUID, int] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    people: set[str] = field(default_factory=set)
    erased: set[str] = field(default_factory=set)

    @property
    def unused_keys(self) -> set[str]:
        """Keys of people with no sign-up in the file, or erased in it: they would open nothing
        (a sign-up that failed after making its key), or must not (an erasure cut short)."""
        return self.keys - (self.people - self.erased)


def read(rt: Runtime, path: Path, header: Header, *, decode: bool, tally: Tally) -> Iterator[KeyLine | EventLine]:
    """Every key and event line of ``path``, checked; raises at the first fault, and at the end
    unless the end line is there and agrees (so a caller writing as it reads must roll back)."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        digest.update(source.readline())
        for number, raw in enumerate(source, start=2):
            record = _json(raw, number)
            kind = _kind(record, number, tally)
            if kind == "end":
                _check_end(rt, record, number, header, tally, digest.hexdigest())
                continue
            digest.update(raw)
            if kind == "event":
                yield _event(rt, record, number, header, tally, decode)
            else:
                yield _key(rt, record[kind], kind, number, tally)
    if tally.section < SECTIONS.index("end"):
        raise TransferError(f"{path} is incomplete (it has no end line: it was cut short): export again.")


def _json(raw: bytes, number: int) -> dict[str, Any]:
    try:
        record = json.loads(raw)
    except ValueError:  # UnicodeDecodeError too
        record = None
    if not isinstance(record, dict):
        raise TransferError(f"Line {number} of the export is not a JSON object: the file is damaged or cut short.")
    return record


def _kind(record: dict[str, Any], number: int, tally: Tally) -> str:
    if tally.section == SECTIONS.index("end"):
        raise TransferError(f"Line {number} of the export comes after its end line: the file was changed.")
    kind = "event" if "position" in record else next((k for k in SECTIONS if k in record), None)
    if kind is None:
        raise TransferError(f"Line {number} of the export is neither a key, an event nor the end line.")
    if SECTIONS.index(kind) < tally.section:
        after = SECTIONS[tally.section].replace("_", " ")
        raise TransferError(f"Line {number} of the export: a {kind.replace('_', ' ')} line after the {after} lines.")
    tally.section = SECTIONS.index(kind)
    return kind


def _key(rt: Runtime, row: Any, kind: str, number: int, tally: Tally) -> KeyLine:
    if not isinstance(row, dict):
        raise TransferError(f"Line {number} of the export: its {kind!r} is not an object.")
    name = "name" if kind == "secret_key" else "person_id"
    values = {f: need(row, f, str, number) for f in (name, *KEY_FIELDS)}
    if kind == "person_key":
        values[name] = str(_uuid(values[name], number))
    seen = tally.secrets if kind == "secret_key" else tally.keys
    if values[name] in seen:
        raise TransferError(f"Line {number} of the export: a second key for {values[name]}.")
    seen.add(values[name])
    try:
        unwrap_row(rt.keys.ring, values)
    except (KekError, ValueError) as error:  # an unknown KEK, bad base64, or a key edited or moved
        raise TransferError(
            f"Line {number} of the export: the key for {values[name]} does not open ({error})"
        ) from None
    return KeyLine("secret_keys" if kind == "secret_key" else "person_keys", values)


def _event(rt: Runtime, record: dict[str, Any], number: int, header: Header, tally: Tally, decode: bool) -> EventLine:
    if extra := sorted(set(record) - EVENT_FIELDS):
        raise TransferError(f"Line {number} of the export: unexpected field(s) {', '.join(extra)} in an event.")
    position, version = need(record, "position", int, number), need(record, "version", int, number)
    originator, topic = _uuid(need(record, "originator_id", str, number), number), need(record, "topic", str, number)
    if not tally.last < position <= header.head:
        raise TransferError(
            f"Line {number} of the export: position {position} does not follow {tally.last} (positions must rise,"
            f" up to the header's head {header.head}): the file was reordered or changed."
        )
    expected = tally.versions.get(originator, 0) + 1
    if version != expected:
        raise TransferError(
            f"Line {number} of the export: version {version} of {originator} where {expected} was due"
            " (an event of that aggregate is missing, repeated or out of order)."
        )
    try:
        state = base64.b64decode(need(record, "state", str, number), validate=True)
    except binascii.Error:
        raise TransferError(f"Line {number} of the export: its 'state' is not base64.") from None
    event = EventLine(position, originator, version, topic, state)
    if decode:
        _decode(rt, event, number)
    tally.last, tally.events, tally.versions[originator] = position, tally.events + 1, version
    if topic in (SIGNED_UP, ERASED):
        (tally.people if topic == SIGNED_UP else tally.erased).add(str(originator))
    return event


def _decode(rt: Runtime, event: EventLine, number: int) -> None:
    stored = StoredEvent(event.originator_id, event.version, event.topic, event.state)
    try:
        decoded = rt.app.mapper.to_domain_event(stored)
    except Exception as error:  # an unknown topic, bytes that are not an event
        problem = type(error).__name__
    else:  # the mapper fills an event's fields from whatever the bytes hold: each field it needs must be there
        missing = [f.name for f in _required(type(decoded)) if f.name not in vars(decoded)]
        if not missing:
            return
        problem = f"no {', '.join(missing)}"
    raise TransferError(
        f"Line {number} of the export: the event at position {event.position} does not decode ({problem}):"
        " the file was changed."
    )


def _required(cls: type) -> list[dataclasses.Field[Any]]:
    if not dataclasses.is_dataclass(cls):
        return []
    empty = dataclasses.MISSING
    return [f for f in dataclasses.fields(cls) if f.default is empty and f.default_factory is empty]


def _uuid(text: str, number: int) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise TransferError(f"Line {number} of the export: {text[:40]!r} is not an id.") from None


def _check_end(rt: Runtime, record: dict[str, Any], number: int, header: Header, tally: Tally, digest: str) -> None:
    if record.get("end") is not True or record.get("events") != header.events or tally.events != header.events:
        raise TransferError(
            f"The export is incomplete: its header says {header.events} events, its end line (line {number})"
            f" {record.get('events')}, and it holds {tally.events}: export again."
        )
    if len(tally.keys) != header.person_keys:
        raise TransferError(
            f"The export holds {len(tally.keys)} personal keys where its header says {header.person_keys}."
        )
    if EMAIL_INDEX not in tally.secrets:
        raise TransferError("The export has no email index key: it cannot have come from `pipeline events export`.")
    if record.get("sha256") != digest:
        raise TransferError(
            f"The export's content does not match the digest on its end line (line {number}):"
            " it was changed or damaged."
        )
    _check_mac(rt, record, number, digest)


def _check_mac(rt: Runtime, record: dict[str, Any], number: int, digest: str) -> None:
    kek_id, sealed = record.get("mac_kek"), record.get("mac")
    if not isinstance(kek_id, str) or not isinstance(sealed, str):
        raise TransferError(f"The export's end line (line {number}) carries no MAC: it was changed; export again.")
    try:
        kek = rt.keys.ring.get(kek_id)
    except KekError:
        raise TransferError(
            f"The export was sealed under key-encryption key {kek_id[:16]!r}, which this installation does not"
            " hold: configure that KEK (PIPELINE_SECRET_KEY or the key file) to import it."
        ) from None
    if not hmac.compare_digest(sealed, mac(kek, digest)):
        raise TransferError(
            f"The export's MAC (line {number}) does not verify: its content was changed after it was exported"
            " (a recomputed digest is not enough). Nothing was imported; export again from the source."
        )
