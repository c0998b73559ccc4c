"""What a projection is: a pure mapping from events to SQL statements."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, TypeVar
from uuid import UUID

from eventsourcing.utils import get_topic

from projections.context import FollowerContext


@dataclass(frozen=True)
class Statement:
    sql: str
    params: Mapping[str, Any] = field(default_factory=dict)


class Recorded(Protocol):
    """What every stored event carries, whatever its class: whose it is, which of theirs,
    and when."""

    @property
    def originator_id(self) -> UUID: ...

    @property
    def originator_version(self) -> int: ...

    @property
    def timestamp(self) -> datetime: ...


Reveal = Callable[[Any, Any], "str | None"]
"""Opens a person's sealed field: ``reveal(person_id, sealed)``; None once they are erased."""

Handler = Callable[[Any, Any, Reveal], Iterable[Statement]]


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Mark a projection method as the mapping for some event classes."""

    def mark(method: Handler) -> Handler:
        method.__handles__ = event_classes  # type: ignore[attr-defined]
        return method

    return mark


class Projection:
    """Subclasses set ``name`` (pinned: it keys the tracking row), ``tables`` and
    ``ddl``, and map events to statements with ``@handles`` methods. A projection
    reads nothing while building: each statement is computed from the event alone
    (personal fields opened with ``reveal``, which gives None for erased people).
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1  # bump when the tables change: `pipeline init` then rebuilds
    # A process that acts on the world (sends mail) starts at the head of the log, and a rebuild
    # leaves it where it is: it never acts on events from before it started, nor twice on any.
    starts_at_head: ClassVar[bool] = False
    # A process made later beside another (a new part of a split follower) starts where that
    # one is, not at the head: the events between were that one's, and are now its own.
    starts_beside: ClassVar[str | None] = None
    # Views a process consults while it maps events (the notifier reads a project's followers):
    # it applies an event only once each of these shows the log up to that event.
    reads: ClassVar[tuple[str, ...]] = ()
    # A view whose statements find rows by primary key only may have a rebuild make its other
    # indexes once the copy is full (one sort each, instead of keeping them up row by row).
    indexes_after_fill: ClassVar[bool] = False
    tables: ClassVar[tuple[str, ...]]
    ddl: ClassVar[tuple[str, ...]]
    _handlers: ClassVar[dict[type, str]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {
            event_class: attr
            for attr, member in vars(cls).items()
            for event_class in getattr(member, "__handles__", ())
        }

    def ddl_for(self, dialect: str) -> tuple[str, ...]:
        """The DDL for one database (the same for both unless a view needs otherwise)."""
        return self.ddl

    def tables_for(self, dialect: str) -> tuple[str, ...]:
        """Every table to empty on a rebuild, in an order that keeps references valid."""
        return self.tables

    @classmethod
    def topics(cls) -> tuple[str, ...]:
        return tuple(sorted(get_topic(event_class) for event_class in cls._handlers))

    def accepts(self, notification: Any) -> bool:
        """Whether this follower maps a stored event of its topics (a part of a split follower
        leaves the others' to them, undecoded). Its position moves past the others' all the same."""
        return True

    def statements(self, domain_event: Any, reveal: Reveal) -> list[Statement]:
        attr = self._handlers.get(type(domain_event))
        return list(getattr(self, attr)(domain_event, reveal)) if attr else []

    def batch(self, events: list[Any], reveal: Reveal, context: FollowerContext | None) -> list[Statement]:
        """The statements for a batch of events. A view maps each event alone; a process
        (the notifier) overrides this to consult ``context``, what its runner gave it."""
        return [statement for event in events for statement in self.statements(event, reveal)]


Query = TypeVar("Query", bound=Callable[..., Any])
READS = "__reads__"  # where @reads leaves its declaration on a function


def reads(*views: str) -> Callable[[Query], Query]:
    """Declare the views (projections, by name) whose tables a query reads, the joined
    ones included. A request that must see a write waits for exactly these: see
    ``web.api.common.answers_from``."""
    if not views:
        raise ValueError("A query reads at least one view.")

    def declare(query: Query) -> Query:
        setattr(query, READS, frozenset(views))
        return query

    return declare


def views_read_by(*functions: Callable[..., Any]) -> frozenset[str]:
    """Every view the functions declared they read (with ``@reads``, or by wrapping
    functions that did); a function that declared nothing is a mistake."""
    views: set[str] = set()
    for function in functions:
        declared = getattr(function, READS, None)
        if not declared:
            raise TypeError(f"{function.__qualname__} does not declare the views it reads (use @reads).")
        views |= declared
    return frozenset(views)


def timestamp(value: datetime) -> str:
    """Fixed-width UTC text, so times sort and compare the same in both dialects."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
