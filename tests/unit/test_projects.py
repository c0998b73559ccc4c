"""Project rules on the in-memory store: proposing, editing, teams, pledges and goals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.application import OrganisationRef, PipelineApplication
from domain.errors import Conflict, NotAllowed, NotFound, RuleBroken
from domain.organisation import council_id
from projections import projects as projects_view
from projections import runner
from projections.db import SQLiteDatabase
from projections.projects import ProjectsProjection
from tests.factories import PASSWORD, council_member, email
from tests.fakes import Clock, memory_application

PLEDGE = {"money": "500.00", "days": "5", "contributions": ["testing"], "message": None}


@pytest.fixture
def app() -> PipelineApplication:
    return memory_application()


@pytest.fixture
def clock(app: PipelineApplication, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The application's clock, moved by the test: a deadline passes without waiting for it."""
    clock = Clock(app.now())
    monkeypatch.setattr(app, "now", clock)
    return clock


def member(app: PipelineApplication, code: str, *, verified: bool = True) -> Any:
    return council_member(app, code, verified=verified, name=f"P {code}")


def propose(app: PipelineApplication, person: Any, **details: Any) -> Any:
    return app.propose_project(person.id, "discovery", {"title": "Bulky waste", "summary": "Book it", **details})


def soon(app: PipelineApplication, seconds: float = 0.3) -> str:
    return (app.now() + timedelta(seconds=seconds)).isoformat()


def test_the_proposer_is_on_the_team_and_the_project_belongs_to_their_organisation(app: PipelineApplication) -> None:
    ann = member(app, "WGN")
    project = propose(app, ann).aggregate
    assert (project.organisation_id, project.team) == (council_id("WGN"), [ann.id])


def test_the_key_contact_must_belong_to_the_owning_organisation(app: PipelineApplication) -> None:
    ann, bob = member(app, "WGN"), member(app, "KTT")
    with pytest.raises(RuleBroken, match="key contact"):
        propose(app, ann, key_contact_id=bob.id)
    colleague = member(app, "WGN")
    assert propose(app, ann, key_contact_id=colleague.id).aggregate.details["key_contact_id"] == colleague.id


def test_an_edit_records_each_field_from_what_to_what_and_who(app: PipelineApplication) -> None:
    ann = member(app, "WGN")
    project = propose(app, ann).aggregate
    app.edit_project(project.id, {"title": "Bulky waste booking", "summary": "Book it"}, ann.id)
    edited = list(app.events.get(project.id))[-1]
    assert edited.changes == {"title": {"from": "Bulky waste", "to": "Bulky waste booking"}}
    assert (edited.actor, edited.moderation) == (ann.id, False)


def test_outsiders_may_not_edit_but_operators_may_and_are_recorded_as_moderating(app: PipelineApplication) -> None:
    ann, outsider = member(app, "WGN"), member(app, "KTT")
    project = propose(app, ann).aggregate
    with pytest.raises(NotAllowed):
        app.edit_project(project.id, {"title": "Mine now"}, outsider.id)
    app.set_operator(app.reveal(outsider)["email"], True)
    app.change_phase(project.id, "alpha", outsider.id)
    changed = list(app.events.get(project.id))[-1]
    assert (changed.phase, changed.from_phase, changed.moderation) == ("alpha", "discovery", True)


def test_a_second_pledge_from_the_same_organisation_amends_it(app: PipelineApplication) -> None:
    ann, bob, bea = member(app, "WGN"), member(app, "KTT"), member(app, "KTT")
    project = propose(app, ann).aggregate
    app.pledge_for_organisation(project.id, bob.id, PLEDGE)
    app.pledge_for_organisation(project.id, bea.id, {**PLEDGE, "money": "750.00"})
    totals = app.get_project(project.id).totals()
    assert (str(totals["money"]), totals["pledges"], totals["partners"]) == ("750.00", 1, 1)
    names = [type(e).__name__ for e in app.events.get(project.id)]
    assert names[-2:] == ["PledgeMade", "PledgeAmended"]


def test_making_amending_and_withdrawing_a_pledge_are_separate_commands(app: PipelineApplication) -> None:
    ann, bob, bea = member(app, "WGN"), member(app, "KTT"), member(app, "KTT")
    project = propose(app, ann).aggregate
    with pytest.raises(RuleBroken, match="no pledge"):
        app.amend_pledge(project.id, bob.id, PLEDGE)  # nothing to amend yet
    app.make_pledge(project.id, bob.id, PLEDGE)
    with pytest.raises(Conflict, match="already pledged"):
        app.make_pledge(project.id, bea.id, PLEDGE)  # one live pledge per organisation
    assert app.amend_pledge(project.id, bob.id, PLEDGE).position is None  # the same pledge: nothing recorded
    app.amend_pledge(project.id, bea.id, {**PLEDGE, "days": "8"})
    app.withdraw_pledge(project.id, bea.id)
    names = [type(e).__name__ for e in app.events.get(project.id)]
    assert names[-3:] == ["PledgeMade", "PledgeAmended", "PledgeWithdrawn"]


