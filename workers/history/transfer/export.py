"""Export the whole event log to a file and import it into an empty store, either database.

The file is NDJSON (one JSON object a line), format ``pipeline-events`` version 2:

1. a header: ``{"format", "version", "head", "events", "person_keys", "keks", "source",
   "exported_at"}``; ``keks`` lists the ids of the key-encryption keys the keys are
   wrapped under: the target must be configured with the same KEK(s);
2. ``{"secret_key": {...}}`` and ``{"person_key": {...}}`` lines: the email index key and
   every living person's key, exactly as stored (wrapped under the KEK, never in clear);
   an erased person has no key, so stays erased;
3. one ``{"position", "originator_id", "version", "topic", "state"}`` line per event, in
   log order; ``state`` is the stored bytes in base64, untouched (times, ids and versions
   inside it stay as they were);
4. ``{"end": true, "events": N, "sha256": H, "mac_kek": K, "mac": M}``, H the SHA-256 of
   every byte before this line and M an HMAC-SHA256 of H under a key derived from the
   key-encryption key K (the current KEK of the exporting installation, which the
   operator holds outside the database): a file without it was cut short, one whose bytes
   differ was changed, and one whose MAC does not verify under the importer's KEK K was
   changed and "resealed" (anyone can recompute a plain digest) or made under another
   KEK; all are refused (``workers.history.transfer.read`` checks every line before anything is
   written). Version 1 files carried only the digest: they are refused, with the advice
   to export again.

The import writes each event at its original position (the views and the notifier keep
positions), moves the store's sequence past the last one, builds every view from the
log, and puts processes that act on the world (the notifier) at the head: nothing
imported sends mail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from projections import runner
from workers.adapters.kek import Kek
from workers.runtime.bootstrap import Runtime

FORMAT, VERSION = "pipeline-events", 2
PAGE = 1000
Advance = Callable[[int], None]


class TransferError(RuntimeError):
    """The file or the target store is not fit for an import (the message says why)."""


@dataclass(frozen=True)
class Header:
    head: int
    events: int
    person_keys: int
    keks: list[str]
    source: str

    @classmethod
    def read(cls, path: Path) -> Header:
        with path.open("rb") as source:
            return cls.parse(source.readline())

    @classmethod
    def parse(cls, line: bytes | str) -> Header:
        try:
            raw = json.loads(line)
        except ValueError:  # UnicodeDecodeError too
            raw = None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise TransferError(f"This is not a Pipeline event export (its first line is not a {FORMAT} header).")
        if raw.get("version") == 1:
            raise TransferError(
                "This export is in format version 1, whose end line carries no keyed MAC: its content cannot be"
                " told from a forgery, so it is not imported. Export again from the source installation with this"
                " version (`pipeline events export FILE`), then import that file here with the same"
                " key-encryption key."
            )
        if raw.get("version") != VERSION:
            raise TransferError(f"Export format version {raw.get('version')} is not supported (only {VERSION}).")
        head, events, person_keys = (field(raw, name, int) for name in ("head", "events", "person_keys"))
        if min(head, events, person_keys) < 0:
            raise TransferError("Line 1 (the header): head, events and person_keys cannot be negative.")
        keks = field(raw, "keks", list)
        if not all(isinstance(k, str) for k in keks):
            raise TransferError("Line 1 (the header): keks must be a list of key ids.")
        return cls(head, events, person_keys, keks, field(raw, "source", str))


def field(raw: dict[str, Any], name: str, kind: type, line: int = 1) -> Any:
    """``raw[name]``, which must be a ``kind`` (a bool is not an int), or a TransferError naming the line."""
    value = raw.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        wanted = {int: "a whole number", str: "text", list: "a list", dict: "an object"}.get(kind, kind.__name__)
        problem = "is missing" if name not in raw else f"is not {wanted}"
        raise TransferError(f"Line {line} of the export: its {name!r} {problem}.")
    return value


def mac(kek: Kek, digest: str) -> str:
    """The end line's MAC: HMAC-SHA256 of the content's SHA-256, under a key derived from the
    KEK (never the KEK itself), so only a holder of that KEK can make or check one."""
    key = hmac.new(kek.key, b"pipeline-events export mac", hashlib.sha256).digest()
    return hmac.new(key, f"{FORMAT} {VERSION}\n{digest}".encode(), hashlib.sha256).hexdigest()


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":")) + "\n"


# ---------------------------------------------------------------------------------- export
def export(rt: Runtime, path: Path, advance: Advance = lambda n: None) -> Header:
    """Write the log up to its head now, with the keys, to ``path`` (atomically)."""
    head = runner.head(rt.app)
    secrets = rt.db.query("SELECT name, kek_id, wrapped, created_at FROM secret_keys ORDER BY name")
    people = rt.db.query("SELECT person_id, kek_id, wrapped, created_at FROM person_keys ORDER BY person_id")
    body = path.with_name(f".{path.name}.{os.getpid()}.events")
    count = 0
    try:
        with body.open("w") as out:
            for line_count, lines in _event_pages(rt, head):
                out.write(lines)
                count += line_count
                advance(line_count)
        keks = sorted({row["kek_id"] for row in [*secrets, *people]})
        source = rt.db.dialect
        header = {"format": FORMAT, "version": VERSION, "head": head, "events": count}
        header |= {"person_keys": len(people), "keks": keks, "source": source}
        header["exported_at"] = datetime.now(UTC).isoformat()
        _assemble(path, header, secrets, people, body, count, rt.keys.ring.current)
    finally:
        body.unlink(missing_ok=True)
    return Header(head, count, len(people), keks, source)


def _event_pages(rt: Runtime, head: int) -> Iterator[tuple[int, str]]:
    after = 0
    while after < head:
        page = rt.app.recorder.select_notifications(start=after + 1, limit=PAGE, stop=head)
        if not page:
            return
        lines = [
            _dumps(
                {
                    "position": n.id,
                    "originator_id": str(UUID(str(n.originator_id))),
                    "version": n.originator_version,
                    "topic": n.topic,
                    "state": base64.b64encode(n.state).decode(),
                }
            )
            for n in page
        ]
        yield len(lines), "".join(lines)
        after = page[-1].id


def _assemble(
    path: Path, header: dict[str, Any], secrets: list[dict], people: list[dict], body: Path, count: int, kek: Kek
) -> None:
    """Header, keys, events, then the end line, which carries the SHA-256 of every byte before
    it and that digest's MAC under ``kek``."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()

    def write(out: IO[bytes], data: bytes) -> None:
        digest.update(data)
        out.write(data)

    try:
        with partial.open("wb") as out:
            write(out, _dumps(header).encode())
            for line in [
                *({"secret_key": dict(row)} for row in secrets),
                *({"person_key": dict(row)} for row in people),
            ]:
                write(out, _dumps(line).encode())
            with body.open("rb") as events:
                while chunk := events.read(1 << 20):
                    write(out, chunk)
            end = {"end": True, "events": count, "sha256": digest.hexdigest()}
            end |= {"mac_kek": kek.id, "mac": mac(kek, digest.hexdigest())}
            out.write(_dumps(end).encode())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
