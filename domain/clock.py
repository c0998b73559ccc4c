"""The time the domain records: the wall clock, unless someone set it.

Every event's ``timestamp`` and every rule that asks "is the deadline past?" read
``now()``. The legacy import, ``pipeline demo`` and tests set the clock (``Clock``), so
a history written today can carry the times it really happened at. The setting is a
context variable: it holds for the code that set it (a thread, a CLI command), never for
requests served meanwhile by other threads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from eventsourcing.domain import Aggregate as _LibraryAggregate
from eventsourcing.domain import event

__all__ = ["Aggregate", "Clock", "event", "now", "set_to"]


class Clock:
    """A clock that stands still at ``moment`` until it is moved (forwards only: an
    aggregate's events must not go back in time, or "as of" could not find them)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = _aware(moment)

    def now(self) -> datetime:
        return self.moment

    def move_to(self, moment: datetime) -> None:
        moment = _aware(moment)
        if moment < self.moment:
            raise ValueError(
                f"The clock only moves forwards: {moment:%Y-%m-%dT%H:%M:%S} is before {self.moment:%Y-%m-%dT%H:%M:%S}."
            )
        self.moment = moment

    def advance(self, by: timedelta) -> None:
        self.move_to(self.moment + by)


_set: ContextVar[Clock | None] = ContextVar("pipeline_clock", default=None)


def now() -> datetime:
    """The time now: the set clock's, or the wall clock's (always timezone-aware, UTC)."""
    clock = _set.get()
    return clock.now() if clock is not None else datetime.now(UTC)


def is_set() -> bool:
    return _set.get() is not None


@contextmanager
def set_to(clock: Clock | datetime) -> Iterator[Clock]:
    """Within the block, ``now()`` is ``clock``'s time."""
    chosen = clock if isinstance(clock, Clock) else Clock(clock)
    token = _set.set(chosen)
    try:
        yield chosen
    finally:
        _set.reset(token)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("A clock needs a timezone-aware time (say which zone it is in).")
    return moment.astimezone(UTC)


class Aggregate(_LibraryAggregate):
    """Every Pipeline aggregate: its events are stamped with ``now()``. Event topics are
    the concrete classes' (``domain.project:Project.Edited``), so this base changes no
    stored event."""

    class Event(_LibraryAggregate.Event):
        @staticmethod
        def create_timestamp() -> datetime:
            return now()

    class Created(Event, _LibraryAggregate.Created):
        pass
