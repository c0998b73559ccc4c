"""``as_of`` on a project, an organisation and a person: the state at any moment, from
the events, checked between every pair of events, at the events' own times, before
creation and across the project's snapshots (more than 100 events)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain import clock, history
from domain.application import OrganisationRef
from tests.factories import PASSWORD, council_member, email
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
START = datetime(2014, 9, 1, 9, tzinfo=UTC)
AMENDMENTS = 120  # past Project's snapshot interval (100)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if not moment.microsecond else moment.isoformat()


@dataclass
class Story:
    """What the story wrote, and at each moment what the answer must say."""

    project: uuid.UUID
    organisation: uuid.UUID
    person: uuid.UUID
    project_states: list[tuple[datetime, dict[str, Any]]]  # (from this time on, expected fields)
    organisation_states: list[tuple[datetime, dict[str, Any]]]
    person_states: list[tuple[datetime, dict[str, Any]]]


def write_story(rt: Runtime) -> Story:
    app = rt.app
    project_states: list[tuple[datetime, dict[str, Any]]] = []
    org_states: list[tuple[datetime, dict[str, Any]]] = []
    person_states: list[tuple[datetime, dict[str, Any]]] = []
    with clock.set_to(START) as c, history.writing_history(history.DEMO):
        founder = app.sign_up(
            name="Ada Founder",
            email=email(),
            job_title="Maker",
            organisation=OrganisationRef(name="Timely Widgets Ltd", kind="supplier"),
            password=PASSWORD,
        ).aggregate
        org_id = founder.organisation_id
        org_states.append((c.now(), {"name": "Timely Widgets Ltd", "website": None}))
        person_states.append((c.now(), {"name": "Ada Founder", "job_title": "Maker", "membership": "member"}))
        c.advance(timedelta(hours=1))
        app.verify_email(founder.id)  # the founder of a new organisation is its member from the start
        c.advance(timedelta(days=1))
        app.update_organisation(org_id, {"website": "https://timely.example"}, actor=founder.id)
        org_states.append((c.now(), {"website": "https://timely.example"}))
        c.advance(timedelta(days=1))
        app.update_organisation(org_id, {"name": "Timely Widgets Limited"}, actor=founder.id)
        org_states.append((c.now(), {"name": "Timely Widgets Limited"}))
        c.advance(timedelta(days=1))
        app.update_profile(founder.id, {"job_title": "Head of making"}, actor=founder.id)
        person_states.append((c.now(), {"job_title": "Head of making"}))

        c.advance(timedelta(days=1))
        backer = council_member(app, "KTT", name="Kit Backer")
        c.advance(timedelta(days=1))
        project = app.propose_project(founder.id, "concept", {"title": "Bins", "summary": "Bin days"}).aggregate
        project_states.append((c.now(), {"title": "Bins", "phase": "concept", "pledged_money": "0.00"}))
        c.advance(timedelta(days=2))
        app.edit_project(project.id, {"title": "Bin days"}, founder.id)
        project_states.append((c.now(), {"title": "Bin days"}))
        c.advance(timedelta(days=2))
        app.change_phase(project.id, "discovery", founder.id)
        project_states.append((c.now(), {"phase": "discovery"}))
        c.advance(timedelta(days=1))
        app.follow(project.id, backer.id, following=True)
        project_states.append((c.now(), {"follower_count": 1}))
        for i in range(1, AMENDMENTS + 1):
            c.advance(timedelta(hours=6))
            pledge = {"money": f"{i}.00", "days": "0.00", "contributions": [], "message": None}
            app.pledge_for_organisation(project.id, backer.id, pledge)
            project_states.append((c.now(), {"pledged_money": f"{i}.00", "pledge_count": 1}))
        c.advance(timedelta(days=1))
        app.follow(project.id, backer.id, following=False)
        project_states.append((c.now(), {"follower_count": 0}))
    rt.catch_up()
    return Story(project.id, org_id, founder.id, project_states, org_states, person_states)


def expected(states: list[tuple[datetime, dict[str, Any]]], moment: datetime) -> dict[str, Any] | None:
    """The fields at ``moment``: every change up to it, folded; None before the first."""
    seen = [fields for at, fields in states if at <= moment]
    return {k: v for fields in seen for k, v in fields.items()} if seen else None


def moments(states: list[tuple[datetime, dict[str, Any]]]) -> Iterator[datetime]:
    """Just before the first, each event's own time, and between every pair."""
    times = [at for at, _ in states]
    yield times[0] - timedelta(microseconds=1)
    for here, there in zip(times, [*times[1:], times[-1] + timedelta(days=1)], strict=True):
        yield here
        yield here + (there - here) / 2


@pytest.fixture
def story_client(any_runtime: Runtime) -> tuple[Story, Any]:
    return write_story(any_runtime), create_app(runtime=any_runtime).test_client()


def check(client: Any, url: str, states: list[tuple[datetime, dict[str, Any]]]) -> int:
    checked = 0
    for moment in moments(states):
        response = client.get(url, query_string={"as_of": moment.isoformat()})
        want = expected(states, moment)
        if want is None:
            assert response.status_code == 404, (moment, response.json)
            assert "did not exist yet" in response.json["detail"]
        else:
            assert response.status_code == 200, (moment, response.json)
            got = {k: response.json[k] for k in want}
            assert got == want, moment
            assert response.json["as_of"].startswith(moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"))
        checked += 1
    return checked


def test_a_project_at_every_moment_of_its_history(story_client: tuple[Story, Any]) -> None:
    story, client = story_client
    assert check(client, f"/api/v1/projects/{story.project}", story.project_states) > 2 * AMENDMENTS


def test_an_organisation_and_a_person_at_every_moment(story_client: tuple[Story, Any]) -> None:
    story, client = story_client
    check(client, f"/api/v1/organisations/{story.organisation}", story.organisation_states)
    check(client, f"/api/v1/people/{story.person}", story.person_states)


def test_the_past_has_the_shape_of_the_present(story_client: tuple[Story, Any]) -> None:
    story, client = story_client
    for url in (
        f"/api/v1/projects/{story.project}",
        f"/api/v1/organisations/{story.organisation}",
        f"/api/v1/people/{story.person}",
    ):
        now = client.get(url).json
        then = client.get(url, query_string={"as_of": clock.now().isoformat()}).json
        assert set(then) - {"as_of"} <= set(now) | {"score"}, url
        assert set(now) - set(then) <= {"score"}, url


def test_as_of_refuses_times_without_a_zone_in_the_future_or_not_times(story_client: tuple[Story, Any]) -> None:
    story, client = story_client
    url = f"/api/v1/projects/{story.project}"
    for value, words in (
        ("2014-10-01T12:00:00", "The 'as of' date and time must say its time zone"),
        ((datetime.now(UTC) + timedelta(days=1)).isoformat(), "The 'as of' date and time must be now or in the past"),
        ("yesterday", "The 'as of' date and time must be a real date and time"),
        ("", "Enter the 'as of' date and time, or leave it out for the present"),
    ):
        response = client.get(url, query_string={"as_of": value})
        assert response.status_code == 400, value
        assert response.mimetype == "application/problem+json"
        assert words in response.json["detail"]


def test_an_unknown_id_at_any_time_is_404(story_client: tuple[Story, Any]) -> None:
    _story, client = story_client
    response = client.get(f"/api/v1/projects/{uuid.uuid4()}", query_string={"as_of": "2015-01-01T00:00:00Z"})
    assert response.status_code == 404