def test_an_empty_pledge_is_refused(app: PipelineApplication) -> None:
    ann, bob = member(app, "WGN"), member(app, "KTT")
    project = propose(app, ann).aggregate
    with pytest.raises(RuleBroken):
        app.make_pledge(project.id, bob.id, {"money": "0", "days": "0", "contributions": [], "message": None})


def test_only_the_team_sets_the_goal(app: PipelineApplication) -> None:
    ann, bob = member(app, "WGN"), member(app, "KTT")
    project = propose(app, ann).aggregate
    goal = {"min_partners": 1, "money": "100", "days": "0", "deadline": soon(app, 60)}
    with pytest.raises(NotAllowed):
        app.set_goal(project.id, goal, bob.id)
    app.set_goal(project.id, goal, ann.id)
    assert app.get_project(project.id).goal_state == "open"


def test_a_project_without_a_goal_refuses_to_say_whether_it_is_met(app: PipelineApplication) -> None:
    project = propose(app, member(app, "WGN")).aggregate
    with pytest.raises(RuleBroken, match="no goal"):  # a domain error, not an assert that python -O drops
        project.goal_met()


def test_the_goal_is_met_all_or_nothing_once_the_deadline_passes(app: PipelineApplication, clock: Clock) -> None:
    ann, bob, dee = member(app, "WGN"), member(app, "KTT"), member(app, "LDS")
    met, missed = propose(app, ann).aggregate, propose(app, ann).aggregate
    for project in (met, missed):
        app.set_goal(project.id, {"min_partners": 2, "money": "1000", "days": "0", "deadline": soon(app)}, ann.id)
        app.make_pledge(project.id, bob.id, PLEDGE)
    app.make_pledge(met.id, dee.id, PLEDGE)  # the second partner, and the second £500
    assert app.decide_goal(met.id).position is None  # not before the deadline
    clock.advance(0.35)
    assert app.decide_goal(met.id).aggregate.outcome == "met"
    assert app.decide_goal(missed.id).aggregate.outcome == "missed"
    assert app.decide_goal(met.id).position is None  # never twice
    decided = [e for e in app.events.get(met.id) if type(e).__name__ == "GoalDecided"]
    assert len(decided) == 1 and decided[0].totals["partners"] == 2


def test_a_pledge_after_the_deadline_is_refused_and_the_goal_decided(app: PipelineApplication, clock: Clock) -> None:
    ann, bob = member(app, "WGN"), member(app, "KTT")
    project = propose(app, ann).aggregate
    app.set_goal(project.id, {"min_partners": 1, "money": "0", "days": "0", "deadline": soon(app)}, ann.id)
    clock.advance(0.35)
    with pytest.raises(Conflict, match="decided"):
        app.make_pledge(project.id, bob.id, PLEDGE)
    assert app.get_project(project.id).outcome == "missed"
    with pytest.raises(Conflict):
        app.set_goal(project.id, {"min_partners": 1, "money": "0", "days": "0", "deadline": soon(app, 60)}, ann.id)


def test_pledges_can_be_withdrawn_until_the_goal_is_decided(app: PipelineApplication) -> None:
    ann, bob = member(app, "WGN"), member(app, "KTT")
    project = propose(app, ann).aggregate
    app.make_pledge(project.id, bob.id, PLEDGE)
    app.withdraw_pledge(project.id, bob.id)
    assert app.get_project(project.id).totals()["pledges"] == 0
    with pytest.raises(RuleBroken):
        app.withdraw_pledge(project.id, bob.id)


def test_an_approved_contributor_joins_the_team_which_can_span_organisations(app: PipelineApplication) -> None:
    ann, bob, dee = member(app, "WGN"), member(app, "KTT"), member(app, "LDS")
    project = propose(app, ann).aggregate
    asked = app.request_contribution(project.id, bob.id, "We can test").aggregate
    with pytest.raises(NotAllowed):
        app.decide_contribution(project.id, asked.id, dee.id, approve=True)  # not on the team
    app.decide_contribution(project.id, asked.id, ann.id, approve=True)
    assert app.get_project(project.id).team == [ann.id, bob.id]
    with pytest.raises(Conflict):
        app.decide_contribution(project.id, asked.id, ann.id, approve=False)
    with pytest.raises(Conflict):
        app.request_contribution(project.id, bob.id, None)
    declined = app.request_contribution(project.id, dee.id, None).aggregate
    app.decide_contribution(project.id, declined.id, bob.id, approve=False, reason="Not now")  # bob is on the team now
    assert app.get_contribution_request(declined.id).decision == "declined"


