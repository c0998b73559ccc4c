"""Ports the domain needs for personal data: sealing it per person, and passwords.

Personal fields (name, email, job title, password hash) are written into events
sealed with a key that belongs to that person alone and is kept outside the event
log. Erasing a person destroys the key: the events stay, the facts stay, and the
personal fields can never be read again (crypto-shredding)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, overload
from uuid import UUID

FORMER_MEMBER = "Former member"
SEALED = "pd1:"  # how a sealed value begins, so readers of events can tell one from text


class PersonalData(Protocol):
    def new_key(self, person_id: UUID) -> None:
        """Create the person's key (before any event sealed with it is saved)."""

    @overload
    def seal(self, person_id: UUID, value: str) -> str: ...
    @overload
    def seal(self, person_id: UUID, value: None) -> None: ...
    @overload
    def seal(self, person_id: UUID, value: str | None) -> str | None: ...
    def seal(self, person_id: UUID, value: str | None) -> str | None:
        """Encrypt ``value`` with the person's key; None stays None."""

    def open(self, person_id: UUID, sealed: str | None) -> str | None:
        """Decrypt; None if the value was None or the person has been erased."""

    def revealer(self, person_ids: Iterable[UUID]) -> Callable[[UUID, str | None], str | None]:
        """``open`` for many people at once (a batch of events for a view), their keys
        fetched up front: ``reveal(person_id, sealed)``."""

    def forget(self, person_id: UUID) -> None:
        """Destroy the person's key for ever."""

    def email_index_id(self, email: str) -> UUID:
        """The id of the ``PersonEmail`` index aggregate for ``email`` (case-insensitive,
        ignoring surrounding spaces): a keyed hash, so a guessed address cannot be
        matched to an id without the secret kept outside the database."""


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, hashed: str, password: str) -> bool: ...
