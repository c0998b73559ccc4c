"""The event log as evaluators read it: each stored event as one JSON-safe object, read
page by page so a log of any length streams in bounded memory.

What an event looks like (``render``): ``position``, ``aggregate_id``, ``version``,
``type`` (``Project.Edited``), ``time`` (UTC), ``actor`` (who acted, when the event
says so) and ``data`` (the event's own fields). Personal fields are sealed per person in
the store; here they are opened with the person's key, and are null once the person is
erased: a sealed value never leaves. Password hashes are never shown, opened or not."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from domain.catalogue import type_name
from domain.personal import SEALED
from projections.base import Recorded, Reveal, timestamp
from projections.eventlog import EventLog

NEVER_SHOWN = frozenset({"password_hash"})
ACTOR_FIELDS = ("actor", "person_id", "proposer_id", "author_id", "registered_by")  # the first an event has
ACTS_ITSELF = ("Person.SignedUp", "Person.EmailVerified", "Person.VerificationRequested")
ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp"})
PAGE = 500  # events read from the store at a time


@dataclass(frozen=True)
class Query:
    """Events with a position in (``after``, ``stop``], of ``topics`` (all if empty), at or
    before ``until_time`` if given, at most ``limit`` of them."""

    after: int
    stop: int
    topics: tuple[str, ...]
    until_time: datetime | None
    limit: int


@dataclass
class Cursor:
    """Where a read got to: every matching event up to ``after`` has been returned."""

    after: int
    more: bool = False


def read(app: EventLog, query: Query, cursor: Cursor, page: int = PAGE) -> Iterator[dict[str, Any]]:
    """The matching events in log order, rendered; ``cursor`` is kept up to date as it goes
    (``cursor.after`` ends at the last position looked at). One page in memory at a time."""
    sent, start = 0, query.after
    while sent < query.limit and start < query.stop:
        want = min(page, query.limit - sent) if query.until_time is None else page
        notifications = app.recorder.select_notifications(
            start=start + 1, limit=want, stop=query.stop, topics=query.topics
        )
        if not notifications:
            break
        events: list[tuple[Notification, Any]] = [(n, app.mapper.to_domain_event(n)) for n in notifications]
        reveal = app.personal.revealer({e.originator_id for _, e in events if _holds_sealed(vars(e))})
        for notification, event in events:
            cursor.after = start = notification.id
            if query.until_time is not None and event.timestamp > query.until_time:
                continue
            yield render(notification, event, reveal)
            sent += 1
            if sent == query.limit:
                break
        if len(notifications) < want:
            break
    cursor.after = max(cursor.after, query.stop) if sent < query.limit else cursor.after
    cursor.more = cursor.after < query.stop and _any_after(app, query, cursor.after)


def _any_after(app: EventLog, query: Query, after: int) -> bool:
    return bool(app.recorder.select_notifications(start=after + 1, limit=1, stop=query.stop, topics=query.topics))


def render(notification: Notification, event: Recorded, reveal: Reveal) -> dict[str, Any]:
    fields = {k: v for k, v in vars(event).items() if k not in ENVELOPE}
    owner = event.originator_id
    return {
        "position": notification.id,
        "aggregate_id": str(owner),
        "version": event.originator_version,
        "type": type_name(notification.topic),
        "time": timestamp(event.timestamp),
        "actor": None if (actor := actor_of(event)) is None else str(actor),
        "data": {k: None if k in NEVER_SHOWN else plain(v, lambda s: reveal(owner, s)) for k, v in fields.items()},
    }


def actor_of(event: Recorded) -> UUID | None:
    """Who acted: the person themself for what only they do (sign up, verify, ask again),
    else the first of ``ACTOR_FIELDS`` the event has. The log and every history say the same."""
    if type(event).__qualname__ in ACTS_ITSELF:
        return UUID(str(event.originator_id))
    for field in ACTOR_FIELDS:
        if hasattr(event, field):
            value = getattr(event, field)
            return None if value is None else UUID(str(value))
    return None


def plain(value: Any, opened: Any) -> Any:
    """``value`` as JSON can carry it; sealed strings through ``opened`` (None if it cannot)."""
    if isinstance(value, str):
        return opened(value) if value.startswith(SEALED) else value
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, dict):
        return {str(k): None if k in NEVER_SHOWN else plain(v, opened) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [plain(v, opened) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, (date, UUID, Decimal)):
        return str(value)  # Decimal as text: exact, as stored
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def _holds_sealed(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith(SEALED)
    if isinstance(value, dict):
        return any(_holds_sealed(v) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_holds_sealed(v) for v in value)
    return False
