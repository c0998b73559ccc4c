"""Organisation names that look like another's: compared by confusable skeleton.

"Нull City Council" with a Cyrillic Н, or "Hull City Councіl" with a Ukrainian і, shows
exactly like Hull City Council; its creator would be the admin of an impostor. A name is
compared by its UTS #39 skeleton (ICU's SpoofChecker, from Unicode's confusables.txt),
taken of the lower-case and of the upper-case form (Cyrillic capitals look like Latin
capitals, Cyrillic small letters like Latin small ones) and then normalised as
:func:`domain.organisation.name_key` does (case, accents, punctuation, a leading "The").

Two names look alike when they share a key. Every council's official and short name
is compared from the register; every other organisation's keys are claimed by a
:class:`OrganisationLookalike` index aggregate saved with it, so that two sign-ups
creating look-alike names at the same moment cannot both win.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

import icu
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from domain.clock import Aggregate, event
from domain.display import INVISIBLE
from domain.errors import Conflict
from domain.organisation import NAMESPACE, Organisation, OrganisationName, council_id, name_key
from domain.register import load_register

if TYPE_CHECKING:
    from eventsourcing.application import Application

_SPOOF = icu.SpoofChecker()


def lookalike_keys(name: str) -> frozenset[str]:
    """The keys under which ``name`` is compared with others (empty if it has no letters)."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKC", name) if not INVISIBLE.contains(ch))
    keys = (name_key(_SPOOF.getSkeleton(0, form)) for form in (plain.lower(), plain.upper()))
    return frozenset(key for key in keys if key)


@cache
def council_lookalikes() -> dict[str, tuple[str, str]]:
    """Every key of every council's official and short name -> (its code, its official name)."""
    found: dict[str, tuple[str, str]] = {}
    for record in load_register():
        for name in (record.official_name, record.short_name):
            for key in lookalike_keys(name or ""):
                found.setdefault(key, (record.code, record.official_name))
    return found


class OrganisationLookalike(Aggregate):
    """Index aggregate: one per look-alike key of a non-council organisation's name."""

    class Claimed(Aggregate.Created):
        key: str
        organisation_id: UUID

    @event(Claimed)
    def __init__(self, key: str, organisation_id: UUID) -> None:
        self.key = key
        self.organisation_id = organisation_id

    @staticmethod
    def create_id(key: str) -> UUID:
        return uuid5(NAMESPACE, f"organisation-lookalike:{key}")


def looks_like(app: Application[UUID], name: str, organisation_id: UUID | None) -> tuple[str, dict[str, Any]] | None:
    """What ``name`` looks like, as (a phrase naming it, a candidate as the API lists one),
    or None when it looks like no organisation other than ``organisation_id``."""
    for key in sorted(lookalike_keys(name)):
        council = council_lookalikes().get(key)
        if council is not None and council_id(council[0]) != organisation_id:
            code, official = council
            return f"{official} ({code}), a council in the register", {"code": code, "name": official}
        try:
            index: OrganisationLookalike = app.repository.get(OrganisationLookalike.create_id(key))
        except AggregateNotFoundError:
            continue
        if index.organisation_id != organisation_id:
            other: Organisation = app.repository.get(index.organisation_id)
            return f"'{other.name}', another organisation", {"id": str(other.id), "name": other.name}
    return None


def refuse_lookalike(app: Application[UUID], name: str, organisation_id: UUID) -> list[Aggregate]:
    """Conflict if ``name`` looks like another organisation's; else the index aggregates
    to save with the organisation (none for keys it holds already). Each key is read once:
    a key found free is claimed (a rival claiming it first makes the save fail), a key
    found held is judged by its holder (never skipped on a second, later read)."""
    found = looks_like(app, name, organisation_id)
    if found is not None:
        raise Conflict(f"'{name}' looks the same as the name of {found[0]}: choose a name that reads differently.")
    new: list[Aggregate] = []
    for key in sorted(lookalike_keys(name)):
        try:
            index: OrganisationLookalike = app.repository.get(OrganisationLookalike.create_id(key))
        except AggregateNotFoundError:
            new.append(OrganisationLookalike(key=key, organisation_id=organisation_id))
            continue
        if index.organisation_id != organisation_id:  # claimed since looks_like read it: a rival won
            raise Conflict(f"'{name}' looks the same as the name of an organisation created a moment ago.")
    return new


def claim_existing_names(app: Application[UUID], page: int = 500) -> list[str]:
    """Claim the look-alike keys of every name an organisation has ever taken (each
    ``OrganisationName`` claimed), for organisations recorded before these keys were;
    idempotent. Returns the names that look like another organisation's (left as they
    are, for the operator to see)."""
    topic = get_topic(OrganisationName.Claimed)
    holders: dict[str, UUID] = {}
    clashes: list[str] = []
    start = 1
    while True:
        notifications = app.recorder.select_notifications(start=start, limit=page, topics=[topic])
        for notification in notifications:
            claimed: Any = app.mapper.to_domain_event(notification)  # an OrganisationName.Claimed
            _hold(app, claimed.name, claimed.organisation_id, holders, clashes)
        if len(notifications) < page:
            break
        start = notifications[-1].id + 1
    new = [OrganisationLookalike(key=key, organisation_id=org) for key, org in holders.items()]
    for at in range(0, len(new), page):
        app.save(*new[at : at + page])
    return clashes


def _hold(
    app: Application[UUID], name: str, organisation_id: UUID, holders: dict[str, UUID], clashes: list[str]
) -> None:
    for key in sorted(lookalike_keys(name)):
        council = council_lookalikes().get(key)
        try:
            index: OrganisationLookalike = app.repository.get(OrganisationLookalike.create_id(key))
            holder = index.organisation_id
        except AggregateNotFoundError:
            holder = council_id(council[0]) if council else holders.setdefault(key, organisation_id)
        if holder != organisation_id and name not in clashes:
            clashes.append(name)
