"""The projects view: event in, rows out (no database server needed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from domain.interest import Follow, Need
from domain.project import Project
from projections.base import timestamp
from projections.projects import ProjectsProjection
from tests.unit.projection_helpers import View, council, later, now, person, pledge, pledge_of, project, withdraw


@pytest.fixture
def view() -> Iterator[View]:
    view = View(ProjectsProjection())
    yield view
    view.close()


def test_a_proposal_lists_the_project_with_its_tags_rendered_description_and_proposer_on_the_team(
    view: View,
) -> None:
    ann = person(council())
    bins = project(ann, "Bulky waste", description="Book **online**", tags=["waste", "booking"])
    (proposed,) = view.apply(bins)
    row = view.row("projects", id=str(bins.id))
    at = timestamp(proposed.timestamp)
    assert (row["title"], row["phase"], row["proposer_id"], row["organisation_id"]) == (
        "Bulky waste",
        "discovery",
        str(ann.id),
        str(ann.organisation_id),
    )
    assert "<strong>online</strong>" in row["description_html"]
    assert (json.loads(row["tags"]), row["tags_text"]) == (["waste", "booking"], "waste booking")
    assert (row["team_size"], row["goal_state"], row["archived"], row["created_at"]) == (1, "none", 0, at)
    assert sorted(t["tag"] for t in view.rows("project_tags", project_id=str(bins.id))) == ["booking", "waste"]
    assert [(t["person_id"], t["joined_at"]) for t in view.rows("project_team")] == [(str(ann.id), at)]


def test_a_description_with_raw_html_is_escaped_in_the_rendered_copy(view: View) -> None:
    bins = project(person(council()), description="<script>alert(1)</script>")
    view.apply(bins)
    assert "<script>" not in view.row("projects", id=str(bins.id))["description_html"]


def test_an_edit_changes_only_the_edited_fields_and_replaces_the_tags(view: View) -> None:
    ann = person(council())
    bins = project(ann, tags=["waste"])
    view.apply(bins)
    bins.edit({"summary": "Book it online", "tags": ["bins", "booking"]}, actor=ann.id, moderation=False)
    (edited,) = view.apply(bins)
    row = view.row("projects", id=str(bins.id))
    assert (row["title"], row["summary"], row["updated_at"]) == (
        "Bulky waste",
        "Book it online",
        timestamp(edited.timestamp),
    )
    assert sorted(t["tag"] for t in view.rows("project_tags")) == ["bins", "booking"]


def test_the_search_copy_follows_the_title(view: View) -> None:
    ann = person(council())
    bins = project(ann, "Bulky waste")
    view.apply(bins)
    bins.edit({"title": "Garden waste"}, actor=ann.id, moderation=False)
    view.apply(bins)
    assert [r["title"] for r in view.db.query("SELECT title FROM projects_fts")] == ["Garden waste"]


def test_the_phase_and_archiving_are_shown_as_they_change(view: View) -> None:
    ann = person(council())
    bins = project(ann)
    view.apply(bins)
    bins.change_phase("alpha", actor=ann.id, moderation=False)
    bins.archive(actor=ann.id, moderation=False)
    view.apply(bins)
    row = view.row("projects", id=str(bins.id))
    assert (row["phase"], row["archived"]) == ("alpha", 1)
    bins.restore(actor=ann.id, moderation=False)
    view.apply(bins)
    assert view.row("projects", id=str(bins.id))["archived"] == 0


def test_a_new_team_member_is_listed_with_the_organisation_they_joined_from(view: View) -> None:
    wigan, kent = council("WGN"), council("KTT", "Kent County Council")
    ann, bob = person(wigan), person(kent)
    bins = project(ann)
    view.apply(bins)
    bins.add_to_team(bob.id, kent.id, actor=ann.id)
    view.apply(bins)
    assert view.row("projects", id=str(bins.id))["team_size"] == 2
    assert view.row("project_team", person_id=str(bob.id))["organisation_id"] == str(kent.id)


def test_pledges_are_listed_per_organisation_and_totalled_with_partners_outside_the_owner(view: View) -> None:
    wigan, kent, leeds = council("WGN"), council("KTT", "Kent County Council"), council("LDS", "Leeds City Council")
    ann, bob, dee = person(wigan), person(kent), person(leeds)
    bins = project(ann)
    view.apply(bins)
    # The owner's own pledge, recorded before owners were refused (a history may hold one):
    # counted, but not a partner.
    bins._make_pledge(organisation_id=wigan.id, person_id=ann.id, pledge=pledge_of("100.00", "1"))
    pledge(bins, bob, pledge_of("250.50", "2.25", "testing", message="Happy to help"))
    pledge(bins, dee, pledge_of("0", "0", "hosting"))
    view.apply(bins)
    row = view.row("projects", id=str(bins.id))
    assert (row["pledged_pence"], row["pledged_days_hundredths"], row["pledge_count"], row["partner_count"]) == (
        35050,
        325,
        3,
        2,
    )
    kent_pledge = view.row("project_pledges", organisation_id=str(kent.id))
    assert (kent_pledge["person_id"], kent_pledge["money_pence"], kent_pledge["message"]) == (
        str(bob.id),
        25050,
        "Happy to help",
    )
    assert json.loads(kent_pledge["contributions"]) == ["testing"]


def test_an_amended_pledge_replaces_the_old_one_and_a_withdrawn_one_leaves_the_totals(view: View) -> None:
    wigan, kent = council("WGN"), council("KTT", "Kent County Council")
    ann, bob = person(wigan), person(kent)
    bins = project(ann)
    pledge(bins, bob, pledge_of("100"))
    view.apply(bins)
    pledge(bins, bob, pledge_of("40", "1"))
    view.apply(bins)
    row = view.row("projects", id=str(bins.id))
    assert (row["pledged_pence"], row["pledged_days_hundredths"], row["pledge_count"]) == (4000, 100, 1)
    assert len(view.rows("project_pledges")) == 1
    withdraw(bins, bob)
    view.apply(bins)
    row = view.row("projects", id=str(bins.id))
    assert (row["pledged_pence"], row["pledge_count"], row["partner_count"]) == (0, 0, 0)
    assert view.rows("project_pledges") == []


def test_a_goal_is_shown_open_in_hundredths_then_decided(view: View) -> None:
    wigan, kent = council("WGN"), council("KTT", "Kent County Council")
    ann, bob = person(wigan), person(kent)
    bins = project(ann)
    deadline = later(days=30)
    bins.set_goal(
        {"min_partners": 1, "money": "200", "days": "1.5", "deadline": deadline.isoformat()}, actor=ann.id, now=now()
    )
    view.apply(bins)
    row = view.row("projects", id=str(bins.id))
    assert (row["goal_state"], row["goal_min_partners"], row["goal_pence"], row["goal_days_hundredths"]) == (
        "open",
        1,
        20000,
        150,
    )
    assert row["goal_deadline"] == deadline.isoformat()
    pledge(bins, bob, pledge_of("200", "1.5"))
    assert bins.decide(deadline)
    events = view.apply(bins)
    row = view.row("projects", id=str(bins.id))
    assert (row["goal_state"], row["goal_decided_at"]) == ("met", timestamp(events[-1].timestamp))


def follow(bins: Project, who: Any) -> Follow:
    return Follow(id=Follow.id_for(bins.id, who.id), project_id=bins.id, person_id=who.id)


def test_followers_are_listed_and_counted_through_unfollowing_and_following_again(view: View) -> None:
    ann, bob = person(council()), person(council())
    bins = project(ann)
    ann_follows, bob_follows = follow(bins, ann), follow(bins, bob)
    view.apply(bins, ann_follows, bob_follows)
    assert view.row("projects", id=str(bins.id))["follower_count"] == 2
    bob_follows.unfollow()
    view.apply(bob_follows)
    assert view.row("projects", id=str(bins.id))["follower_count"] == 1
    assert [f["person_id"] for f in view.rows("project_followers")] == [str(ann.id)]
    bob_follows.follow()
    view.apply(bob_follows)
    assert view.row("projects", id=str(bins.id))["follower_count"] == 2


def need(bins: Project, who: Any, comment: str | None) -> Need:
    org: UUID = who.organisation_id
    return Need(
        id=Need.id_for(bins.id, org), project_id=bins.id, organisation_id=org, person_id=who.id, comment=comment
    )


def test_needs_are_one_per_organisation_with_the_latest_comment_and_counted(view: View) -> None:
    wigan, kent = council("WGN"), council("KTT", "Kent County Council")
    ann, bob = person(wigan), person(kent)
    bins = project(ann)
    kent_needs = need(bins, bob, "We need this")
    view.apply(bins, kent_needs)
    kent_needs.declare(bob.id, "We need this by spring")
    view.apply(kent_needs)
    assert [(n["organisation_id"], n["comment"]) for n in view.rows("project_needs")] == [
        (str(kent.id), "We need this by spring")
    ]
    assert view.row("projects", id=str(bins.id))["need_count"] == 1
    kent_needs.withdraw(bob.id)
    view.apply(kent_needs)
    assert (view.rows("project_needs"), view.row("projects", id=str(bins.id))["need_count"]) == ([], 0)
