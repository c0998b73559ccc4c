"""History entries: an aggregate's events as the API shows them, read from the event
store with the state just before each (so a change that records only the new value
still shows what it replaced).

Personal data stays where it may be seen: a person's name and job title are public (as
on ``GET /people/{id}``), "Former member" once erased; their email address only to
themselves; password hashes never. A sealed value is never written out as stored."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from domain.personal import FORMER_MEMBER, PersonalData
from domain.timetravel import replay, version_at
from projections.base import timestamp
from projections.replay import actor_of
from projections.replay import plain as json_value

Key = tuple[str, str, int]  # (time, aggregate id, version): the order entries come in
HIDDEN = ("originator_id", "originator_version", "timestamp", "originator_topic")
PUBLIC_PERSONAL = ("name", "job_title")


def plain(value: Any) -> Any:
    """``value`` as JSON has it; a sealed value left in it is never opened here (None)."""
    return json_value(value, _unopened)


def _unopened(sealed: str) -> None:
    return None


def kind(event: Any) -> str:
    return str(type(event).__qualname__)


class Opener:
    """Opens a person's sealed fields for one reader (``reader``: who asks, or None)."""

    def __init__(self, personal: PersonalData, reader: UUID | None) -> None:
        self.personal, self.reader = personal, reader

    def field(self, person_id: UUID, field: str, sealed: Any) -> tuple[bool, Any]:
        """(may be shown, value) for a personal field of ``person_id``."""
        if field in PUBLIC_PERSONAL:
            opened = self.personal.open(person_id, sealed)
            return True, (opened or FORMER_MEMBER) if field == "name" and sealed else opened
        if field == "email" and self.reader == person_id:
            return True, self.personal.open(person_id, sealed)
        return False, None

    def personal_fields(self, person_id: UUID, data: dict[str, Any]) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        for key, value in data.items():
            if key in (*PUBLIC_PERSONAL, "email", "password_hash"):
                visible, opened = self.field(person_id, key, value)
                if visible:
                    shown[key] = opened
            elif key == "changes" and isinstance(value, dict):
                shown[key] = self.personal_fields(person_id, value)
            else:
                shown[key] = value
        return shown


def changes(event: Any, before: Any, opener: Opener) -> list[dict[str, Any]] | None:
    """An edit as field changes, ``before`` from the event or from the replayed state."""
    name = kind(event)
    if name in ("Project.Edited", "Project.FieldRestored", "Project.TagRenamed"):
        pairs = [(k, c.get("from"), c.get("to")) for k, c in event.changes.items()]
    elif name == "Project.PhaseChanged":
        pairs = [("phase", event.from_phase, event.phase)]
    elif name == "Organisation.DetailsChanged":
        current = {"name": before.name, **before.details}
        pairs = [(k, current.get(k), v) for k, v in event.changes.items()]
    elif name == "Organisation.RegisterEntryAmended":
        pairs = [(k, before.register.get(k), v) for k, v in event.changes.items()]
    elif name == "StatusUpdate.Corrected":
        pairs = [("body", before.body, event.body)]
    elif name in ("Person.ProfileChanged", "Person.EmailChanged"):
        new = event.changes if name == "Person.ProfileChanged" else {"email": event.email}
        pairs = []
        for field, value in new.items():
            visible, after = opener.field(before.id, field, value)
            if visible:
                pairs.append((field, opener.field(before.id, field, getattr(before, field, None))[1], after))
    else:
        return None
    return [{"field": field, "before": plain(old), "after": plain(new)} for field, old, new in pairs]


def entry(event: Any, before: Any, opener: Opener) -> dict[str, Any]:
    aggregate_id, version = UUID(str(event.originator_id)), int(event.originator_version)
    data = {k: v for k, v in vars(event).items() if k not in HIDDEN}
    if kind(event).startswith("Person."):
        data = opener.personal_fields(aggregate_id, data)
    return {
        "id": f"{aggregate_id}:{version}",
        "aggregate_id": aggregate_id,
        "version": version,
        "type": kind(event),
        "time": timestamp(event.timestamp),
        "actor_id": actor_of(event),
        "data": plain(data),
        "changes": changes(event, before, opener),
    }


def key(item: dict[str, Any]) -> Key:
    return item["time"], str(item["aggregate_id"]), item["version"]


def _from(app: Application[UUID], aggregate_id: UUID, after: Key | None) -> int:
    """The version to replay after, so that nothing past the cursor is missed."""
    if after is None:
        return 0
    if after[1] == str(aggregate_id):
        return after[2]
    moment = datetime.strptime(after[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return version_at(app, aggregate_id, moment, strictly_before=True)


def one(app: Application[UUID], aggregate_id: UUID, after: Key | None, limit: int, opener: Opener) -> list[dict]:
    """Up to ``limit`` entries of one aggregate past the cursor ``after``, in order."""
    found: list[dict[str, Any]] = []
    for event, before in replay(app, aggregate_id, after=_from(app, aggregate_id, after)):
        item = entry(event, before, opener)
        if after is None or key(item) > after:
            found.append(item)
            if len(found) >= limit:
                break
    return found


def page(
    app: Application[UUID], ids: Iterable[UUID], after: Key | None, limit: int, opener: Opener
) -> tuple[list[dict[str, Any]], bool]:
    """The next ``limit`` entries of the aggregates merged in time order, and whether more follow."""
    streams = [one(app, aggregate_id, after, limit + 1, opener) for aggregate_id in ids]
    merged = list(heapq.merge(*streams, key=key))[: limit + 1]
    return merged[:limit], len(merged) > limit
