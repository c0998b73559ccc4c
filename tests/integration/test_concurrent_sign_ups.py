"""Concurrent commands against the real PostgreSQL event store."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from eventsourcing.utils import get_topic

from domain.application import OrganisationRef, PipelineApplication
from domain.errors import DuplicateEmail
from domain.organisation import Organisation
from domain.person import Person
from tests.factories import PASSWORD, email
from workers.runtime.bootstrap import build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


def in_parallel(count: int, settings: Settings, action: Callable[[PipelineApplication, int], Any]) -> list[Any]:
    """Run ``action`` in ``count`` threads, each with its own application (own pools), released together."""
    runtimes = [build_runtime(settings) for _ in range(count)]
    apps = [rt.app for rt in runtimes]
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(apps[i], i)
        except Exception as error:  # collected and asserted on by the caller
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for rt in runtimes:
        rt.close()
    return results


def recorded(app: PipelineApplication, event_class: type) -> list[Any]:
    notes = app.recorder.select_notifications(start=1, limit=100_000, topics=[get_topic(event_class)])
    return [app.mapper.to_domain_event(n) for n in notes]


def test_a_duplicate_email_under_concurrent_sign_ups_yields_exactly_one_person(pg_settings: Settings) -> None:
    spellings = ["race@example.gov.uk", "RACE@example.gov.uk", " Race@Example.gov.uk", "race@EXAMPLE.GOV.UK"] * 2

    def sign_up(app: PipelineApplication, i: int) -> Any:
        return app.sign_up(
            name=f"Racer {i}",
            email=spellings[i],
            job_title=None,
            organisation=OrganisationRef(code="WGN"),
            password=PASSWORD,
        )

    results = in_parallel(len(spellings), pg_settings, sign_up)
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(r, DuplicateEmail) for r in results if r not in winners), results
    rt = build_runtime(pg_settings)
    signed_up = recorded(rt.app, Person.SignedUp)
    opened = [(e.originator_id, rt.app.personal.open(e.originator_id, e.email)) for e in signed_up]
    people = [person_id for person_id, address in opened if (address or "").casefold() == "race@example.gov.uk"]
    assert people == [winners[0].aggregate.id]
    assert rt.app.email_owner("race@example.gov.uk") == winners[0].aggregate.id
    rt.close()


def test_a_new_organisation_named_by_concurrent_sign_ups_is_created_once(pg_settings: Settings) -> None:
    def sign_up(app: PipelineApplication, i: int) -> Any:
        name = ["Civic Coders Collective", "civic coders collective", "CIVIC CODERS COLLECTIVE."][i % 3]
        return app.sign_up(
            name=f"Coder {i}",
            email=email(),
            job_title=None,
            organisation=OrganisationRef(name=name, kind="community"),
            password=PASSWORD,
        )

    results = in_parallel(6, pg_settings, sign_up)
    assert not [r for r in results if isinstance(r, Exception)], results
    rt = build_runtime(pg_settings)
    created = [e for e in recorded(rt.app, Organisation.Registered) if e.kind == "community"]
    assert len(created) == 1
    assert {r.aggregate.organisation_id for r in results} == {created[0].originator_id}
    rt.close()
