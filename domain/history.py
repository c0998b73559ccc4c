"""Writing history: events that happened before they were recorded.

The legacy import and ``pipeline demo`` write what happened long ago, with the clock set
to then (``domain.clock``). Followers that act on the world must not act on that: nobody
is emailed in 2026 about a project edited in 2014. While ``writing_history(origin)``
holds, every ``save()`` records a ``HistoryMark`` first, in the same transaction, listing
each event that save writes; a follower skips what a mark lists. The mark is itself in
the log, so a replay or an export keeps it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from domain.clock import Aggregate, event

LEGACY_2014 = "pipeline-2014"  # the original Pipeline's database, taken in
DEMO = "demo"  # the seeded history of ``pipeline demo``

_origin: ContextVar[str | None] = ContextVar("pipeline_history_origin", default=None)


class HistoryMark(Aggregate):
    """One per save written as history: ``events`` lists ``[originator_id, version, topic]``.
    Its timestamp is the history's (the clock is set); ``written_at`` is the wall clock's time
    of writing (ISO; absent from marks of earlier versions), so a view can tell when the history
    arrived: an imported 2014 project is not "idle since 2014" the day it is taken in."""

    class Written(Aggregate.Created):
        origin: str
        events: list[list[Any]]
        written_at: str | None

    @event(Written)
    def __init__(self, origin: str, events: list[list[Any]], written_at: str | None = None) -> None:
        self.origin = origin
        self.events = events
        self.written_at = written_at


def origin() -> str | None:
    """The origin of the history being written now, or None for ordinary commands."""
    return _origin.get()


@contextmanager
def writing_history(origin: str) -> Iterator[None]:
    """Within the block, every save is marked as history from ``origin``."""
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


def covered(mark: Any) -> set[tuple[UUID, int]]:
    """The events a mark lists, as (originator id, version)."""
    return {(UUID(str(item[0])), int(item[1])) for item in mark.events}
