"""A batch of the activity feed: a row whose source (the row it takes its person, organisation
and project from) is an earlier row of the same batch is written as a plain insert with those
values, and only a row whose source an earlier batch wrote looks it up; the rows are the same
as applying the events one at a time (no database server needed)."""

from __future__ import annotations

from typing import Any

from domain.interest import ContributionRequest, Follow, StatusUpdate
from projections import bulk
from projections.activity import INSERT, PLAIN_INSERT, ActivityProjection
from tests.unit.projection_helpers import View, council, person, pledge, pledge_of, project


def a_story() -> tuple[list[Any], list[Any]]:
    """A project proposed (the first batch), then news about it (the second)."""
    wigan, kent = council("WGN"), council("KTT", "Kent County Council")
    ann, bob = person(wigan), person(kent)
    bins = project(ann)
    first = [*wigan.collect_events(), *kent.collect_events(), *ann.collect_events(), *bob.collect_events()]
    first += bins.collect_events()
    request = ContributionRequest(project_id=bins.id, person_id=bob.id, organisation_id=kent.id, message=None)
    request.approve(actor=ann.id)
    update = StatusUpdate(project_id=bins.id, author_id=ann.id, body="Alpha starts Monday")
    update.correct("Alpha starts Tuesday", actor=ann.id)
    follows = Follow(id=Follow.id_for(bins.id, bob.id), project_id=bins.id, person_id=bob.id)
    pledge(bins, bob, pledge_of("10.00"))
    second = [*request.collect_events(), *update.collect_events(), *follows.collect_events()]
    return first, second + bins.collect_events()


def written(view: View, events: list[Any]) -> list[Any]:
    statements = ActivityProjection().batch(events, view.reveal, None)
    with view.db.transaction() as tx:
        bulk.write(tx, "sqlite", statements)
    return statements


def test_rows_whose_source_is_in_the_batch_take_its_values_without_a_lookup() -> None:
    first, second = a_story()
    one_by_one, batched = View(ActivityProjection()), View(ActivityProjection())
    try:
        one_by_one.apply(*first, *second)
        statements = written(batched, first + second)
        assert {s.sql for s in statements} == {PLAIN_INSERT}
        assert batched.rows("activity", order_by="id") == one_by_one.rows("activity", order_by="id")
    finally:
        one_by_one.close()
        batched.close()


def test_rows_whose_source_an_earlier_batch_wrote_look_it_up_and_their_own_take_from_them() -> None:
    first, second = a_story()
    one_by_one, batched = View(ActivityProjection()), View(ActivityProjection())
    try:
        one_by_one.apply(*first, *second)
        written(batched, first)
        statements = written(batched, second)
        looked_up = [s.params["type"] for s in statements if s.sql == INSERT]
        # The request names its project (plain), so its approval takes from it here; the
        # correction takes from the posted update, which looks its project up: it goes after.
        assert sorted(looked_up[:2]) == ["project.followed", "status_update.posted"]
        assert looked_up[2:] == ["status_update.corrected"] == [statements[-1].params["type"]]
        assert batched.rows("activity", order_by="id") == one_by_one.rows("activity", order_by="id")
    finally:
        one_by_one.close()
        batched.close()
