"""Test data: bulk sign-ups written straight to the event store, and view dumps."""

from __future__ import annotations

import random
import uuid
from typing import Any

from domain.application import OrganisationRef, PipelineApplication
from domain.email_domains import register_seed_plan
from domain.organisation import council_id
from domain.person import Person, PersonEmail
from projections.db import ReadDatabase
from projections.registry import all_projections
from workers.adapters.keys import seal_with

COUNCILS = ("WGN", "KTT", "KHL", "BNH", "CMD", "NTH", "LDS", "MAN")


def email() -> str:
    """An address on no organisation's domain: its owner joins a council as a pending member."""
    return f"{uuid.uuid4().hex[:16]}@example.gov.uk"


def council_email(code: str) -> str:
    """An address on the council's own (seeded) domain: verified, its owner is a member."""
    return f"{uuid.uuid4().hex[:16]}@{register_seed_plan().by_council[code.upper()][0]}"


PASSWORD = "a long enough test passphrase"


def council_member(app: PipelineApplication, code: str, *, verified: bool = True, name: str | None = None) -> Person:
    """Someone signed up with an address on the council's own domain: once verified, a member."""
    person: Person = app.sign_up(
        name=name or f"Officer {code}",
        email=council_email(code),
        job_title=None,
        organisation=OrganisationRef(code=code),
        password=PASSWORD,
    ).aggregate
    if verified:
        app.verify_email(person.id)
    return person


def bulk_sign_ups(app: PipelineApplication, count: int, *, per_save: int = 500, seed: int = 7) -> int:
    """Write ``count`` sign-ups (Person + PersonEmail) in large transactions; returns the head.
    Faster than the command (no password hashing, keys made in bulk), for building a long
    log; the events have the same shape."""
    rng = random.Random(seed)
    heard, app.log_moved = app.log_moved, None  # a log written ahead of its followers (nothing catches up)
    try:
        _bulk_sign_ups(app, count, per_save, rng)
    finally:
        app.log_moved = heard
    return int(app.recorder.max_notification_id() or 0)


def _bulk_sign_ups(app: PipelineApplication, count: int, per_save: int, rng: random.Random) -> None:
    for start in range(0, count, per_save):
        ids = [uuid.uuid4() for _ in range(start, min(start + per_save, count))]
        secrets = app.personal.new_keys(ids)  # type: ignore[attr-defined]
        aggregates: list[Any] = []
        for i, person_id in enumerate(ids, start):
            address, secret = email(), secrets[person_id]
            person = Person(
                id=person_id,
                name=seal_with(secret, person_id, f"Person {i}"),
                email=seal_with(secret, person_id, address),
                job_title=None,
                organisation_id=council_id(rng.choice(COUNCILS)),
                organisation_kind="council",
            )
            aggregates += [person, PersonEmail(id=app.personal.email_index_id(address), person_id=person_id)]
        app.save(*aggregates)


def mixed_history(app: PipelineApplication) -> list[uuid.UUID]:
    """A small story touching every event type the projections handle."""
    people = []
    for i, ref in enumerate(
        [
            OrganisationRef(code="WGN"),
            OrganisationRef(name="Brighton & Hove Council"),
            OrganisationRef(name="Telford Council"),
            OrganisationRef(name="Local Government Association", kind="association"),
            OrganisationRef(name="Acme Digital Ltd", kind="supplier"),
            OrganisationRef(name="acme digital ltd.", kind="supplier"),
            OrganisationRef(code="NTH"),
        ]
    ):
        written = app.sign_up(
            name=f"Person {i}", email=email(), job_title="Developer", organisation=ref, password=PASSWORD
        )
        people.append(written.aggregate.id)
    app.move_person(people[-1], OrganisationRef(code="WNT"))
    app.move_person(people[0], OrganisationRef(name="Acme Digital Ltd"))
    return people


def dump(db: ReadDatabase) -> dict[str, list[tuple]]:
    """Every row of every projection table, in a stable order, comparable across runs."""
    out = {}
    for projection in all_projections():
        for table in projection.tables:
            rows = db.query(f"SELECT * FROM {table}")
            out[table] = sorted((tuple(sorted((k, _plain(v)) for k, v in r.items())) for r in rows), key=repr)
    return out


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value
