"""Races around a project: pledges against the goal's deadline being decided, two team
answers to one contribution request, and acting for an organisation while leaving it.

Invariants: nothing changes a pledge after the goal is decided, and the decision counts
exactly the pledges before it; a contribution request is answered once, and the team
holds the requester exactly when it was approved; nobody pledges, edits or follows after
they were erased or removed from the organisation they acted for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from domain import clock
from domain.application import OrganisationRef
from domain.errors import DomainError
from domain.interest import Follow
from domain.organisation import council_id
from domain.person import Person
from tests.factories import PASSWORD, email
from tests.faults.races import Answer, Api, at_once, log_order, name_of, officer
from workers.runtime.bootstrap import Runtime

pytestmark = [pytest.mark.races, pytest.mark.faults]
TRIES = 6
PLEDGE_EVENTS = ("PledgeMade", "PledgeAmended", "PledgeWithdrawn")


def _refused(outcome: object) -> bool:
    """A command that lost cleanly: a domain error or a version conflict (409/422 at the API)."""
    if isinstance(outcome, Exception):
        assert isinstance(outcome, DomainError | IntegrityError), repr(outcome)
        return True
    return False


def _at(moment: datetime, call: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with clock.set_to(moment):
            return call()

    return run


def _pledge(money: str) -> dict[str, Any]:
    return {"money": money, "days": "0", "contributions": [], "message": None}


def test_pledges_racing_the_deadline_never_change_a_decided_goal(race_runtime: Runtime) -> None:
    app = race_runtime.app
    owner, _ = officer(race_runtime, "WGN")
    backers = [officer(race_runtime, code)[0] for code in ("KTT", "KHL", "BNH")]
    for attempt in range(TRIES):
        deadline = datetime.now(UTC) + timedelta(days=1, minutes=attempt)
        project = app.propose_project(owner.id, "beta", {"title": f"Race {attempt}", "summary": "s"}).aggregate
        goal = {"min_partners": 2, "money": "300", "days": "0", "deadline": deadline.isoformat()}
        app.set_goal(project.id, goal, owner.id)
        app.make_pledge(project.id, backers[1].id, _pledge("100"))
        app.make_pledge(project.id, backers[2].id, _pledge("100"))
        before, after = deadline - timedelta(seconds=1), deadline + timedelta(seconds=1)
        outcomes = at_once(
            _at(before, partial(app.make_pledge, project.id, backers[0].id, _pledge("150"))),
            _at(before, partial(app.amend_pledge, project.id, backers[1].id, _pledge("90"))),
            _at(before, partial(app.withdraw_pledge, project.id, backers[2].id)),
            _at(after, partial(app.decide_goal, project.id)),
        )
        for outcome in outcomes:
            _refused(outcome)
        events = log_order(race_runtime, project.id)
        names = [name_of(e) for e in events]
        decided = names.index("GoalDecided")
        assert not set(names[decided + 1 :]) & set(PLEDGE_EVENTS), names
        final = app.get_project(project.id)
        totals = events[decided].totals
        assert (Decimal(str(totals["money"])), totals["pledges"]) == (final.totals()["money"], len(final.pledges))
        assert final.outcome == events[decided].outcome


def test_two_team_answers_to_one_request_at_once_answer_it_once(race_runtime: Runtime) -> None:
    app, api = race_runtime.app, Api(race_runtime)
    owner, owner_token = officer(race_runtime, "WGN")
    colleague, colleague_token = officer(race_runtime, "WGN", admin=True)  # answers as the owner's admin
    for attempt in range(TRIES):
        project = app.propose_project(owner.id, "beta", {"title": f"Team {attempt}", "summary": "s"}).aggregate
        asker, _ = officer(race_runtime, "KTT")
        request = app.request_contribution(project.id, asker.id, "let us help").aggregate
        path = f"/api/v1/projects/{project.id}/contribution-requests/{request.id}"
        approved, declined = at_once(
            partial(api.call, "POST", f"{path}/approve", token=owner_token),
            partial(api.call, "POST", f"{path}/decline", {"reason": None}, token=colleague_token),
        )
        assert isinstance(approved, Answer) and isinstance(declined, Answer)
        assert sorted([approved.status < 300, declined.status < 300]) == [False, True], (approved, declined)
        assert {approved.status, declined.status} - {200, 201} <= {409}, (approved, declined)
        on_team = asker.id in app.get_project(project.id).team
        assert on_team == (approved.status < 300)
        assert app.get_contribution_request(request.id).decision == ("approved" if on_team else "declined")
    assert colleague.id != owner.id


def _acts_after(runtime: Runtime, person: Person, ending: str, *ids: UUID) -> list[str]:
    """The person's acts (events naming them as person or actor) logged after ``ending``."""
    events = log_order(runtime, person.id, *ids)
    names = [name_of(e) for e in events]
    if ending not in names:
        return []
    later = events[names.index(ending) + 1 :]
    return [name_of(e) for e in later if person.id in (getattr(e, "person_id", None), getattr(e, "actor", None))]


