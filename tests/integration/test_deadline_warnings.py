"""A goal's deadline a week away warns the team once per deadline; a contribution request
unanswered for 7 days reminds the team once (not one 30 days old: history taken in, a sweep
stopped for a month). Whatever runs the sweep how often. Both modes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from domain import clock, history
from domain.interest import ContributionRequest
from domain.reminders import DeadlineWarning
from tests.factories import council_member
from tests.integration.test_nudges import recorded, sweep_at
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration

DAY = timedelta(days=1)


@pytest.fixture
def t0() -> Iterator[clock.Clock]:
    with clock.set_to(datetime.now(UTC)) as moment:
        yield moment


def project_with_goal(rt: Runtime, deadline: datetime) -> tuple[Any, uuid.UUID]:
    owner = council_member(rt.app, "WGN")
    project = rt.app.propose_project(owner.id, "alpha", {"title": "Bins", "summary": "Collections"}).aggregate.id
    goal = {"min_partners": 2, "money": "0.00", "days": "0.00", "deadline": deadline.isoformat()}
    rt.app.set_goal(project, goal, owner.id)
    rt.catch_up()
    return owner, project


def test_a_deadline_a_week_away_is_warned_of_once(any_runtime: Runtime, t0: clock.Clock) -> None:
    rt, start = any_runtime, t0.now()
    deadline = start + 30 * DAY
    project_with_goal(rt, deadline)

    assert sweep_at(rt, t0, deadline - 8 * DAY)["deadline_warnings"] == 0
    assert sweep_at(rt, t0, deadline - 7 * DAY)["deadline_warnings"] == 1
    for before in (6, 3, 1):
        assert sweep_at(rt, t0, deadline - before * DAY)["deadline_warnings"] == 0
    assert [w.deadline for w in recorded(rt, DeadlineWarning.Given)] == [deadline.isoformat()]


def test_a_new_deadline_is_warned_of_again(any_runtime: Runtime, t0: clock.Clock) -> None:
    rt, start = any_runtime, t0.now()
    owner, project = project_with_goal(rt, start + 10 * DAY)
    assert sweep_at(rt, t0, start + 4 * DAY)["deadline_warnings"] == 1
    later = start + 20 * DAY
    rt.app.set_goal(
        project, {"min_partners": 2, "money": "0.00", "days": "0.00", "deadline": later.isoformat()}, owner.id
    )
    rt.catch_up()
    assert sweep_at(rt, t0, start + 5 * DAY)["deadline_warnings"] == 0
    assert sweep_at(rt, t0, start + 14 * DAY)["deadline_warnings"] == 1
    assert len(recorded(rt, DeadlineWarning.Given)) == 2


def test_a_deadline_given_in_another_time_zone_is_warned_of_a_week_before(
    any_runtime: Runtime, t0: clock.Clock
) -> None:
    rt, start = any_runtime, t0.now()
    project_with_goal(rt, (start + 30 * DAY).astimezone(timezone(timedelta(hours=5))))
    assert sweep_at(rt, t0, start + 22 * DAY)["deadline_warnings"] == 0
    assert sweep_at(rt, t0, start + 23 * DAY + timedelta(minutes=1))["deadline_warnings"] == 1


def test_an_unanswered_request_reminds_the_team_once_and_an_answered_one_never(
    any_runtime: Runtime, t0: clock.Clock
) -> None:
    rt, start = any_runtime, t0.now()
    owner = council_member(rt.app, "WGN")
    project = rt.app.propose_project(owner.id, "alpha", {"title": "Bins", "summary": "Collections"}).aggregate.id
    waiting = rt.app.request_contribution(project, council_member(rt.app, "KTT").id, "Can we help?").aggregate.id
    answered = rt.app.request_contribution(project, council_member(rt.app, "LDS").id, "Us too").aggregate.id
    rt.catch_up()
    t0.move_to(start + 2 * DAY)
    rt.app.decide_contribution(project, answered, owner.id, approve=True)
    rt.catch_up()

    assert sweep_at(rt, t0, start + 6 * DAY)["reminders"] == 0
    assert sweep_at(rt, t0, start + 7 * DAY)["reminders"] == 1
    for later in (8, 30):
        assert sweep_at(rt, t0, start + later * DAY)["reminders"] == 0
    assert [r.originator_id for r in recorded(rt, ContributionRequest.Reminded)] == [waiting]


def test_a_request_taken_in_as_history_is_never_reminded_of(any_runtime: Runtime) -> None:
    rt = any_runtime
    with clock.set_to(datetime(2014, 9, 1, 9, tzinfo=UTC)) as then, history.writing_history(history.DEMO):
        owner = council_member(rt.app, "WGN")
        project = rt.app.propose_project(owner.id, "beta", {"title": "Old", "summary": "2014"}).aggregate.id
        then.advance(DAY)
        rt.app.request_contribution(project, council_member(rt.app, "KTT").id, None)
    rt.catch_up()
    arrived = datetime.now(UTC)
    with clock.set_to(arrived + DAY) as moment:
        for later in (1, 8, 40):
            assert sweep_at(rt, moment, arrived + later * DAY)["reminders"] == 0
    assert recorded(rt, ContributionRequest.Reminded) == []


def test_a_request_first_seen_a_month_late_is_not_reminded_of(any_runtime: Runtime, t0: clock.Clock) -> None:
    rt, start = any_runtime, t0.now()
    owner = council_member(rt.app, "WGN")
    project = rt.app.propose_project(owner.id, "alpha", {"title": "Bins", "summary": "Collections"}).aggregate.id
    rt.app.request_contribution(project, council_member(rt.app, "KTT").id, "Can we help?")
    rt.catch_up()
    assert sweep_at(rt, t0, start + 30 * DAY)["reminders"] == 0  # the sweep stopped for a month: too late now
    assert recorded(rt, ContributionRequest.Reminded) == []
