"""Each trigger of issue 11 tells the right people, and nobody else: not the one who acted,
not someone unverified or erased, not a bystander; one message per person per event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.interest import ContributionRequest, Follow, Need
from domain.project import Project
from domain.reminders import DeadlineWarning, ProjectNudge
from tests.unit.notice_fakes import FakeFacts, goal, now, pledge
from workers.notify.policy import Message, messages


@dataclass
class Cast:
    facts: FakeFacts
    project: Project
    owner: UUID  # proposer and key contact
    teammate: UUID
    follower: UUID
    pledger: UUID
    asker: UUID
    unverified: UUID  # on the team, address not verified
    erased: UUID  # on the team, erased
    bystander: UUID
    pledging_org: UUID
    asking_org: UUID


@pytest.fixture
def cast() -> Cast:
    facts = FakeFacts()
    wigan, leeds, kent = facts.organisation("Wigan Council"), facts.organisation("Leeds"), facts.organisation("Kent")
    owner = facts.add_person("owner@wigan.gov.uk", name="Olu", organisation=wigan)
    teammate = facts.add_person("team@wigan.gov.uk", name="Tam", organisation=wigan)
    follower = facts.add_person("f@bury.gov.uk", name="Fay")
    pledger = facts.add_person("p@leeds.gov.uk", name="Pat", organisation=leeds)
    asker = facts.add_person("a@kent.gov.uk", name="Ash", organisation=kent)
    unverified = facts.add_person("u@wigan.gov.uk", verified=False, organisation=wigan)
    erased = facts.add_person("e@wigan.gov.uk", erased=True, organisation=wigan)
    bystander = facts.add_person("b@york.gov.uk")
    project, _ = facts.add_project(
        [owner, teammate, unverified, erased], followers=(follower,), pledgers=(pledger,), askers=(asker,)
    )
    project.collect_events()
    return Cast(facts, project, owner, teammate, follower, pledger, asker, unverified, erased, bystander, leeds, kent)


def told(event: Any, facts: FakeFacts) -> dict[UUID, Message]:
    found = messages(event, facts)
    by_person = {m.person_id: m for m in found}
    assert len(by_person) == len(found), "one message per person per event"
    return by_person


def kinds(found: dict[UUID, Message]) -> set[str]:
    return {m.kind for m in found.values()}


def test_owners_and_team_hear_of_a_new_follower_but_not_the_follower(cast: Cast) -> None:
    follow = Follow(
        id=Follow.id_for(cast.project.id, cast.bystander), project_id=cast.project.id, person_id=cast.bystander
    )
    found = told(follow.collect_events()[0], cast.facts)
    assert set(found) == {cast.owner, cast.teammate} and kinds(found) == {"new-follower"}
    assert found[cast.owner].summary is not None and "followed it" in found[cast.owner].summary
    follow.unfollow()
    follow.follow()
    assert set(told(follow.collect_events()[-1], cast.facts)) == {cast.owner, cast.teammate}  # refollowed
    own = Follow(id=uuid4(), project_id=cast.project.id, person_id=cast.teammate)
    assert set(told(own.collect_events()[0], cast.facts)) == {cast.owner}  # not told about themselves


def test_owners_hear_that_an_organisation_needs_it_too_with_its_comment(cast: Cast) -> None:
    need = Need(
        id=uuid4(),
        project_id=cast.project.id,
        organisation_id=cast.pledging_org,
        person_id=cast.pledger,
        comment="Our bins too",
    )
    found = told(need.collect_events()[0], cast.facts)
    assert set(found) == {cast.owner, cast.teammate} and kinds(found) == {"need-declared"}
    message = found[cast.owner]
    assert message.subject == "Bins: Leeds needs this too" and "Our bins too" in message.body
    need.declare(cast.pledger, "Ours as well")
    assert "Ours as well" in told(need.collect_events()[-1], cast.facts)[cast.owner].body  # redeclared


def test_a_contribution_request_reaches_owners_with_one_link_to_answer_it_and_so_does_its_reminder(cast: Cast) -> None:
    request = ContributionRequest(
        project_id=cast.project.id, person_id=cast.asker, organisation_id=cast.asking_org, message="We can test"
    )
    found = told(request.collect_events()[0], cast.facts)
    assert set(found) == {cast.owner, cast.teammate} and kinds(found) == {"contribution-request"}
    link = f"https://pipeline.example/projects/{cast.project.id}/contribution-requests/{request.id}"
    body = found[cast.owner].body
    assert body.count(link) == 1 and body.count("https://") == 1 and "We can test" in body
    assert found[cast.owner].html is not None and found[cast.owner].html.count(f'href="{link}"') == 1
    cast.facts.requests[request.id] = _request_facts(request)
    assert request.remind()
    reminded = told(request.collect_events()[-1], cast.facts)
    assert set(reminded) == {cast.owner, cast.teammate} and kinds(reminded) == {"request-reminder"}
    assert reminded[cast.owner].body.count(link) == 1


def _request_facts(request: ContributionRequest) -> Any:
    from workers.notify.notices.base import RequestFacts

    return RequestFacts(request.id, request.project_id, request.person_id, request.organisation_id, request.message)


def test_only_the_person_who_asked_hears_the_answer_with_the_reason_for_a_decline(cast: Cast) -> None:
    approved = ContributionRequest(
        project_id=cast.project.id, person_id=cast.asker, organisation_id=uuid4(), message=None
    )
    declined = ContributionRequest(
        project_id=cast.project.id, person_id=cast.bystander, organisation_id=uuid4(), message=None
    )
    for request in (approved, declined):
        cast.facts.requests[request.id] = _request_facts(request)
    approved.approve(actor=cast.owner)
    declined.decline(actor=cast.owner, reason="The team is full")
    yes = told(approved.collect_events()[-1], cast.facts)
    no = told(declined.collect_events()[-1], cast.facts)
    assert set(yes) == {cast.asker} and set(no) == {cast.bystander} and kinds(yes) == kinds(no) == {"request-answered"}
    assert "approved" in yes[cast.asker].subject and "declined" in no[cast.bystander].subject
    assert "The team is full" in no[cast.bystander].body


def test_an_archive_and_a_restore_reach_the_projects_people_but_not_who_did_it(cast: Cast) -> None:
    cast.project.archive(actor=cast.owner, moderation=False)
    cast.project.restore(actor=cast.teammate, moderation=False)
    archived, restored = cast.project.collect_events()
    people = {cast.owner, cast.teammate, cast.follower, cast.pledger, cast.asker}
    found = told(archived, cast.facts)
    assert set(found) == people - {cast.owner} and kinds(found) == {"project-archived"}
    assert found[cast.follower].subject == "Bins: archived"
    assert set(told(restored, cast.facts)) == people - {cast.teammate}


def test_a_nudge_goes_to_the_key_contact_alone_with_one_link_to_post_an_update(cast: Cast) -> None:
    for number in (1, 2):
        nudge = ProjectNudge(
            id=uuid4(), project_id=cast.project.id, idle_since="2026-01-01", number=number, key_contact_id=cast.owner
        )
        found = told(nudge.collect_events()[0], cast.facts)
        assert set(found) == {cast.owner} and kinds(found) == {"nudge"}
        body = found[cast.owner].body
        assert body.count("https://") == 1
        assert f"https://pipeline.example/projects/{cast.project.id}/status-updates/new" in body
        assert f"reminder {number} of 2" in body


def test_a_deadline_a_week_away_warns_owners_and_team(cast: Cast) -> None:
    cast.project.set_goal(goal("1000"), actor=cast.owner, now=now())
    cast.facts.keep(cast.project)
    warning = DeadlineWarning(id=uuid4(), project_id=cast.project.id, deadline="2026-12-08T00:00:00+00:00")
    found = told(warning.collect_events()[0], cast.facts)
    assert set(found) == {cast.owner, cast.teammate} and kinds(found) == {"deadline-soon"}
    assert "8 December 2026" in found[cast.owner].subject and "£0.00 of £1,000.00" in found[cast.owner].body


def test_a_decided_goal_reaches_owners_followers_pledgers_and_askers_once_each_with_totals(cast: Cast) -> None:
    cast.facts.projects[cast.project.id] = _with(cast, followers=frozenset({cast.follower, cast.teammate}))
    cast.project.set_goal(goal("1000", in_days=1), actor=cast.owner, now=now())
    cast.project.make_pledge(cast.pledging_org, cast.pledger, pledge("400"), now=now())
    assert cast.project.decide(now() + timedelta(days=2))
    decided = cast.project.collect_events()[-1]
    found = told(decided, cast.facts)
    assert set(found) == {cast.owner, cast.teammate, cast.follower, cast.pledger, cast.asker}
    assert kinds(found) == {"goal-decided"} and found[cast.follower].subject == "Bins: the goal was missed"
    assert "£400.00 of £1,000.00" in found[cast.follower].body


def _with(cast: Cast, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(cast.facts.projects[cast.project.id], **changes)


def test_owners_hear_of_a_pledge_made_amended_and_withdrawn_but_not_the_pledger(cast: Cast) -> None:
    cast.facts.projects[cast.project.id] = _with(cast, owners=frozenset({cast.owner, cast.teammate, cast.pledger}))
    made = _pledging(
        cast, lambda p: p.make_pledge(cast.pledging_org, cast.pledger, pledge("1500", "2", "testing"), now=now())
    )
    assert set(made) == {cast.owner, cast.teammate} and kinds(made) == {"pledge"}
    assert made[cast.owner].subject == "Bins: Leeds pledged £1,500.00, 2 person-days and testing"
    amended = _pledging(cast, lambda p: p.amend_pledge(cast.pledging_org, cast.pledger, pledge("100"), now=now()))
    assert "changed its pledge to £100.00" in amended[cast.owner].subject
    withdrawn = _pledging(cast, lambda p: p.withdraw_pledge(cast.pledging_org, cast.pledger, now=now()))
    assert withdrawn[cast.owner].summary == "Leeds withdrew its pledge of £100.00"


def _pledging(cast: Cast, change: Any) -> dict[UUID, Message]:
    change(cast.project)
    cast.facts.keep(cast.project)
    return told(cast.project.collect_events()[-1], cast.facts)


def test_the_goal_at_80_percent_and_reached_is_told_once_each_instead_of_the_pledge(cast: Cast) -> None:
    cast.project.set_goal(goal("1000"), actor=cast.owner, now=now())
    cast.facts.keep(cast.project)
    cast.project.collect_events()
    other = uuid4()
    assert kinds(
        _pledging(cast, lambda p: p.make_pledge(cast.pledging_org, cast.pledger, pledge("500"), now=now()))
    ) == {"pledge"}
    nearly = _pledging(cast, lambda p: p.make_pledge(other, cast.bystander, pledge("300"), now=now()))
    assert set(nearly) == {cast.owner, cast.teammate} and kinds(nearly) == {"goal-progress"}
    assert (
        nearly[cast.owner].subject == "Bins: 80% of the goal is pledged"
        and "pledged £300.00" in nearly[cast.owner].body
    )
    assert kinds(_pledging(cast, lambda p: p.amend_pledge(other, cast.bystander, pledge("350"), now=now()))) == {
        "pledge"
    }
    reached = _pledging(cast, lambda p: p.amend_pledge(other, cast.bystander, pledge("500"), now=now()))
    assert kinds(reached) == {"goal-progress"} and reached[cast.owner].subject == "Bins: the goal is reached"
    assert kinds(_pledging(cast, lambda p: p.amend_pledge(other, cast.bystander, pledge("600"), now=now()))) == {
        "pledge"
    }


def test_a_new_goal_already_met_by_the_pledges_is_told_to_owners_but_not_who_set_it(cast: Cast) -> None:
    cast.project.make_pledge(cast.pledging_org, cast.pledger, pledge("900"), now=now())
    cast.facts.keep(cast.project)
    cast.project.set_goal(goal("900"), actor=cast.teammate, now=now())
    cast.facts.keep(cast.project)
    found = told(cast.project.collect_events()[-1], cast.facts)
    assert set(found) == {cast.owner} and found[cast.owner].subject == "Bins: the goal is reached"
    cast.project.set_goal(goal("5000"), actor=cast.teammate, now=now())
    cast.facts.keep(cast.project)
    assert told(cast.project.collect_events()[-1], cast.facts) == {}  # 18%: nothing crossed


def test_every_message_names_its_project_and_has_a_one_line_summary(cast: Cast) -> None:
    cast.project.archive(actor=cast.owner, moderation=False)
    for message in messages(cast.project.collect_events()[-1], cast.facts):
        assert (message.project_id, message.project_title) == (cast.project.id, "Bins")
        assert message.summary and "\n" not in message.summary
        assert message.html and "<p>" in message.html


def test_a_follow_taken_in_from_the_original_pipeline_tells_nobody(cast: Cast) -> None:
    follow = Follow(id=uuid4(), project_id=cast.project.id, person_id=cast.bystander, imported={"source": "legacy"})
    assert told(follow.collect_events()[0], cast.facts) == {}
