"""The one-pass rebuild shares its copies among lanes of about equal work (by the kinds of event
each maps), keeping the given order within a lane."""

from __future__ import annotations

from projections import beside, onepass
from workers.runtime import follow


def feeds() -> list[onepass.Feed]:
    views = [v for v in follow.all_followers() if not v.starts_at_head]
    return [onepass.Feed(beside.beside(view, beside.REBUILD), 0, 100) for view in views]


def names(lanes: list[list[onepass.Feed]]) -> list[list[str]]:
    return [[feed.copy.live.name for feed in lane] for lane in lanes]


def test_the_busiest_views_get_lanes_of_their_own_and_every_copy_one_lane() -> None:
    every = feeds()
    lanes = names(onepass.shared(every, 4))
    assert len(lanes) == 4
    assert sorted(name for lane in lanes for name in lane) == sorted(f.copy.live.name for f in every)
    lane_of = {name: i for i, lane in enumerate(lanes) for name in lane}
    assert len({lane_of["activity"], lane_of["projects"], lane_of["people"]}) == 3
    order = [f.copy.live.name for f in every]
    assert all(lane == sorted(lane, key=order.index) for lane in lanes)


def test_one_lane_takes_every_copy_in_order() -> None:
    every = feeds()
    assert names(onepass.shared(every, 1)) == [[f.copy.live.name for f in every]]
