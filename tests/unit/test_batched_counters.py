"""Views that add a batch's counts together (sign-ups per day, members per organisation) make
the rows their events make one by one, whatever the batch holds."""

from __future__ import annotations

from typing import Any

import pytest

from projections.base import Projection
from projections.organisations import OrganisationsProjection
from projections.signups import SignupsTimelineProjection
from tests.unit.projection_helpers import View, _events, council, organisation, person


def history() -> list[Any]:
    wigan, acme = council(), organisation(kind="supplier")
    events = [*_events(wigan), *_events(acme)]
    people = [person(wigan) for _ in range(4)] + [person(acme) for _ in range(2)]
    events += [e for p in people for e in _events(p)]
    people[0].move_to(acme.id, acme.kind, actor=people[0].id)
    people[4].move_to(wigan.id, wigan.kind, actor=people[4].id)
    events += [*_events(people[0]), *_events(people[4])]
    later = person(acme)
    return [*events, *_events(later)]


@pytest.mark.parametrize("projection", [OrganisationsProjection(), SignupsTimelineProjection()], ids=lambda p: p.name)
def test_a_batch_makes_the_rows_its_events_make_one_by_one(projection: Projection) -> None:
    events = history()
    one_by_one, batched = View(projection), View(projection)
    one_by_one.apply(*events)
    statements = projection.batch(events, batched.reveal, None)
    assert len(statements) < len(events)  # it did add things together
    with batched.db.transaction() as tx:
        for statement in statements:
            tx.execute(statement.sql, statement.params)
    for table in projection.tables:
        assert batched.rows(table, order_by="1") == one_by_one.rows(table, order_by="1")
    one_by_one.close()
    batched.close()
