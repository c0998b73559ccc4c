"""Moving stored addresses to their mailbox's index id (run by ``pipeline init``).

The ``PersonEmail`` index id is a keyed hash of ``email_key(address)``. Since addresses
have one canonical form (``domain.addresses.mailbox``), an address stored earlier whose
old key (spaces and case folded only) differs from its mailbox (a "quoted" local part, a
Unicode domain, a decomposed accent) is indexed under an id nobody looks up any more.
Every address already canonical keeps its id: nothing is written for it.

For each such person (their current address, opened with their key; erased people have
none) this claims the mailbox's id and releases the old one in one save. Where another
account already holds the mailbox's id (its address was spelt canonically), that account
keeps it: the mailbox had two accounts, which the canonical form forbids. The other is left
as it is (a person in the log, found by no address, so unable to sign in) and named, by id,
in a warning at every ``pipeline init`` until the operator settles it (erase it, or ask its
owner which account to keep). Safe to repeat: a moved address is found under its new id."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from domain.application import PipelineApplication
from domain.person import Person, PersonEmail, email_key
from workers.adapters.keys import KeyStore

log = logging.getLogger(__name__)
PAGE = 1000
ADDRESS_EVENTS = (get_topic(Person.SignedUp), get_topic(Person.EmailChanged))


@dataclass
class Moved:
    moved: list[UUID] = field(default_factory=list)  # people whose address now has its mailbox's id
    held_by_another: list[UUID] = field(default_factory=list)  # people whose mailbox another account holds


def move_to_mailbox_ids(app: PipelineApplication, keys: KeyStore) -> Moved:
    """Give every stored non-canonical address its mailbox's index id (see the module)."""
    result = Moved()
    current = _current_addresses(app)
    reveal = keys.revealer(current)
    for person_id, sealed in current.items():
        address = reveal(person_id, sealed)
        if address and email_key(address) != address.strip().casefold():
            _move(app, keys, person_id, address, result)
    if result.moved:
        log.info("addresses moved to their mailbox's index id: %d (people %s)", len(result.moved), result.moved)
    if result.held_by_another:
        log.warning(
            "%d people share a mailbox with another account, which keeps it; they cannot be found by address"
            " until an operator settles it (see workers/runtime/address_index.py): %s",
            len(result.held_by_another),
            ", ".join(map(str, result.held_by_another)),
        )
    return result


def _current_addresses(app: PipelineApplication) -> dict[UUID, str]:
    """Each person's latest sealed address, from the log (sign-ups and email changes only)."""
    latest: dict[UUID, str] = {}
    start = 1
    while notifications := app.recorder.select_notifications(start, PAGE, topics=ADDRESS_EVENTS):
        for notification in notifications:
            event = cast("Person.SignedUp | Person.EmailChanged", app.mapper.to_domain_event(notification))
            latest[event.originator_id] = event.email
        start = notifications[-1].id + 1
    return latest


def _move(app: PipelineApplication, keys: KeyStore, person_id: UUID, address: str, result: Moved) -> None:
    new_id, old_id = keys.email_index_id(address), keys.legacy_email_index_id(address)
    new: PersonEmail | None = _index(app, new_id)
    if new is not None and new.person_id == person_id:
        return  # moved already
    if new is not None and new.person_id is not None:
        result.held_by_another.append(person_id)
        return
    changed: list[Aggregate] = []
    if new is None:
        changed.append(PersonEmail(id=new_id, person_id=person_id))
    else:
        new.reclaim(person_id)  # released by an erasure or an email change
        changed.append(new)
    old: PersonEmail | None = _index(app, old_id)
    if old is not None and old.person_id == person_id:
        old.release()
        changed.append(old)
    try:
        app.save(*changed)
    except IntegrityError:  # someone took the mailbox at this moment: the next init says so
        result.held_by_another.append(person_id)
    else:
        result.moved.append(person_id)


def _index(app: PipelineApplication, index_id: UUID) -> PersonEmail | None:
    try:
        index: PersonEmail = app.repository.get(index_id)
    except AggregateNotFoundError:
        return None
    return index
