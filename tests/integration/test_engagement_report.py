"""The engagement report on a small hand-made history (tests/report_story.py), whose right
answers are written here by hand, in both modes; windows; the cache; the API and CLI."""

from __future__ import annotations

from typing import Any

import pytest

from domain.organisation import council_id
from tests.report_story import Story, write_story
from workers.report.engagement import EngagementReports
from workers.report.params import parse
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration

WIGAN = {"name": "Wigan Metropolitan Borough Council", "code": "WGN", "kind": "council"}
KINGSTON = {"name": "Royal Borough of Kingston upon Thames", "code": "KTT", "kind": "council"}
LEEDS = {"name": "Leeds City Council", "code": "LDS", "kind": "council"}
ACME = {"name": "Acme Digital Ltd", "code": None, "kind": "supplier"}
ZERO_KINDS = {"follow": 0, "need": 0, "contribution_request": 0, "legacy_like": 0, "legacy_join": 0}
NO_PHASES = {"concept": 0, "discovery": 0, "alpha": 0, "beta": 0, "live": 0, "decommissioned": 0}


def org(ref: dict[str, Any], org_id: Any) -> dict[str, Any]:
    return {"id": str(org_id), **ref}


def refs(story: Story) -> dict[str, dict[str, Any]]:
    return {
        "wigan": org(WIGAN, council_id("WGN")),
        "kingston": org(KINGSTON, council_id("KTT")),
        "leeds": org(LEEDS, council_id("LDS")),
        "acme": org(ACME, story.acme),
    }


def figures(runtime: Runtime, **params: Any) -> dict[str, Any]:
    return EngagementReports(runtime.app).answer(parse(**params))


def test_every_figure_of_the_story_over_the_whole_history(any_runtime: Runtime) -> None:
    story = write_story(any_runtime.app)
    r = figures(any_runtime)
    o = refs(story)
    bulky = {"id": str(story.p1), "title": "Bulky waste collections", "owner": o["wigan"]}
    parking = {"id": str(story.p2), "title": "Parking permits", "owner": o["kingston"]}

    assert r["log_position"] == any_runtime.app.recorder.max_notification_id()
    assert r["parameters"] == {"from": None, "to": None, "forgotten_days": 90}
    assert r["period"] == {"from": None, "to": "2015-03-01T09:00:00+00:00"}
    assert r["people"] == {
        "signed_up": 5,
        "verified": 4,
        "erased": 0,
        "undated_sign_ups": 0,
        "by_week": [
            {
                "week": "2014-W36",
                "people": 3,
                "organisations": 2,
                "by_kind": {"council": {"people": 3, "organisations": 2}},
            },
            {
                "week": "2014-W37",
                "people": 1,
                "organisations": 1,
                "by_kind": {"supplier": {"people": 1, "organisations": 1}},
            },
            {
                "week": "2015-W03",
                "people": 1,
                "organisations": 1,
                "by_kind": {"council": {"people": 1, "organisations": 1}},
            },
        ],
    }
    assert r["organisations"] == {
        "signed_up": 4,
        "with_verified_members": 4,
        "councils_with_verified_members": 3,
        "by_kind": {
            "council": 3,
            "association": 0,
            "central_government": 0,
            "public_body": 0,
            "supplier": 1,
            "community": 0,
        },
        "first": [
            {**o["wigan"], "first_member_at": "2014-09-01T09:00:00+00:00"},
            {**o["kingston"], "first_member_at": "2014-09-02T09:00:00+00:00"},
            {**o["acme"], "first_member_at": "2014-09-10T09:00:00+00:00"},
            {**o["leeds"], "first_member_at": "2015-01-15T09:00:00+00:00"},
        ],
    }
    assert r["projects"] == {
        "proposed": 2,
        "by_phase": {**NO_PHASES, "discovery": 1, "alpha": 1},
        "archived": 0,
        "edits": 1,
        "forgotten": {
            "days": 90,
            "count": 1,
            "items": [
                {
                    **parking,
                    "proposed_at": "2014-09-13T09:00:00+00:00",
                    "last_update_at": None,
                    "updates": 0,
                    "reasons": ["no_update_within_days_of_proposal", "no_update_in_last_days"],
                }
            ],
        },
    }
    unanswered = {
        "kind": "contribution_request",
        "at": "2014-10-09T09:00:00+00:00",
        "project": bulky,
        "organisation": o["kingston"],
    }
    assert r["interest"] == {
        "expressed": 5,
        "by_kind": {**ZERO_KINDS, "follow": 2, "need": 1, "contribution_request": 2},
        "forgotten": {
            "count": 3,
            "by_kind": {**ZERO_KINDS, "follow": 1, "need": 1, "contribution_request": 1},
            "items": [
                {"kind": "follow", "at": "2014-09-14T09:00:00+00:00", "project": parking, "organisation": o["wigan"]},
                {"kind": "need", "at": "2014-10-06T09:00:00+00:00", "project": parking, "organisation": o["acme"]},
                unanswered,
            ],
            "unanswered_requests": {"count": 1, "items": [unanswered]},
        },
    }
    assert r["funnel"] == {
        "organisations": [
            {"step": "signed_up", "count": 4, "of_previous": 1.0, "of_signed_up": 1.0},
            {"step": "proposed", "count": 2, "of_previous": 0.5, "of_signed_up": 0.5},
            {"step": "followed_or_pledged", "count": 2, "of_previous": 1.0, "of_signed_up": 0.5},
            {"step": "posted", "count": 1, "of_previous": 0.5, "of_signed_up": 0.25},
        ],
        "people": [
            {"step": "signed_up", "count": 5, "of_previous": 1.0, "of_signed_up": 1.0},
            {"step": "proposed", "count": 2, "of_previous": 0.4, "of_signed_up": 0.4},
            {"step": "followed_or_pledged", "count": 2, "of_previous": 1.0, "of_signed_up": 0.4},
            {"step": "posted", "count": 1, "of_previous": 0.5, "of_signed_up": 0.2},
        ],
    }
    assert r["timing"] == {
        "first_follower": {"median_days": 1.0, "projects": 2},
        "first_pledge": {"median_days": 4.0, "projects": 1},
        "goal_met": {"median_days": 52.0, "projects": 1},
        "goals": {"met": 1, "missed": 0},
        "pledged_by_kind": {"supplier": {"money": "1000.00", "days": "5.00", "pledges": 1}},
    }
    assert r["network"] == {
        "links": [{"organisations": [o["acme"], o["wigan"]], "via": ["pledge", "team"], "projects": 1}],
        "organisations": [
            {**o["acme"], "partners": 1, "partner_names": [WIGAN["name"]]},
            {**o["wigan"], "partners": 1, "partner_names": [ACME["name"]]},
        ],
    }
    months = ["2014-09", "2014-10", "2014-11", "2014-12", "2015-01", "2015-02", "2015-03"]
    assert r["cohorts"] == [
        {
            "month": "2014-09",
            "people": 4,
            "active": [{"month": m, "people": n} for m, n in zip(months, [3, 3, 0, 0, 0, 0, 1], strict=True)],
        },
        {"month": "2015-01", "people": 1, "active": [{"month": m, "people": 0} for m in months[4:]]},
    ]
    assert r["notes"] == []


