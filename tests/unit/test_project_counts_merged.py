"""The projects view writes a batch's counts once per project: the same rows as applying its
events one by one, with fewer statements (no database server needed)."""

from __future__ import annotations

from typing import Any

from domain.interest import Follow, Need
from projections.base import Statement
from projections.projects import FOLLOWERS, RECOUNT_NEEDS, RECOUNT_PLEDGES, ProjectsProjection, counts_merged
from tests.unit.projection_helpers import View, council, person, pledge, pledge_of, project, withdraw

COUNTS = (FOLLOWERS, RECOUNT_PLEDGES, RECOUNT_NEEDS)


def a_busy_batch() -> list[Any]:
    """Two projects proposed, then follows, unfollows, pledges, a withdrawal and needs on both."""
    wigan, kent, leeds = council("WGN"), council("KTT", "Kent County Council"), council("LDS", "Leeds")
    ann, bob, cy = person(wigan), person(kent), person(leeds)
    bins, beds = project(ann, "Bins"), project(bob, "Beds")
    events = [*bins.collect_events(), *beds.collect_events()]
    for who in (ann, bob, cy):
        for target in (bins, beds):
            follows = Follow(id=Follow.id_for(target.id, who.id), project_id=target.id, person_id=who.id)
            if who is cy:
                follows.unfollow()
            events += follows.collect_events()
    for who, money in ((bob, "10.00"), (cy, "20.00"), (bob, "15.00")):
        pledge(bins, who, pledge_of(money, "1.5"))
    withdraw(bins, cy)
    events += bins.collect_events()
    for who in (ann, cy):
        org = who.organisation_id
        needs = Need(
            id=Need.id_for(beds.id, org), project_id=beds.id, organisation_id=org, person_id=who.id, comment=None
        )
        events += needs.collect_events()
    return events


def as_one_batch(view: View, events: list[Any]) -> list[Statement]:
    statements = ProjectsProjection().batch(events, view.reveal, None)
    with view.db.transaction() as tx:
        for statement in statements:
            tx.execute(statement.sql, statement.params)
    return statements


def test_a_batch_writes_each_count_of_a_project_once_with_the_rows_of_one_event_at_a_time() -> None:
    events = a_busy_batch()
    one_by_one, batched = View(ProjectsProjection()), View(ProjectsProjection())
    try:
        one_by_one.apply(*events)
        statements = as_one_batch(batched, events)
        counts = [(s.sql, s.params.get("id", s.params.get("p"))) for s in statements if s.sql in COUNTS]
        assert len(counts) == len(set(counts)) == 4  # followers of both, pledges of one, needs of the other
        for table in ("projects", "project_pledges", "project_followers", "project_needs"):
            assert batched.rows(table, order_by="1") == one_by_one.rows(table, order_by="1")
        followers = {row["title"]: row["follower_count"] for row in batched.rows("projects")}
        assert followers == {"Bins": 2, "Beds": 2}
    finally:
        one_by_one.close()
        batched.close()


def test_a_count_mapped_before_its_project_is_inserted_is_not_merged_with_later_ones() -> None:
    early = Statement(FOLLOWERS, {"p": "x", "n": 1})
    inserted = Statement("INSERT INTO projects (id, title) VALUES (:id, :title)", {"id": "x", "title": "Bins"})
    later = Statement(FOLLOWERS, {"p": "x", "n": 1})
    assert counts_merged([early, inserted, later, later]) == [
        early,
        inserted,
        Statement(FOLLOWERS, {"p": "x", "n": 2}),
    ]
