"""The whole story over HTTP, in both modes: propose, find, follow, pledge, goal met,
team formed; and bad input on the project endpoints refused without storing anything."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Api
from tests.factories import PASSWORD, council_email

pytestmark = pytest.mark.e2e


def member(api: Api, code: str) -> dict[str, str]:
    """Sign up under a council, verify by the emailed link, sign in: a bearer header."""
    address = council_email(code)
    status, _, person = api.post(
        "/api/v1/people", {"name": f"Officer {code}", "email": address, "organisation_code": code, "password": PASSWORD}
    )
    assert status == 201, person
    assert api.post("/api/v1/email-verifications", {"token": api.token_sent_to(address, "verify-email")})[0] == 200
    token = api.post("/api/v1/sessions", {"email": address, "password": PASSWORD})[2]["token"]
    return {"Authorization": f"Bearer {token}", "X-Person": person["id"]}


def ok(response: tuple[int, dict, Any], status: int = 200) -> Any:
    assert response[0] == status, response[2]
    return response[2]


def test_propose_find_follow_pledge_goal_met_team_formed(api: Api) -> None:
    ann, bob, dee = member(api, "WGN"), member(api, "KTT"), member(api, "LDS")
    title = f"Bulky waste booking {uuid.uuid4().hex[:6]}"
    proposed = ok(
        api.post(
            "/api/v1/projects",
            {
                "title": title,
                "summary": "Book a bulky waste collection online, once, for every council.",
                "description": "## Why\nResidents phone us. <script>alert(1)</script>",
                "tags": ["Waste", "booking"],
                "phase": "discovery",
                "budget_band": "50k-100k",
                "collaboration_level": "share_funding",
                "links": {"repository": "https://example.org/bulky"},
            },
            headers=ann,
        ),
        201,
    )
    project = f"/api/v1/projects/{proposed['id']}"

    found = ok(api.get(f"/api/v1/projects?q=bulky%20waste&min_position={proposed['event_position']}"))
    assert found["items"][0]["id"] == proposed["id"]
    ok(api.post(f"{project}/follow", headers=bob))
    ok(api.post(f"{project}/needs", {"comment": "Leeds needs this too"}, headers=dee))

    deadline = (datetime.now(UTC) + timedelta(seconds=6)).isoformat()
    ok(
        api.request(
            "PUT",
            f"{project}/goal",
            {"min_partners": 2, "money": "1000.00", "days": "10", "deadline": deadline},
            headers=ann,
        )
    )
    assert api.request("PUT", f"{project}/goal", {"min_partners": 1, "deadline": deadline}, headers=bob)[0] == 403
    ok(api.request("PUT", f"{project}/pledges/mine", {"money": "600.00", "days": "5"}, headers=bob))
    ok(
        api.request(
            "PUT",
            f"{project}/pledges/mine",
            {"money": "500.00", "days": "5", "contributions": ["user_research"], "message": "We will run the research"},
            headers=dee,
        )
    )
    asked = ok(api.post(f"{project}/contribution-requests", {"message": "We can build it"}, headers=bob), 201)
    ok(api.post(f"{project}/contribution-requests/{asked['id']}/approve", headers=ann))
    update = ok(api.post(f"{project}/status-updates", {"body": "Discovery kicked off"}, headers=bob), 201)

    detail = ok(api.get(f"{project}?min_position={update['event_position']}"))
    assert (detail["pledged_money"], detail["pledged_days"], detail["partner_count"]) == ("1100.00", "10.00", 2)
    assert detail["goal"]["state"] == "open" and detail["goal"]["progress"]["overall"] == 100
    assert "<script>" not in detail["description_html"] and "<h2>Why</h2>" in detail["description_html"]
    assert {m["organisation_name"] for m in detail["team"]} >= {"Wigan Metropolitan Borough Council"}
    assert len(detail["team"]) == 2 and detail["follower_count"] == 1 and detail["need_count"] == 1
    assert detail["status_updates"][0]["body"] == "Discovery kicked off"

    time.sleep(max((datetime.fromisoformat(deadline) - datetime.now(UTC)).total_seconds(), 0) + 0.5)
    decided = support_wait(lambda: (d := ok(api.get(project)))["goal"]["state"] != "open" and d)
    assert decided["goal"]["state"] == "met" and decided["goal"]["decided_at"]
    late = api.request("PUT", f"{project}/pledges/mine", {"money": "1.00"}, headers=dee)
    assert late[0] == 409 and "decided" in late[2]["detail"]
    met = ok(api.get("/api/v1/projects?goal_state=met&tag=waste"))
    assert proposed["id"] in {p["id"] for p in met["items"]}
    requests = ok(api.get(f"{project}/contribution-requests"))
    assert [r["decision"] for r in requests] == ["approved"]


def support_wait(predicate: Any) -> Any:
    from tests import support

    return support.wait_until(predicate, timeout=30, interval=0.2, message="the goal to be decided")


@pytest.fixture(scope="module")
def owner_and_project(api: Api) -> tuple[dict[str, str], str]:
    owner = member(api, "BNH")
    created = ok(
        api.post("/api/v1/projects", {"title": "Parking permits", "summary": "Apply online"}, headers=owner), 201
    )
    return owner, f"/api/v1/projects/{created['id']}"


BAD = [
    ("POST", "", {"summary": "no title"}, 422),
    ("POST", "", {"title": "T", "summary": "S", "phase": "gamma"}, 422),
    ("POST", "", {"title": "T", "summary": "S", "owner": "me"}, 422),
    ("POST", "", {"title": "T", "summary": "S", "phase_start": "2027-05-01", "phase_end": "2027-01-01"}, 422),
    ("POST", "", {"title": "T", "summary": "S", "links": {"blog": "not a url"}}, 422),
    ("PATCH", "{p}", {}, 422),
    ("PATCH", "{p}", {"budget_band": "a lot"}, 422),
    ("POST", "{p}/phase", {"phase": "finished"}, 422),
    ("PUT", "{p}/goal", {"money": "100"}, 422),
    ("PUT", "{p}/goal", {"deadline": "2030-01-01"}, 422),
    ("PUT", "{p}/goal", {"money": "100", "deadline": "2001-01-01"}, 422),
    ("PUT", "{p}/goal", {"money": "100", "deadline": "2030-01-01T10:00:00"}, 422),
    ("PUT", "{p}/pledges/mine", {"money": "-5"}, 422),
    ("PUT", "{p}/pledges/mine", {"money": "12.345"}, 422),
    ("PUT", "{p}/pledges/mine", {"contributions": ["juggling"]}, 422),
    ("PUT", "{p}/pledges/mine", {}, 422),
    ("POST", "{p}/status-updates", {"body": "   "}, 422),
    ("PUT", f"/api/v1/projects/{uuid.uuid5(uuid.NAMESPACE_URL, 'no project')}/pledges/mine", {"money": "5"}, 404),
    ("POST", "/api/v1/projects/not-a-uuid/follow", None, 404),
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), BAD, ids=[f"{m} {p} {b}" for m, p, b, _ in BAD])
def test_bad_project_requests_get_a_problem_and_store_nothing(
    api: Api, owner_and_project: tuple[dict[str, str], str], method: str, path: str, body: Any, expected: int
) -> None:
    owner, project = owner_and_project
    url = path.replace("{p}", project) if path.startswith("{p}") or not path else path
    url = url or "/api/v1/projects"
    head = api.head_of_log()
    status, headers, problem = api.request(method, url, body, headers=owner)
    assert status == expected, problem
    assert headers["Content-Type"] == "application/problem+json" and problem["status"] == expected
    assert api.head_of_log() == head


def test_writes_need_a_verified_member(api: Api, owner_and_project: tuple[dict[str, str], str]) -> None:
    _, project = owner_and_project
    assert api.request("PUT", f"{project}/pledges/mine", {"money": "5"})[0] == 401
    address = f"unverified.{uuid.uuid4().hex[:6]}@example.gov.uk"
    api.post("/api/v1/people", {"name": "Una", "email": address, "organisation_code": "KHL", "password": PASSWORD})
    token = api.post("/api/v1/sessions", {"email": address, "password": PASSWORD})[2]["token"]
    status, _, problem = api.request(
        "PUT", f"{project}/pledges/mine", {"money": "5"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 403 and "Verify" in problem["detail"]
