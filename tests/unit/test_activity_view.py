"""The activity feed: event in, rows out (no database server needed). Rows hold ids and
a small detail; names are joined when the feed is read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from domain.interest import ContributionRequest, Follow, StatusUpdate
from domain.personal import FORMER_MEMBER
from projections import activity
from projections.activity import ActivityProjection
from projections.base import timestamp
from projections.organisations import OrganisationsProjection
from projections.people import PeopleProjection
from projections.projects import ProjectsProjection
from tests.unit.projection_helpers import (
    View,
    council,
    later,
    now,
    organisation,
    person,
    pledge,
    pledge_of,
    project,
    withdraw,
)


@pytest.fixture
def view() -> Iterator[View]:
    view = View(ActivityProjection())
    yield view
    view.close()


def feed_row(view: View, event: Any) -> dict[str, Any]:
    row = view.row("activity", id=f"{event.originator_id}:{event.originator_version}")
    return {**row, "detail": json.loads(row["detail"])}


def ids(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["type"], row["actor_id"], row["person_id"], row["organisation_id"], row["project_id"]


def test_a_sign_up_is_news_about_the_person_and_their_organisation(view: View) -> None:
    wigan = council()
    ann = person(wigan)
    (signed_up,) = view.apply(ann)
    row = feed_row(view, signed_up)
    assert ids(row) == ("person.signed_up", str(ann.id), str(ann.id), str(wigan.id), None)
    assert (row["at"], row["detail"]) == (timestamp(signed_up.timestamp), {})


def test_a_new_organisation_is_news_but_a_council_from_the_register_is_not(view: View) -> None:
    ann = person(council())
    acme = organisation("Acme Ltd", registered_by=ann.id)
    view.apply(council("KTT", "Kent County Council"), acme)
    assert [ids(r) for r in view.rows("activity")] == [("organisation.created", str(ann.id), None, str(acme.id), None)]
    assert json.loads(view.rows("activity")[0]["detail"]) == {"kind": "supplier"}


def test_moves_and_removals_name_the_organisations_involved(view: View) -> None:
    wigan, acme = council(), organisation()
    ann = person(wigan)
    ann.move_to(acme.id, acme.kind, actor=ann.id)
    ann.remove_from_organisation(actor=None)
    _, moved, removed = view.apply(ann)
    moved_row = feed_row(view, moved)
    assert ids(moved_row) == ("person.moved", str(ann.id), str(ann.id), str(acme.id), None)
    assert moved_row["detail"] == {"from_organisation_id": str(wigan.id)}
    assert ids(feed_row(view, removed)) == ("person.removed", None, str(ann.id), str(acme.id), None)


def test_events_that_do_not_name_their_project_take_it_from_the_proposal(view: View) -> None:
    wigan = council()
    ann = person(wigan)
    bins = project(ann)
    bins.edit({"summary": "Book it online", "title": "Bulky"}, actor=ann.id, moderation=False)
    bins.change_phase("alpha", actor=ann.id, moderation=True)
    proposed, edited, phase = view.apply(bins)
    assert ids(feed_row(view, proposed)) == ("project.proposed", str(ann.id), str(ann.id), str(wigan.id), str(bins.id))
    assert feed_row(view, proposed)["detail"] == {"phase": "discovery"}
    edit_row, phase_row = feed_row(view, edited), feed_row(view, phase)
    assert ids(edit_row) == ("project.edited", str(ann.id), str(ann.id), str(wigan.id), str(bins.id))
    assert edit_row["detail"] == {"fields": ["summary", "title"], "moderation": False}
    assert ids(phase_row)[3:] == (str(wigan.id), str(bins.id))
    assert phase_row["detail"] == {"from": "discovery", "to": "alpha", "moderation": True}


def test_pledges_goals_and_decisions_carry_their_amounts_as_exact_strings(view: View) -> None:
    wigan, kent = council("WGN"), council("KTT", "Kent County Council")
    ann, bob = person(wigan), person(kent)
    bins = project(ann)
    deadline = later(days=30)
    goal = {"min_partners": 1, "money": "200", "days": "0", "deadline": deadline.isoformat()}
    bins.set_goal(goal, actor=ann.id, now=now())
    pledge(bins, bob, pledge_of("150.50", "0", "testing"))
    pledge(bins, bob, pledge_of("250", "1"))
    bins.decide(deadline)
    _, goal_set, made, amended, decided = view.apply(bins)
    assert feed_row(view, goal_set)["detail"] == {
        "min_partners": 1,
        "money": "200",
        "days": "0",
        "deadline": deadline.isoformat(),
    }
    made_row = feed_row(view, made)
    assert ids(made_row) == ("pledge.made", str(bob.id), str(bob.id), str(kent.id), str(bins.id))
    assert made_row["detail"] == {"money": "150.50", "days": "0", "contributions": ["testing"]}
    assert feed_row(view, amended)["type"] == "pledge.amended"
    decided_row = feed_row(view, decided)
    assert ids(decided_row) == ("project.goal_met", None, str(ann.id), str(wigan.id), str(bins.id))
    assert decided_row["detail"] == {"money": "250", "days": "1", "partners": 1}


def test_a_withdrawn_pledge_is_news_with_no_amounts(view: View) -> None:
    kent = council("KTT", "Kent County Council")
    bob = person(kent)
    bins = project(person(council()))
    pledge(bins, bob, pledge_of("10"))
    withdraw(bins, bob)
    *_, withdrawn = view.apply(bins)
    row = feed_row(view, withdrawn)
    assert (ids(row), row["detail"]) == (("pledge.withdrawn", str(bob.id), str(bob.id), str(kent.id), str(bins.id)), {})


def test_a_follow_is_news_but_an_unfollow_is_a_private_preference(view: View) -> None:
    ann = person(council())
    bins = project(ann)
    follows = Follow(id=Follow.id_for(bins.id, ann.id), project_id=bins.id, person_id=ann.id)
    follows.unfollow()
    view.apply(bins, follows)
    assert [r["type"] for r in view.rows("activity")] == ["project.proposed", "project.followed"]


def test_a_decision_on_a_request_and_a_correction_take_who_and_where_from_the_first_event(view: View) -> None:
    wigan, kent = council("WGN"), council("KTT", "Kent County Council")
    ann, bob = person(wigan), person(kent)
    bins = project(ann)
    request = ContributionRequest(project_id=bins.id, person_id=bob.id, organisation_id=kent.id, message=None)
    request.approve(actor=ann.id)
    update = StatusUpdate(project_id=bins.id, author_id=ann.id, body="Alpha starts Monday")
    update.correct("Alpha starts Tuesday", actor=ann.id)
    _, requested, approved, posted, corrected = view.apply(bins, request, update)
    assert ids(feed_row(view, requested)) == (
        "contribution.requested",
        str(bob.id),
        str(bob.id),
        str(kent.id),
        str(bins.id),
    )
    assert ids(feed_row(view, approved)) == (
        "contribution.approved",
        str(ann.id),
        str(bob.id),
        str(kent.id),
        str(bins.id),
    )
    assert ids(feed_row(view, posted)) == (
        "status_update.posted",
        str(ann.id),
        str(ann.id),
        str(wigan.id),
        str(bins.id),
    )
    assert ids(feed_row(view, corrected)) == (
        "status_update.corrected",
        str(ann.id),
        str(ann.id),
        str(wigan.id),
        str(bins.id),
    )


def test_the_feed_reads_names_at_query_time_so_an_erased_person_shows_as_a_former_member() -> None:
    view = View(OrganisationsProjection(), PeopleProjection(), ProjectsProjection(), ActivityProjection())
    wigan = council("WGN", "Wigan Metropolitan Borough Council")
    ann = person(wigan, "Ann Example")
    bins = project(ann, "Bulky waste")
    view.apply(wigan, ann, bins)
    assert [r["summary"] for r in activity.feed(view.db)] == [
        "Ann Example (Wigan Metropolitan Borough Council) proposed Bulky waste, in discovery",
        "Ann Example (Wigan Metropolitan Borough Council) signed up",
    ]
    ann.erase(actor=ann.id)
    view.apply(ann)
    newest = activity.feed(view.db)[0]
    assert (newest["type"], newest["summary"]) == ("person.erased", f"{FORMER_MEMBER} was erased")
    assert all("Ann" not in r["summary"] for r in activity.feed(view.db))
    view.close()
