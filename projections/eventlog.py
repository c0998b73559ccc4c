"""The event log as the read side uses it: the application's notification log, its
mapper back to domain events, and its personal-data key store (to open sealed fields).

``PipelineApplication`` is one; a test can pass anything with these parts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification, StoredEvent

from projections.base import Reveal


class Notifications(Protocol):
    """The log's positions, 1 to the head, and the stored events at them."""

    def max_notification_id(self) -> int | None: ...

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]: ...


class Decoder(Protocol):
    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]: ...


class Revealing(Protocol):
    def revealer(self, person_ids: Iterable[UUID]) -> Reveal: ...


class EventLog(Protocol):
    @property
    def recorder(self) -> Notifications: ...

    @property
    def mapper(self) -> Decoder: ...

    @property
    def personal(self) -> Revealing: ...
