"""Tags, calendar, similar projects, the CSV export, stats and per-organisation views
over HTTP, in both modes, after a story told through the API itself."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import Api
from tests.factories import PASSWORD, council_email

pytestmark = pytest.mark.e2e
NEXT_YEAR = datetime.now(UTC).year + 1


@dataclass
class Story:
    tag: str
    owner: dict  # the person who proposed, as signed up
    project: str
    related: str
    position: int


def signed_in_member(api: Api, code: str, name: str) -> tuple[dict, dict[str, str]]:
    address = council_email(code)
    status, _, person = api.post(
        "/api/v1/people", {"name": name, "email": address, "password": PASSWORD, "organisation_code": code}
    )
    assert status == 201, person
    assert api.post("/api/v1/email-verifications", {"token": api.token_sent_to(address, "verify-email")})[0] == 200
    status, _, session = api.post("/api/v1/sessions", {"email": address, "password": PASSWORD})
    assert status == 201, session
    return person, {"Authorization": f"Bearer {session['token']}"}


def written(response: tuple) -> dict:
    status, _, body = response
    assert status in (200, 201), body
    return body


@pytest.fixture(scope="module")
def story(api: Api) -> Story:
    """Kingston proposes a project with a goal, Wigan pledges to it and proposes a related one."""
    tag = f"tag-{uuid.uuid4().hex[:8]}"
    owner, kingston = signed_in_member(api, "KTT", "Kim Kingston")
    _, wigan = signed_in_member(api, "WGN", "Sam Wigan")
    details = {
        "summary": "Book a bulky waste collection online.",
        "tags": [tag, "waste"],
        "phase_start": f"{NEXT_YEAR}-01-01",
        "phase_end": f"{NEXT_YEAR}-03-31",
    }
    project = written(
        api.post(
            "/api/v1/projects", {"title": "=Bulky waste booking", "phase": "discovery", **details}, headers=kingston
        )
    )["id"]
    written(
        api.request(
            "PUT",
            f"/api/v1/projects/{project}/goal",
            {"min_partners": 1, "money": "1000.00", "days": "0", "deadline": f"{NEXT_YEAR}-02-15T12:00:00Z"},
            headers=kingston,
        )
    )
    written(
        api.request(
            "PUT",
            f"/api/v1/projects/{project}/pledges/mine",
            {"money": "500.00", "days": "5.50", "contributions": ["testing"]},
            headers=wigan,
        )
    )
    related = written(
        api.post("/api/v1/projects", {"title": "Bulky waste collections", **details, "tags": [tag]}, headers=wigan)
    )
    return Story(tag, owner, project, related["id"], related["event_position"])


def test_tags_count_the_new_projects(api: Api, story: Story) -> None:
    status, _, body = api.get(f"/api/v1/tags?min_position={story.position}")
    assert status == 200
    assert {"tag": story.tag, "project_count": 2} in body["items"]


def test_the_calendar_shows_the_phase_and_the_deadline_and_refuses_a_long_range(api: Api, story: Story) -> None:
    status, _, body = api.get(f"/api/v1/calendar?from={NEXT_YEAR}-02&to={NEXT_YEAR}-04&min_position={story.position}")
    assert status == 200
    assert [m["month"] for m in body["months"]] == [f"{NEXT_YEAR}-02", f"{NEXT_YEAR}-03", f"{NEXT_YEAR}-04"]
    february = body["months"][0]
    assert story.project in {p["id"] for p in february["projects"]}
    assert [d["goal_state"] for d in february["deadlines"] if d["id"] == story.project] == ["open"]
    assert story.project not in {p["id"] for p in body["months"][2]["projects"]}
    status, headers, problem = api.get(f"/api/v1/calendar?from={NEXT_YEAR}-01&to={NEXT_YEAR + 3}-01")
    assert (status, headers["Content-Type"], problem["status"]) == (422, "application/problem+json", 422)


def test_similar_projects_come_with_scores_and_an_unknown_project_is_a_404(api: Api, story: Story) -> None:
    status, _, body = api.get(f"/api/v1/projects/{story.project}/similar?min_position={story.position}")
    assert status == 200
    first = body["items"][0]
    assert (first["id"], first["shared_tags"]) == (story.related, [story.tag])
    assert first["score"] > 1 and 0 < first["text_similarity"] <= 1
    status, headers, problem = api.get(f"/api/v1/projects/{uuid.uuid4()}/similar")
    assert (status, headers["Content-Type"], problem["status"]) == (404, "application/problem+json", 404)


def test_the_csv_export_downloads_every_project_as_an_attachment(api: Api, story: Story) -> None:
    status, headers, text = api.get(f"/api/v1/projects.csv?tag={story.tag}&min_position={story.position}")
    assert status == 200
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"].startswith("attachment; filename=")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {story.project, story.related}
    row = rows[story.project]
    assert (row["title"], row["organisation_code"], row["pledged_money"], row["goal_state"]) == (
        "'=Bulky waste booking",
        "KTT",
        "500.00",
        "open",
    )


def test_stats_count_what_happened(api: Api, story: Story) -> None:
    status, _, stats = api.get(f"/api/v1/stats?min_position={story.position}")
    assert status == 200
    assert stats["organisations"]["with_members"] >= 2 and stats["people"] >= 2
    assert stats["projects"]["total"] >= 2 and stats["projects"]["by_phase"]["discovery"] >= 1
    assert stats["goals"]["open"] >= 1 and stats["pledges"]["organisations"] >= 1
    assert float(stats["pledges"]["money"]) >= 500


def test_an_organisation_shows_its_projects_pledges_and_members(api: Api, story: Story) -> None:
    at = f"min_position={story.position}"
    status, _, owned = api.get(f"/api/v1/organisations/KTT/projects?{at}")
    assert status == 200 and story.project in {p["id"] for p in owned["items"]}
    status, _, pledges = api.get(f"/api/v1/organisations/wgn/pledges?{at}")
    assert status == 200
    assert [
        (p["money"], p["project_organisation"]["code"]) for p in pledges["items"] if p["project_id"] == story.project
    ] == [("500.00", "KTT")]
    status, _, people = api.get(f"/api/v1/organisations/{story.owner['organisation']['id']}/people?{at}")
    assert status == 200
    assert {"id": story.owner["id"], "name": "Kim Kingston"} in people["items"]
    status, headers, problem = api.get("/api/v1/organisations/ZZZ/people")
    assert (status, headers["Content-Type"], problem["status"]) == (404, "application/problem+json", 404)
