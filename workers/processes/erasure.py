"""Erasing a person (UK GDPR art. 17): the one sequence used by ``DELETE /api/v1/me``
and ``pipeline people erase``.

The domain records ``Person.Erased``, frees the email address and destroys the person's
key (crypto-shredding: the sealed fields in the log can never be opened again). Here
the rest follows: sessions, tokens, their outbox rows and ``.eml`` files go, and every
name they ever had leaves other people's mail (rows, digest items, ``.eml`` files); the read models
that held the person's opened fields are brought up to date at once (not left to a
worker), and then the database files are scrubbed of the old row versions."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any, Protocol
from uuid import UUID

from domain.personal import SEALED
from domain.results import Written
from projections import rebuilds, runner
from projections.context import FollowerContext
from projections.registry import get
from projections.scrub import scrub
from workers.adapters.mail import Outbox
from workers.adapters.sessions import SessionStore
from workers.notify.notifier import NOTIFIERS

log = logging.getLogger(__name__)

PERSONAL_VIEWS = ("people", "comments")  # opened personal fields; words an erasure may remove
PERSONAL_TABLES = ("person_keys", "outbox", "digest_items")  # wrapped keys; addresses and names in mail


class Batches(Protocol):
    @property
    def batch_size(self) -> int: ...


class Erasing(FollowerContext, Protocol):
    """What an erasure uses of the runtime: what the notifier consults (it is caught up
    here), the outbox and sessions it clears, and the batch size of its catch-ups."""

    @property
    def outbox(self) -> Outbox: ...

    @property
    def sessions(self) -> SessionStore: ...

    @property
    def settings(self) -> Batches: ...


def erase_person(rt: Erasing, person_id: UUID, *, actor: UUID | None) -> Written:
    """Erase and scrub; safe to repeat (a second call finishes an interrupted one)."""
    rt.app.require_own_account(person_id, actor)  # refused before any mail or session is touched
    addresses, names = personal_values(rt, person_id)  # while the key still opens them
    rt.outbox.forget_person(person_id, addresses)  # nothing more is sent to them
    rt.outbox.forget_name(names)  # before the key goes: an erasure cut short here lost no name
    written = rt.app.erase(person_id, actor=actor)
    rt.sessions.forget_person(person_id)
    _settle_the_notifier(rt)
    rt.outbox.forget_person(person_id, addresses)  # and no mail sent or written meanwhile stays
    rt.outbox.forget_name(names)  # other people's messages about them say "Someone"
    views = [get(name) for name in PERSONAL_VIEWS]
    for view in views:
        runner.catch_up(rt.app, rt.db, view, batch_size=rt.settings.batch_size)
    copies = [c for c in (rebuilds.copy_in_progress(rt.db, view) for view in views) if c]
    for copy in copies:  # a rebuild's copy (maybe stopped part-way) applies the erasure too
        with contextlib.suppress(runner.NotInitialised):  # switched in meanwhile: caught up already
            rebuilds.fill(rt.app, rt.db, copy, lambda count: None, batch_size=max(rt.settings.batch_size, 1000))
    views += copies
    busy = scrub(rt.db, [table for view in views for table in view.tables] + list(PERSONAL_TABLES))
    if busy:
        log.warning("erasure of %s: could not scrub %s now (busy); run the erasure again", person_id, busy)
    return written


def _settle_the_notifier(rt: Erasing) -> None:
    """A notifier batch prepared before the erasure (with the person's address in it) either
    commits before this catch-up moves the position, and the outbox is cleared after it, or
    loses the position to it and writes nothing: this catch-up sees the person erased."""
    for part in NOTIFIERS:
        try:
            runner.catch_up(rt.app, rt.db, part, batch_size=rt.settings.batch_size, context=rt)
        except Exception:  # recorded as that part's failure; the outbox is cleared all the same
            log.exception("erasure: %s could not catch up; clearing the outbox anyway", part.name)


# Sealed fields no message ever shows, so never looked for in mail: the password hash, and the
# job title (the people view holds it, and loses it when the view catches up with the erasure;
# replacing a title such as "IT" or "Head of Digital" in other people's mail would rewrite
# their words, not remove the person's).
NOT_IN_MAIL = frozenset({"password_hash", "job_title"})


def personal_values(rt: Erasing, person_id: UUID) -> tuple[set[str], set[str]]:
    """(addresses, names): every sealed value in every event of the person, opened. ``email``
    fields are their addresses; every other sealed text not in ``NOT_IN_MAIL`` (the name they
    signed up or were imported with, each one a ``ProfileChanged`` gave under ``changes``, and
    any personal field added later) is a name to forget."""
    addresses: set[str] = set()
    names: set[str] = set()
    for event in rt.app.events.get(person_id):
        for field, sealed in _sealed(vars(event)):
            value = rt.keys.open(person_id, sealed)
            if value and field not in NOT_IN_MAIL:
                (addresses if field == "email" else names).add(value)
    return addresses, names


def _sealed(data: Any, field: str = "") -> Iterator[tuple[str, str]]:
    """(field, sealed value) for every sealed value in ``data``, however deep it is nested."""
    if isinstance(data, str) and data.startswith(SEALED):
        yield field, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _sealed(value, str(key))
    elif isinstance(data, list | tuple):
        for value in data:
            yield from _sealed(value, field)