def test_nobody_pledges_or_follows_after_being_erased_at_the_same_moment(race_runtime: Runtime) -> None:
    app = race_runtime.app
    owner, _ = officer(race_runtime, "WGN")
    project = app.propose_project(owner.id, "beta", {"title": "Erasure race", "summary": "s"}).aggregate
    for _ in range(TRIES):
        backer, _ = officer(race_runtime, "KTT")
        erased, pledged, followed = at_once(
            partial(app.erase, backer.id, actor=backer.id),
            partial(app.pledge_for_organisation, project.id, backer.id, _pledge("10")),
            partial(app.follow, project.id, backer.id, following=True),
        )
        assert not isinstance(erased, Exception), erased
        _refused(pledged), _refused(followed)
        acts = _acts_after(race_runtime, backer, "Erased", project.id, Follow.id_for(project.id, backer.id))
        assert acts == [], f"{acts} recorded after the person was erased"
        if not isinstance(pledged, Exception):  # it came first: the organisation's pledge stands
            app.withdraw_pledge(project.id, officer(race_runtime, "KTT")[0].id)


def test_nobody_pledges_for_an_organisation_after_being_removed_from_it(race_runtime: Runtime) -> None:
    app = race_runtime.app
    owner, _ = officer(race_runtime, "WGN")
    admin, _ = officer(race_runtime, "KTT", admin=True)
    project = app.propose_project(owner.id, "beta", {"title": "Removal race", "summary": "s"}).aggregate
    for _ in range(TRIES):
        backer, _ = officer(race_runtime, "KTT")
        removed, pledged = at_once(
            partial(app.remove_member, council_id("KTT"), backer.id, actor=admin.id),
            partial(app.pledge_for_organisation, project.id, backer.id, _pledge("10")),
        )
        assert not isinstance(removed, Exception), removed
        _refused(pledged)
        acts = _acts_after(race_runtime, backer, "RemovedFromOrganisation", project.id)
        assert acts == [], f"{acts} recorded for Kettering after the person was removed from it"
        if not isinstance(pledged, Exception):
            app.withdraw_pledge(project.id, admin.id)


def test_two_sign_ups_creating_one_organisation_name_make_one_organisation(race_runtime: Runtime) -> None:
    app = race_runtime.app
    for attempt in range(TRIES):
        name = f"Racing Supplies {attempt} Ltd"

        def sign_up(spelling: str) -> Callable[[], Any]:
            ref = OrganisationRef(name=spelling, kind="supplier")
            founder = {"name": "Founder", "email": email(), "job_title": None, "password": PASSWORD}
            return partial(app.sign_up, organisation=ref, **founder)

        first, second = at_once(sign_up(name), sign_up(name.upper() + "."))
        assert not isinstance(first, Exception) and not isinstance(second, Exception), (first, second)
        orgs = {first.aggregate.organisation_id, second.aggregate.organisation_id}
        assert len(orgs) == 1, "two organisations of one name"
        (org_id,) = orgs
        admins = app.get_organisation(org_id).admins
        assert len(admins) == 1 and admins[0] in (first.aggregate.id, second.aggregate.id)
        members = [app.get_person(w.aggregate.id).is_member for w in (first, second)]
        assert sorted(members) == [False, True], "the second founder must wait for the first's approval"
