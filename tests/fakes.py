"""Fakes for unit tests only: an in-memory key store, a fast password hasher, and the
in-memory event store holding saves to what they decided on as the real stores do."""

from __future__ import annotations

import base64
import hashlib
import hmac
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory

from domain.application import PipelineApplication
from projections.sqlite_events import raise_if_moved
from workers.adapters.keys import email_index_id


class MemoryKeys:
    """Keeps a per-person key in a dict; 'sealing' is reversible XOR with it (not secure: a fake)."""

    def __init__(self) -> None:
        self.keys: dict[UUID, bytes] = {}
        self.index_key = uuid4().bytes * 2

    def new_key(self, person_id: UUID) -> None:
        self.keys[person_id] = uuid4().bytes * 4

    def _xor(self, key: bytes, data: bytes) -> bytes:
        stream = (key * (len(data) // len(key) + 1))[: len(data)]
        return bytes(a ^ b for a, b in zip(data, stream, strict=True))

    def seal(self, person_id: UUID, value: str | None) -> str | None:
        if value is None:
            return None
        return "fake:" + base64.b64encode(self._xor(self.keys[person_id], value.encode())).decode()

    def open(self, person_id: UUID, sealed: str | None) -> str | None:
        key = self.keys.get(person_id)
        if sealed is None or key is None:
            return None
        return self._xor(key, base64.b64decode(sealed[5:])).decode()

    def forget(self, person_id: UUID) -> None:
        self.keys.pop(person_id, None)

    def email_index_id(self, email: str) -> UUID:
        return email_index_id(self.index_key, email)

    def revealer(self, person_ids: Iterable[UUID]) -> Callable[[UUID, str | None], str | None]:
        """What the projection runner opens sealed fields with (here every key is at hand)."""
        return self.open


class FastHasher:
    def hash(self, password: str) -> str:
        return hashlib.sha256(password.encode()).hexdigest()

    def verify(self, hashed: str, password: str) -> bool:
        return hmac.compare_digest(hashed, self.hash(password))


class CheckingMemoryRecorder(POPOApplicationRecorder):
    """eventsourcing's in-memory recorder, also checking a save's ``unchanged`` versions
    (``PipelineApplication.save``'s ``decided_on``) under its lock, before it inserts."""

    checks_unchanged = True

    def _assert_uniqueness(self, stored_events: Sequence[Any], **kwargs: Any) -> None:
        super()._assert_uniqueness(stored_events, **kwargs)
        unchanged: dict[UUID, int] = kwargs.get("unchanged") or {}
        raise_if_moved(unchanged, {i: max(self._stored_events_index.get(str(i), {0: 0})) for i in unchanged})


class MemoryStore(POPOFactory):
    def application_recorder(self) -> CheckingMemoryRecorder:
        return CheckingMemoryRecorder()


def memory_application(load_register: bool = True) -> PipelineApplication:
    """A fresh application in memory, by default holding the register's councils and domains
    (the events one ``load_register()`` records, loaded once per session and copied in)."""
    app = _bare_application()
    if load_register:
        app.recorder.insert_events(list(_register_events()))
    return app


def _bare_application() -> PipelineApplication:
    return PipelineApplication(
        env={"PERSISTENCE_MODULE": "tests.fakes:MemoryStore"}, personal=MemoryKeys(), passwords=FastHasher()
    )


@cache
def _register_events() -> tuple[StoredEvent, ...]:
    """Loading the register builds 470 councils and their domains, a third of a second:
    done once, its stored events (immutable, keyed by no personal key) serve every test."""
    app = _bare_application()
    app.load_register()
    stored = app.recorder.select_notifications(start=None, limit=sys.maxsize)
    return tuple(StoredEvent(e.originator_id, e.originator_version, e.topic, e.state) for e in stored)


class Clock:
    """A clock a test moves instead of sleeping: call it for the time, ``advance`` it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
