"""GET /api/v1/events (the log for evaluators) and the evaluator role operators grant."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from domain import clock
from domain.application import OrganisationRef
from domain.person import Person
from tests.factories import PASSWORD, bulk_sign_ups, council_member, mixed_history
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def client(any_runtime: Runtime) -> Any:
    return create_app(runtime=any_runtime).test_client()


def sign_in(client: Any, person: Person) -> dict[str, str]:
    app = client.application.extensions["pipeline"].app
    email = app.personal.open(person.id, person.email)
    response = client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def operator(client: Any) -> dict[str, str]:
    app = client.application.extensions["pipeline"].app
    person = council_member(app, "KTT")
    app.set_operator(app.personal.open(person.id, person.email), True)
    return sign_in(client, person)


def evaluator(client: Any) -> dict[str, str]:
    app = client.application.extensions["pipeline"].app
    person = council_member(app, "LDS")
    app.set_evaluator(person.id, True, actor=None)
    return sign_in(client, person)


def lines(response: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/x-ndjson"
    parsed = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert parsed[-1]["end"] is True
    return parsed[:-1], parsed[-1]


def test_an_operator_grants_and_revokes_the_evaluator_role_and_only_an_operator_may(client: Any) -> None:
    app = client.application.extensions["pipeline"].app
    person = council_member(app, "WGN")
    own = sign_in(client, person)
    url = f"/api/v1/people/{person.id}/roles/evaluator"
    assert client.put(url, headers=own).status_code == 403  # not an operator: not even for oneself
    assert client.get("/api/v1/events", headers=own).status_code == 403
    ops = operator(client)
    granted = client.put(url, headers=ops)
    assert granted.status_code == 200 and granted.json["evaluator"] is True and granted.json["changed"] is True
    assert client.put(url, headers=ops).json["changed"] is False
    assert client.get("/api/v1/me", headers=own).json["is_evaluator"] is True
    assert client.get("/api/v1/events", headers=own).status_code == 200
    assert client.delete(url, headers=ops).json["evaluator"] is False
    assert client.get("/api/v1/events", headers=own).status_code == 403
    events = list(app.events.get(person.id))[-2:]
    assert [type(e).__name__ for e in events] == ["EvaluatorGranted", "EvaluatorRevoked"]
    assert events[0].actor == events[1].actor != person.id  # the operator who acted


def test_the_log_is_refused_to_anonymous_readers_and_members(client: Any) -> None:
    assert client.get("/api/v1/events").status_code == 401
    member = sign_in(client, council_member(client.application.extensions["pipeline"].app, "MAN"))
    response = client.get("/api/v1/events", headers=member)
    assert response.status_code == 403 and response.content_type == "application/problem+json"
    assert client.get("/api/v1/events", headers=operator(client)).status_code == 200  # operators may


def test_the_log_comes_in_order_with_every_field_and_a_cursor_to_carry_on(client: Any) -> None:
    rt = client.application.extensions["pipeline"]
    mixed_history(rt.app)
    headers = evaluator(client)
    head = rt.app.recorder.max_notification_id()
    events, end = lines(client.get("/api/v1/events?limit=10000", headers=headers))
    positions = [e["position"] for e in events]
    assert positions == sorted(positions) and positions[-1] == head and len(positions) == len(set(positions))
    assert set(events[0]) == {"position", "aggregate_id", "version", "type", "time", "actor", "data"}
    assert end == {"end": True, "events": len(events), "after": head, "more": False, "next": end["next"]}
    first, rest = lines(client.get("/api/v1/events?limit=5", headers=headers))
    assert first == events[:5] and rest["more"] is True and rest["after"] == events[4]["position"]
    second, _ = lines(client.get(rest["next"], headers=headers))
    assert second == events[5:10]
    middle, _ = lines(client.get(f"/api/v1/events?after={positions[2]}&until={positions[6]}", headers=headers))
    assert middle == events[3:7]  # after: exclusive; until (a position): inclusive


def test_types_select_events_and_personal_data_is_opened_only_for_people_not_erased(client: Any) -> None:
    rt = client.application.extensions["pipeline"]
    people = mixed_history(rt.app)
    rt.app.erase(people[1], actor=None)
    rt.app.update_profile(people[2], {"name": "Renamed"}, actor=None)
    headers = evaluator(client)
    signups, _ = lines(client.get("/api/v1/events?types=Person.SignedUp,Person.ProfileChanged", headers=headers))
    assert {e["type"] for e in signups} == {"Person.SignedUp", "Person.ProfileChanged"}
    by_person = {e["aggregate_id"]: e["data"] for e in signups if e["type"] == "Person.SignedUp"}
    assert by_person[str(people[0])]["name"] == "Person 0" and "@" in by_person[str(people[0])]["email"]
    assert by_person[str(people[1])]["name"] is None and by_person[str(people[1])]["email"] is None  # erased
    assert all(data["password_hash"] is None for data in by_person.values())  # never shown, even opened
    renamed = [e for e in signups if e["type"] == "Person.ProfileChanged"]
    assert renamed[0]["data"]["changes"] == {"name": "Renamed"} and renamed[0]["actor"] is None
    everything = client.get("/api/v1/events?limit=10000", headers=headers).get_data(as_text=True)
    assert "pd1:" not in everything  # no sealed value leaves, opened or erased


def test_until_a_time_keeps_events_recorded_at_or_before_it(client: Any) -> None:
    rt = client.application.extensions["pipeline"]
    with clock.set_to(datetime(2014, 10, 1, 9, tzinfo=UTC)) as c:
        early = council_member(rt.app, "BNH")
        c.advance(datetime(2015, 1, 1, tzinfo=UTC) - c.now())
        council_member(rt.app, "CMD")
    headers = evaluator(client)
    events, _ = lines(client.get("/api/v1/events?until=2014-12-31T23:59:59Z&types=Person.SignedUp", headers=headers))
    assert [e["aggregate_id"] for e in events] == [str(early.id)]
    assert events[0]["time"] == "2014-10-01T09:00:00.000000Z"
    naive, _ = lines(client.get("/api/v1/events?until=2014-12-31T23:59:59&types=Person.SignedUp", headers=headers))
    assert naive == events  # no zone: UTC


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("types=Project.Edited,Project.Smashed", "types"),
        ("limit=10001", "limit"),
        ("limit=0", "limit"),
        ("after=-1", "after"),
        ("after=x", "after"),
        ("until=yesterday", "until"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(client: Any, query: str, field: str) -> None:
    response = client.get(f"/api/v1/events?{query}", headers=evaluator(client))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json" and field in response.json["errors"]
    if field == "types":
        assert "Project.Smashed" in str(response.json["errors"]["types"])


def test_a_long_log_streams_a_page_at_a_time(sqlite_runtime: Runtime) -> None:
    client = create_app(runtime=sqlite_runtime).test_client()
    head = bulk_sign_ups(sqlite_runtime.app, 3000)
    headers = evaluator(client)
    asked: list[int] = []
    recorder = sqlite_runtime.app.recorder
    select = recorder.select_notifications

    def counting(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs["limit"])
        return select(*args, **kwargs)

    recorder.select_notifications = counting  # type: ignore[method-assign]
    response = client.get("/api/v1/events?limit=10000", headers=headers, buffered=False)
    stream = iter(response.response)
    first = json.loads(next(stream))
    assert first["position"] == 1 and len(asked) == 1 and asked[0] <= 500  # one page read, not the log
    rest = [json.loads(chunk) for chunk in stream]
    response.close()
    assert len(rest) - 1 + 1 == len([e for e in rest if "position" in e]) + 1
    assert rest[-1]["end"] is True and rest[-1]["after"] >= head
    assert max(asked) <= 500 and len(asked) >= head // 500


def test_an_evaluator_sees_the_people_of_a_move(client: Any) -> None:
    rt = client.application.extensions["pipeline"]
    person = council_member(rt.app, "WGN")
    rt.app.move_person(person.id, OrganisationRef(code="KTT"), actor=person.id)
    events, _ = lines(client.get("/api/v1/events?types=Person.MovedOrganisation", headers=evaluator(client)))
    assert events[-1]["actor"] == str(person.id) and events[-1]["data"]["organisation_kind"] == "council"