def test_a_window_counts_activity_within_it_and_state_as_of_its_end(any_runtime: Runtime) -> None:
    story = write_story(any_runtime.app)
    r = figures(any_runtime, start="2014-10-01", until="2014-12-31")
    o = refs(story)
    assert r["period"] == {"from": "2014-10-01T00:00:00+00:00", "to": "2014-12-31T23:59:59.999999+00:00"}
    assert (r["people"]["signed_up"], r["people"]["by_week"], r["organisations"]["first"]) == (0, [], [])
    assert r["organisations"]["with_verified_members"] == 3  # Leeds joins in 2015
    assert r["organisations"]["councils_with_verified_members"] == 2
    assert r["projects"] == {
        "proposed": 0,
        "by_phase": NO_PHASES,
        "archived": 0,
        "edits": 0,
        "forgotten": {"days": 90, "count": 0, "items": []},
    }
    assert r["interest"]["expressed"] == 3
    assert r["interest"]["by_kind"] == {**ZERO_KINDS, "need": 1, "contribution_request": 2}
    assert r["interest"]["forgotten"]["by_kind"] == {**ZERO_KINDS, "need": 1, "contribution_request": 1}
    assert r["interest"]["forgotten"]["items"][0]["organisation"] == o["acme"]
    assert r["timing"]["goals"] == {"met": 0, "missed": 0}  # projects proposed in the window: none
    assert [s["count"] for s in r["funnel"]["organisations"]] == [0, 0, 0, 0]
    assert r["cohorts"] == []


def test_forgotten_days_and_an_end_before_the_goal_was_decided(any_runtime: Runtime) -> None:
    story = write_story(any_runtime.app)
    r = figures(any_runtime, until="2014-10-31", forgotten_days=30)
    assert [(p["id"], p["reasons"]) for p in r["projects"]["forgotten"]["items"]] == [
        (str(story.p2), ["no_update_within_days_of_proposal", "no_update_in_last_days"])
    ]
    assert r["timing"]["goals"] == {"met": 0, "missed": 0}
    assert r["timing"]["goal_met"] == {"median_days": None, "projects": 0}
    assert r["people"]["signed_up"] == 4 and r["organisations"]["with_verified_members"] == 3
    assert figures(any_runtime, until="2014-10-31")["projects"]["forgotten"]["count"] == 0  # 90 days not yet past


def test_a_reader_that_caught_up_in_steps_agrees_with_a_fresh_replay(sqlite_runtime: Runtime) -> None:
    from tests.factories import council_member

    reader = EngagementReports(sqlite_runtime.app)
    early = reader.answer(parse())
    write_story(sqlite_runtime.app)
    council_member(sqlite_runtime.app, "MAN")  # now, on the wall clock
    later = reader.answer(parse())
    fresh = EngagementReports(sqlite_runtime.app).answer(parse())
    assert early["people"]["signed_up"] == 0 and later["people"]["signed_up"] == 6
    assert {k: v for k, v in later.items() if k != "generated_at"} == {
        k: v for k, v in fresh.items() if k != "generated_at"
    }
    assert reader.answer(parse()) is later  # same head and parameters: from the cache
