"""The sign-ups timeline: event in, rows out (no database server needed)."""

from __future__ import annotations

from collections import Counter

from projections.base import timestamp
from projections.signups import SignupsTimelineProjection
from tests.unit.projection_helpers import View, council, organisation, person


def test_sign_ups_are_counted_per_day_and_kind_of_organisation() -> None:
    view = View(SignupsTimelineProjection())
    wigan, acme = council(), organisation(kind="supplier")
    events = view.apply(person(wigan), person(wigan), person(acme))
    expected = Counter((timestamp(e.timestamp)[:10], e.organisation_kind) for e in events)  # a run may span midnight
    rows = view.rows("signups_daily")
    assert {(r["day"], r["organisation_kind"]): r["signups"] for r in rows} == expected
    view.close()


def test_other_person_events_leave_the_timeline_alone() -> None:
    view = View(SignupsTimelineProjection())
    wigan, acme = council(), organisation()
    ann = person(wigan)
    view.apply(ann)
    ann.move_to(acme.id, acme.kind, actor=ann.id)
    ann.erase(actor=ann.id)
    view.apply(ann)
    assert [(r["organisation_kind"], r["signups"]) for r in view.rows("signups_daily")] == [("council", 1)]
    view.close()
