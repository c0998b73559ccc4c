"""Before a legacy import writes anything: whom it would make members of which
organisation (``members_planned``), for the operator to confirm; and where a typed
organisation name belongs in the council register (``placement_of``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from domain import legacy as L
from domain.legacy_orgs import FUZZY, NOT_FOUND, Placement, place
from domain.names import normalise
from domain.organisation import council_id
from domain.person import email_key
from workers.history.legacy.file import LegacyData


@dataclass(frozen=True)
class MembersPlanned:
    """New members an import would admit into one organisation (``members_planned``)."""

    organisation: str  # "KHL Hull City Council", or "'Name' (not a council)"
    members: int
    verified: int


def members_planned(app: Any, data: LegacyData) -> list[MembersPlanned]:
    """Before anything is written: how many people the file would make members of which
    organisation (councils first, most first), and how many of them verified. A hostile file
    can name any council: the operator sees this and confirms. People already imported, or
    whose address is taken, are not counted, unless a later file moves one into a council;
    an organisation the import cannot date is counted though its people will be reported
    unplaced, so these are upper bounds."""
    register = {r.code: r for r in council_register()}
    official = {code: normalise(r.official_name) for code, r in register.items()}
    names = {int(r["id"]): " ".join(str(r["orgname"] or "").split()) for r in data.orgs}
    placed: dict[int, tuple[str, str | None]] = {}  # legacy org id -> (label, register code)
    tally: Counter[str] = Counter()
    verified: Counter[str] = Counter()
    claimed: set[str] = set()
    for row in data.users:
        email = str(row["email"] or "").strip()
        name = L.UNKNOWN_ORG_NAME if L.no_organisation(row["orgid"]) else names.get(int(row["orgid"]))
        if not name or "@" not in email or email_key(email) in claimed:
            continue
        claimed.add(email_key(email))
        legacy = int(row["orgid"] or 0)
        if legacy not in placed:
            code = placement_of(name, app, official).code
            placed[legacy] = (f"{code} {register[code].official_name}" if code else f"{name!r} (not a council)", code)
        if not _becomes_member(app, row, email, placed[legacy][1]):
            continue
        label = placed[legacy][0]
        tally[label] += 1
        verified[label] += bool(L.flag(row["isactivated"]))
    order = sorted(tally, key=lambda label: ("(not a council)" in label, -tally[label], label))
    return [MembersPlanned(label, tally[label], verified[label]) for label in order]


def _becomes_member(app: Any, row: dict[str, Any], email: str, code: str | None) -> bool:
    """A new person whose address is free, or one imported before whom this file moves into a council."""
    try:
        person = app.repository.get(L.user_id(str(row["id"])))
    except AggregateNotFoundError:
        return app.email_owner(email) is None
    return code is not None and not person.erased and person.organisation_id != council_id(code)


def placement_of(name: str, app: Any, official: dict[str, str]) -> Placement:
    """Where a typed name belongs in the register; a body of councils ("Local Government
    Association") is never one council by a fuzzy match."""
    placement = place(name, app.councils, official)
    if placement.how == FUZZY and L.association_of_councils(name):
        return replace(placement, how=NOT_FOUND, code=None, council=None)
    return placement


def council_register() -> Any:
    from domain.register import load_register

    return load_register()
