"""The people view: event in, rows out (no database server needed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.personal import FORMER_MEMBER
from projections.base import timestamp
from projections.people import PeopleProjection
from tests.unit.projection_helpers import View, council, organisation, person, seal


@pytest.fixture
def view() -> Iterator[View]:
    view = View(PeopleProjection())
    yield view
    view.close()


def test_a_sign_up_lists_the_person_by_their_opened_name_as_pending_with_no_email(view: View) -> None:
    wigan = council()
    ann = person(wigan, "Ann Example", "Service designer")
    (signed_up,) = view.apply(ann)
    row = view.row("people", id=str(ann.id))
    assert (row["name"], row["job_title"], row["organisation_id"]) == ("Ann Example", "Service designer", str(wigan.id))
    assert (row["membership"], row["email_verified"], row["is_admin"], row["erased"]) == ("pending", 0, 0, 0)
    assert row["signed_up_at"] == row["updated_at"] == timestamp(signed_up.timestamp)
    assert "@" not in " ".join(str(value) for value in row.values())  # the table is public: no email
    history = view.rows("people_memberships", person_id=str(ann.id))
    assert [(h["organisation_id"], h["since"], h["until"]) for h in history] == [
        (str(wigan.id), row["signed_up_at"], None)
    ]


def test_approval_makes_a_member_and_verification_and_a_new_email_set_and_clear_the_flag(view: View) -> None:
    ann = person(council())
    view.apply(ann)
    ann.admit(actor=None, reason="email domain")
    ann.verify_email()
    view.apply(ann)
    row = view.row("people", id=str(ann.id))
    assert (row["membership"], row["email_verified"]) == ("member", 1)
    ann.change_email(seal("new@example.org"), actor=ann.id)
    view.apply(ann)
    assert view.row("people", id=str(ann.id))["email_verified"] == 0


def test_a_move_closes_the_old_membership_and_opens_a_pending_one(view: View) -> None:
    wigan, acme = council(), organisation()
    ann = person(wigan)
    view.apply(ann)
    ann.move_to(acme.id, acme.kind, actor=ann.id)
    (moved,) = view.apply(ann)
    row = view.row("people", id=str(ann.id))
    assert (row["organisation_id"], row["membership"]) == (str(acme.id), "pending")
    at = timestamp(moved.timestamp)
    history = view.rows("people_memberships", order_by="since", person_id=str(ann.id))
    assert [(h["organisation_id"], h["until"]) for h in history] == [(str(wigan.id), at), (str(acme.id), None)]
    assert history[1]["since"] == at


@pytest.mark.parametrize("leave", ["removed", "declined"])
def test_leaving_by_removal_or_decline_leaves_no_organisation_no_admin_and_a_closed_membership(
    view: View, leave: str
) -> None:
    wigan = council()
    ann = person(wigan)
    wigan.appoint_admin(ann.id, actor=None, reason="first member")
    view.apply(ann, wigan)
    if leave == "removed":
        ann.remove_from_organisation(actor=None)
    else:
        ann.decline(actor=None, reason="not ours")
    (left,) = view.apply(ann)
    row = view.row("people", id=str(ann.id))
    assert (row["organisation_id"], row["membership"], row["is_admin"]) == (None, None, 0)
    assert view.row("people_memberships", person_id=str(ann.id))["until"] == timestamp(left.timestamp)


def test_admins_are_flagged_when_appointed_and_unflagged_when_dropped(view: View) -> None:
    wigan = council()
    ann = person(wigan)
    wigan.appoint_admin(ann.id, actor=None, reason="first member")
    view.apply(ann, wigan)
    assert view.row("people", id=str(ann.id))["is_admin"] == 1
    wigan.drop_admin(ann.id, actor=None, reason="stepped down")
    view.apply(wigan)
    assert view.row("people", id=str(ann.id))["is_admin"] == 0


def test_a_profile_change_shows_the_new_name_and_title_and_leaves_what_did_not_change(view: View) -> None:
    ann = person(council(), "Ann Example", "Service designer")
    view.apply(ann)
    ann.change_profile({"name": seal("Ann Other")}, actor=ann.id)
    view.apply(ann)
    row = view.row("people", id=str(ann.id))
    assert (row["name"], row["job_title"]) == ("Ann Other", "Service designer")
    ann.change_profile({"job_title": seal(None)}, actor=ann.id)
    view.apply(ann)
    assert view.row("people", id=str(ann.id))["job_title"] is None


def test_an_erased_person_shows_as_a_former_member_with_nothing_personal(view: View) -> None:
    ann = person(council(), "Ann Example", "Service designer")
    view.apply(ann)
    ann.erase(actor=ann.id)
    view.apply(ann)
    row = view.row("people", id=str(ann.id))
    assert (row["name"], row["job_title"], row["erased"], row["is_admin"]) == (FORMER_MEMBER, None, 1, 0)


def test_a_replay_after_erasure_cannot_open_the_sign_up_and_shows_a_former_member(view: View) -> None:
    ann = person(council(), "Ann Example", "Service designer")
    view.erase(ann.id)  # the key is gone before the view is rebuilt
    view.apply(ann)
    row = view.row("people", id=str(ann.id))
    assert (row["name"], row["job_title"]) == (FORMER_MEMBER, None)
