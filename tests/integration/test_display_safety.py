"""Issue 20, items 15 and 16a: every text that names something displays as it is stored
(no bidirectional controls, no invisible fillers, nothing blank that looks filled), and a
whole number is a whole number. Each refusal is a 422 problem+json naming the field, and
nothing is stored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import PASSWORD
from tests.hostile import census, is_problem, operator
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
PROJECT = {"title": "Bins app", "summary": "Collection days on your phone"}
SOON = (datetime.now(UTC) + timedelta(days=30)).isoformat()

# What item 15 found stored, and the rest of the class.
HOSTILE = {
    "right-to-left override": "Bins\u202eapp",
    "left-to-right isolate": "\u2066Bins app",
    "zero width space": "Bins\u200bapp",
    "lone zero width joiner": "Bins app\u200d",
    "byte order mark": "\ufeffBins app",
    "hangul filler inside": "Bins\u3164app",
    "soft hyphen": "Bin\u00ads app",
    "right-to-left mark": "Bins app\u200f",
}
BLANK = {"hangul filler": "\u3164", "braille blank": "\u2800", "zero width space": "\u200b", "fillers": "\u3164 \u115f"}
# Text people really write, which must still be taken.
LEGITIMATE = [
    "Cyngor Sir Ynys Môn",
    "Comhairle nan Eilean Siar",
    "Zoë O'Brien-Ñúñez",
    "Bins 🗑️ app",
    "Team 👩\u200d💻 digital",
    "Cymru 🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",
    "日本語のプロジェクト",
    "Ελληνικά και русский",
    "مشروع عربي",
    "क्\u200dष",
]


def client_for(runtime: Runtime) -> Any:
    return create_app(runtime=runtime).test_client()


def sign_up_body(**changes: Any) -> dict[str, Any]:
    email = f"{uuid.uuid4().hex[:10]}@example.gov.uk"
    return {"name": "Ann", "email": email, "organisation_code": "WGN", "password": PASSWORD, **changes}


def refused_storing_nothing(rt: Runtime, send: Any, field: str) -> None:
    before = census(rt)
    response = send()
    assert is_problem(response, 422), (response.status_code, response.json)
    assert field in response.json["errors"], response.json
    assert census(rt) == before


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_sign_up_name_or_job_title_that_hides_or_reorders_text_is_refused(any_runtime: Runtime, text: str) -> None:
    client = client_for(any_runtime)
    for field in ("name", "job_title"):
        body = sign_up_body(**{field: text})
        refused_storing_nothing(any_runtime, lambda b=body: client.post("/api/v1/people", json=b), field)


@pytest.mark.parametrize("text", [*HOSTILE.values(), *BLANK.values()], ids=[*HOSTILE, *BLANK])
def test_a_project_title_summary_or_tag_that_hides_reorders_or_shows_nothing_is_refused(
    sqlite_runtime: Runtime, text: str
) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    for field, body in (
        ("title", {**PROJECT, "title": text}),
        ("summary", {**PROJECT, "summary": text}),
        ("tags", {**PROJECT, "tags": ["waste", text]}),
        ("department", {**PROJECT, "department": text}),
    ):
        refused_storing_nothing(
            sqlite_runtime, lambda b=body: client.post("/api/v1/projects", json=b, headers=headers), field
        )


def test_a_title_or_tag_of_only_a_hangul_filler_is_required_not_stored(pg_runtime: Runtime) -> None:
    client = client_for(pg_runtime)
    headers, _ = operator(client)
    before = census(pg_runtime)
    title = client.post("/api/v1/projects", json={**PROJECT, "title": "\u3164"}, headers=headers)
    assert is_problem(title, 422) and "nothing visible" in title.json["errors"]["title"][0]
    tag = client.post("/api/v1/projects", json={**PROJECT, "tags": ["\u3164"]}, headers=headers)
    assert is_problem(tag, 422) and "tags" in tag.json["errors"]
    assert census(pg_runtime) == before


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_status_updates_pledge_messages_and_profile_changes_refuse_hidden_text(
    sqlite_runtime: Runtime, text: str
) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    project = client.post("/api/v1/projects", json=PROJECT, headers=headers).json["id"]
    at = f"/api/v1/projects/{project}"
    doors = [
        ("body", lambda: client.post(f"{at}/status-updates", json={"body": text}, headers=headers)),
        ("name", lambda: client.patch("/api/v1/me", json={"name": text}, headers=headers)),
        ("job_title", lambda: client.patch("/api/v1/me", json={"job_title": text}, headers=headers)),
        ("title", lambda: client.patch(at, json={"title": text}, headers=headers)),
        ("message", lambda: client.put(f"{at}/pledges/mine", json={"money": "1", "message": text}, headers=headers)),
    ]
    for field, send in doors:
        refused_storing_nothing(sqlite_runtime, send, field)


def test_a_status_update_of_only_invisible_characters_is_required(sqlite_runtime: Runtime) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    project = client.post("/api/v1/projects", json=PROJECT, headers=headers).json["id"]
    send = lambda: client.post(  # noqa: E731
        f"/api/v1/projects/{project}/status-updates", json={"body": "\u200b\u3164\n\u2800"}, headers=headers
    )
    refused_storing_nothing(sqlite_runtime, send, "body")


def test_a_description_refuses_reordering_controls_but_keeps_joiners_and_zero_width_spaces(
    sqlite_runtime: Runtime,
) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    send = lambda: client.post(  # noqa: E731
        "/api/v1/projects", json={**PROJECT, "description": "Bins \u202egnp.exe"}, headers=headers
    )
    refused_storing_nothing(sqlite_runtime, send, "description")
    prose = "Thai \u0e44\u0e17\u0e22\u200b\u0e44\u0e17\u0e22, a family 👨\u200d👩\u200d👧 and مشروع\u200f."
    taken = client.post("/api/v1/projects", json={**PROJECT, "description": prose}, headers=headers)
    assert taken.status_code == 201, taken.json


@pytest.mark.parametrize("text", LEGITIMATE)
def test_names_and_titles_in_any_script_with_emoji_are_still_taken(sqlite_runtime: Runtime, text: str) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    signed_up = client.post("/api/v1/people", json=sign_up_body(name=text, job_title=text))
    assert signed_up.status_code == 201, signed_up.json
    created = client.post("/api/v1/projects", json={**PROJECT, "title": text, "tags": [text[:50]]}, headers=headers)
    assert created.status_code == 201, created.json
    assert client.get(f"/api/v1/projects/{created.json['id']}").json["title"] == text


# ------------------------------------------------------------------ item 16a
@pytest.mark.parametrize("min_partners", [1.9, 0.5, 2.000001])
def test_a_goal_with_a_fractional_partner_count_is_refused_and_not_stored(
    any_runtime: Runtime, min_partners: float
) -> None:
    client = client_for(any_runtime)
    headers, _ = operator(client)
    project = client.post("/api/v1/projects", json=PROJECT, headers=headers).json["id"]
    goal = {"min_partners": min_partners, "deadline": SOON}
    refused_storing_nothing(
        any_runtime, lambda: client.put(f"/api/v1/projects/{project}/goal", json=goal, headers=headers), "min_partners"
    )


def test_a_whole_number_written_with_a_point_zero_is_still_a_whole_number(sqlite_runtime: Runtime) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    project = client.post("/api/v1/projects", json=PROJECT, headers=headers).json["id"]
    set_goal = client.put(
        f"/api/v1/projects/{project}/goal", json={"min_partners": 2.0, "deadline": SOON}, headers=headers
    )
    assert set_goal.status_code == 200, set_goal.json
    assert client.get(f"/api/v1/projects/{project}").json["goal"]["min_partners"] == 2