def test_status_updates_keep_their_revisions_and_can_be_retracted(app: PipelineApplication) -> None:
    ann = member(app, "WGN")
    project = propose(app, ann).aggregate
    update = app.post_status_update(project.id, "Kick-off done", ann.id).aggregate
    app.revise_status_update(project.id, update.id, "Kick-off done on Monday", ann.id)
    app.revise_status_update(project.id, update.id, None, ann.id)
    names = [type(e).__name__ for e in app.events.get(update.id)]
    assert names == ["Posted", "Corrected", "Retracted"]


def test_a_status_update_is_revised_only_through_its_own_project(app: PipelineApplication) -> None:
    ann = member(app, "WGN")
    ours, other = propose(app, ann).aggregate, propose(app, ann).aggregate
    update = app.post_status_update(ours.id, "Kick-off done", ann.id).aggregate
    for body in ("Rewritten", None):
        with pytest.raises(NotFound, match="on this project"):
            app.revise_status_update(other.id, update.id, body, ann.id)
    assert [type(e).__name__ for e in app.events.get(update.id)] == ["Posted"]


def test_a_contribution_request_is_decided_only_through_its_own_project(app: PipelineApplication) -> None:
    ann, bob = member(app, "WGN"), member(app, "KTT")
    ours, other = propose(app, ann).aggregate, propose(app, ann).aggregate
    asked = app.request_contribution(ours.id, bob.id, "We can test").aggregate
    with pytest.raises(NotFound, match="on this project"):
        app.decide_contribution(other.id, asked.id, ann.id, approve=True)
    assert app.get_contribution_request(asked.id).decision is None


def test_following_twice_records_once_and_needs_are_per_organisation(app: PipelineApplication) -> None:
    ann, bob, bea = member(app, "WGN"), member(app, "KTT"), member(app, "KTT")
    project = propose(app, ann).aggregate
    assert app.follow(project.id, bob.id, following=True).position is not None
    assert app.follow(project.id, bob.id, following=True).position is None
    app.declare_need(project.id, bob.id, "Us too")
    app.declare_need(project.id, bea.id, "Us too, from Kingston")  # the same organisation: one need
    need = app.declare_need(project.id, bea.id, None, withdraw=True).aggregate
    assert need.active is False


def test_an_archived_project_takes_no_pledges_until_restored(app: PipelineApplication) -> None:
    ann, bob = member(app, "WGN"), member(app, "KTT")
    project = propose(app, ann).aggregate
    app.archive_project(project.id, ann.id, restore=False)
    with pytest.raises(Conflict):
        app.make_pledge(project.id, bob.id, PLEDGE)
    app.archive_project(project.id, ann.id, restore=True)
    app.make_pledge(project.id, bob.id, PLEDGE)


def test_the_read_side_counts_contributions_as_the_project_does(app: PipelineApplication) -> None:
    ann, bob, dee, eve = member(app, "WGN"), member(app, "KTT"), member(app, "LDS"), member(app, "MAN")
    project = propose(app, ann).aggregate
    app.make_pledge(project.id, bob.id, {**PLEDGE, "contributions": ["testing", "hosting"]})
    app.make_pledge(project.id, dee.id, {**PLEDGE, "contributions": ["testing"]})
    app.make_pledge(project.id, eve.id, {**PLEDGE, "contributions": ["code_review"]})
    app.withdraw_pledge(project.id, eve.id)  # a withdrawn pledge counts for nothing
    db = SQLiteDatabase(":memory:")
    runner.create_tables(db, [ProjectsProjection()])
    runner.catch_up(app, db, ProjectsProjection())
    counts = projects_view.contribution_counts(db, str(project.id))
    assert counts == app.get_project(project.id).totals()["contributions"] == {"testing": 2, "hosting": 1}


def test_nobody_acts_on_projects_before_verifying_their_address(app: PipelineApplication) -> None:
    """The founder of a new organisation is its member from the start, but like everyone must
    prove the address before acting: the domain says so, not only the API's gate."""
    founder = app.sign_up(
        name="Founder",
        email=email(),
        job_title=None,
        organisation=OrganisationRef(name="Acme Digital Ltd", kind="supplier"),
        password=PASSWORD,
    ).aggregate
    assert founder.is_member and not founder.email_verified
    owner = member(app, "WGN")
    project = propose(app, owner).aggregate
    refusals = [
        lambda: propose(app, founder),
        lambda: app.follow(project.id, founder.id, following=True),
        lambda: app.pledge_for_organisation(project.id, founder.id, PLEDGE),
        lambda: app.request_contribution(project.id, founder.id, "We can help"),
    ]
    for refused in refusals:
        with pytest.raises(NotAllowed, match="Verify your email address"):
            refused()
    app.verify_email(founder.id)
    assert propose(app, founder).position is not None
    assert app.follow(project.id, founder.id, following=True).position is not None
