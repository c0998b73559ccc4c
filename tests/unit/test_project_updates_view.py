"""Status updates and contribution requests: event in, rows out (no database server needed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.interest import ContributionRequest, StatusUpdate
from projections.base import timestamp
from projections.project_updates import ProjectUpdatesProjection
from tests.unit.projection_helpers import View, council, person, project


@pytest.fixture
def view() -> Iterator[View]:
    view = View(ProjectUpdatesProjection())
    yield view
    view.close()


def test_a_posted_update_is_listed_under_its_project_with_one_revision(view: View) -> None:
    ann = person(council())
    bins = project(ann)
    update = StatusUpdate(project_id=bins.id, author_id=ann.id, body="Alpha starts Monday")
    (posted,) = view.apply(update)
    row = view.row("status_updates", id=str(update.id))
    assert (row["project_id"], row["author_id"], row["body"]) == (str(bins.id), str(ann.id), "Alpha starts Monday")
    assert (row["posted_at"], row["revised_at"], row["revisions"], row["retracted"]) == (
        timestamp(posted.timestamp),
        None,
        1,
        0,
    )


def test_a_correction_replaces_the_body_and_counts_a_revision_and_a_retraction_is_flagged(
    view: View,
) -> None:
    ann = person(council())
    update = StatusUpdate(project_id=project(ann).id, author_id=ann.id, body="Alpha starts Monday")
    view.apply(update)
    update.correct("Alpha starts Tuesday", actor=ann.id)
    (corrected,) = view.apply(update)
    row = view.row("status_updates", id=str(update.id))
    assert (row["body"], row["revisions"], row["revised_at"]) == (
        "Alpha starts Tuesday",
        2,
        timestamp(corrected.timestamp),
    )
    update.retract(actor=ann.id)
    (retracted,) = view.apply(update)
    row = view.row("status_updates", id=str(update.id))
    assert (row["retracted"], row["body"], row["revised_at"]) == (
        1,
        "Alpha starts Tuesday",
        timestamp(retracted.timestamp),
    )


def test_a_request_to_join_waits_undecided_then_shows_who_approved_it(view: View) -> None:
    wigan, kent = council("WGN"), council("KTT", "Kent County Council")
    ann, bob = person(wigan), person(kent)
    bins = project(ann)
    request = ContributionRequest(project_id=bins.id, person_id=bob.id, organisation_id=kent.id, message="Can test")
    (requested,) = view.apply(request)
    row = view.row("contribution_requests", id=str(request.id))
    assert (row["project_id"], row["person_id"], row["organisation_id"], row["message"]) == (
        str(bins.id),
        str(bob.id),
        str(kent.id),
        "Can test",
    )
    assert (row["requested_at"], row["decision"]) == (timestamp(requested.timestamp), None)
    request.approve(actor=ann.id)
    (approved,) = view.apply(request)
    row = view.row("contribution_requests", id=str(request.id))
    assert (row["decision"], row["decided_by"], row["decided_at"], row["reason"]) == (
        "approved",
        str(ann.id),
        timestamp(approved.timestamp),
        None,
    )


def test_a_declined_request_keeps_the_reason(view: View) -> None:
    ann, bob = person(council()), person(council())
    request = ContributionRequest(
        project_id=project(ann).id, person_id=bob.id, organisation_id=bob.organisation_id, message=None
    )
    request.decline(actor=ann.id, reason="Team is full")
    view.apply(request)
    row = view.row("contribution_requests", id=str(request.id))
    assert (row["decision"], row["reason"], row["decided_by"]) == ("declined", "Team is full", str(ann.id))
