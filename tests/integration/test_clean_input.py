"""Text is clean at the door (issue 7, points 4 and 5): each input that once froze a view,
saved half a sign-up or answered 500 is now a 4xx problem+json that stores nothing."""

from __future__ import annotations

import base64
import json
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests import support
from tests.conftest import worker_env
from tests.factories import PASSWORD
from tests.hostile import census, is_problem, operator
from web.app import create_app
from web.http.validation import InputSchema
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
PROJECT = {"title": "Bins app", "summary": "Collection days on your phone"}
SOON = (datetime.now(UTC) + timedelta(days=30)).isoformat()


def client_for(runtime: Runtime) -> Any:
    return create_app(runtime=runtime).test_client()


def sign_up_body(**changes: Any) -> dict[str, Any]:
    email = f"{uuid.uuid4().hex[:10]}@example.gov.uk"
    return {"name": "Ann", "email": email, "organisation_code": "WGN", "password": PASSWORD, **changes}


def new_project(client: Any, headers: dict[str, str]) -> str:
    created = client.post("/api/v1/projects", json=PROJECT, headers=headers)
    assert created.status_code == 201, created.json
    return created.json["id"]


# ------------------------------------------------------------------ point 4
@pytest.mark.parametrize("name", ["Ann\u0000", "Ann\ud800"], ids=["NUL", "lone surrogate"])
def test_a_sign_up_with_a_nul_or_lone_surrogate_in_the_name_is_refused_and_saves_no_one(
    any_runtime: Runtime, name: str
) -> None:
    client = client_for(any_runtime)
    before = census(any_runtime)
    response = client.post("/api/v1/people", json=sign_up_body(name=name))
    assert is_problem(response, 422) and list(response.json["errors"]) == ["name"]
    assert census(any_runtime) == before  # no person, no email index, no person_keys row


def test_a_nul_in_a_project_title_is_refused_and_the_projects_view_keeps_up(
    pg_runtime: Runtime, tmp_path: Path
) -> None:
    client = client_for(pg_runtime)
    headers, _ = operator(client)
    refused = client.post("/api/v1/projects", json={**PROJECT, "title": "Bins\u0000app"}, headers=headers)
    assert is_problem(refused, 422) and "title" in refused.json["errors"]
    created = client.post("/api/v1/projects", json=PROJECT, headers=headers)
    assert created.status_code == 201
    url = f"/api/v1/projects/{created.json['id']}?min_position={created.json['event_position']}"
    worker = support.Process(["worker"], worker_env(pg_runtime.settings), tmp_path / "worker.log")
    try:
        support.wait_until(lambda: client.get(url).status_code == 200, timeout=60, message="the projects view")
    finally:
        worker.stop()
    assert client.get(url).json["title"] == PROJECT["title"]
    assert client.get("/readyz").status_code == 200


def test_a_title_with_cr_lf_is_refused_so_no_unsendable_notification_is_queued(sqlite_runtime: Runtime) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    project_id = new_project(client, headers)
    before = census(sqlite_runtime)
    edit = {"title": "Bins\r\nBcc: everyone@example.com"}
    response = client.patch(f"/api/v1/projects/{project_id}", json=edit, headers=headers)
    assert is_problem(response, 422) and list(response.json["errors"]) == ["title"]
    assert census(sqlite_runtime) == before


def test_prose_keeps_its_line_breaks_with_cr_lf_stored_as_lf(sqlite_runtime: Runtime) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    body = {**PROJECT, "description": "# Plan\r\n\r\n- one\n- two\tdone"}
    project_id = client.post("/api/v1/projects", json=body, headers=headers).json["id"]
    assert client.get(f"/api/v1/projects/{project_id}").json["description"] == "# Plan\n\n- one\n- two\tdone"


# ------------------------------------------------------------------ point 5
def test_thirty_thousand_nested_brackets_are_a_400(sqlite_runtime: Runtime) -> None:
    client = client_for(sqlite_runtime)
    before = census(sqlite_runtime)
    for body in ("[" * 30_000, '{"name": ' + "[" * 40 + "]" * 40 + "}"):
        response = client.post("/api/v1/people", data=body, content_type="application/json")
        assert is_problem(response, 400) and "nested deeper" in response.json["detail"]
    assert census(sqlite_runtime) == before


def test_a_lone_surrogate_in_any_text_field_is_422(sqlite_runtime: Runtime) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    raw = '{"title": "Bins", "summary": "On your \\ud800 phone"}'
    response = client.post("/api/v1/projects", data=raw, content_type="application/json", headers=headers)
    assert is_problem(response, 422) and list(response.json["errors"]) == ["summary"]


def test_a_number_of_5000_digits_as_money_is_422_naming_money(sqlite_runtime: Runtime) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    project_id = new_project(client, headers)
    before = census(sqlite_runtime)
    raw = '{"money": ' + "9" * 5000 + "}"
    url = f"/api/v1/projects/{project_id}/pledges/mine"
    response = client.put(url, data=raw, content_type="application/json", headers=headers)
    assert is_problem(response, 422) and list(response.json["errors"]) == ["money"]
    assert census(sqlite_runtime) == before


BAD_MONEY = [100, 100.5, "1e2", "1_000", "１００", "+5", " 5", "5 "]  # all taken before: now refused


@pytest.mark.parametrize("money", BAD_MONEY, ids=[repr(m) for m in BAD_MONEY])
def test_money_is_a_string_of_digits_with_at_most_two_decimals(sqlite_runtime: Runtime, money: Any) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    project_id = new_project(client, headers)
    before = census(sqlite_runtime)
    pledge = client.put(f"/api/v1/projects/{project_id}/pledges/mine", json={"money": money}, headers=headers)
    goal = client.put(f"/api/v1/projects/{project_id}/goal", json={"money": money, "deadline": SOON}, headers=headers)
    for response in (pledge, goal):
        assert is_problem(response, 422) and "money" in response.json["errors"], response.json
    assert census(sqlite_runtime) == before
    partner, _ = operator(client, "LDS")  # the owner's organisation cannot pledge to its own project
    taken = client.put(f"/api/v1/projects/{project_id}/pledges/mine", json={"money": "1500.5"}, headers=partner)
    assert taken.status_code == 200, taken.json
    assert client.get(f"/api/v1/projects/{project_id}").json["pledged_money"] == "1500.50"


FAR_MOMENTS = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "9999-12-31", "2200-01-01T00:00:00Z"]


@pytest.mark.parametrize("moment", FAR_MOMENTS)
def test_dates_out_of_range_are_422(sqlite_runtime: Runtime, moment: str) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    project_id = new_project(client, headers)
    before = census(sqlite_runtime)
    goal = client.put(f"/api/v1/projects/{project_id}/goal", json={"money": "1", "deadline": moment}, headers=headers)
    assert is_problem(goal, 422) and list(goal.json["errors"]) == ["deadline"]
    if "T" in moment:
        for url in ("/api/v1/projects", "/api/v1/projects.csv"):
            listed = client.get(url, query_string={"updated_since": moment})
            assert is_problem(listed, 422) and list(listed.json["errors"]) == ["updated_since"]
    else:
        edit = client.patch(f"/api/v1/projects/{project_id}", json={"phase_end": moment}, headers=headers)
        assert is_problem(edit, 422) and list(edit.json["errors"]) == ["phase_end"]
        assert is_problem(client.get("/api/v1/sign-ups/daily", query_string={"to": moment}), 422)
    assert census(sqlite_runtime) == before


def test_a_deadline_absurdly_far_ahead_is_422(sqlite_runtime: Runtime) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    project_id = new_project(client, headers)
    deadline = (datetime.now(UTC) + timedelta(days=365 * 50)).isoformat()
    goal = client.put(f"/api/v1/projects/{project_id}/goal", json={"money": "1", "deadline": deadline}, headers=headers)
    assert is_problem(goal, 422) and list(goal.json["errors"]) == ["deadline"]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/projects?q=bins%00", "q"),
        ("/api/v1/people?organisation=W%01GN", "organisation"),
        ("/api/v1/activity?organisation=%C2%85", "organisation"),
    ],
)
def test_query_strings_with_control_characters_are_422(sqlite_runtime: Runtime, url: str, name: str) -> None:
    response = client_for(sqlite_runtime).get(url)
    assert is_problem(response, 422) and list(response.json["errors"]) == [name]


@pytest.mark.parametrize("segment", ["W%00GN", "%01", "KTT%7F"])
def test_a_path_with_a_control_character_names_nothing(any_runtime: Runtime, segment: str) -> None:
    client = client_for(any_runtime)
    for url in (f"/api/v1/organisations/{segment}", f"/api/v1/organisations/{segment}/projects"):
        response = client.get(url)
        assert is_problem(response, 404) and "control character" in response.json["detail"], url


def cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


LIST_ENDPOINTS = [
    "/api/v1/projects",
    "/api/v1/projects?q=bins",
    "/api/v1/people",
    "/api/v1/organisations",
    "/api/v1/organisations?q=borough",
    "/api/v1/activity",
    "/api/v1/organisations/WGN/projects",
    "/api/v1/organisations/WGN/people",
]
BAD_CURSORS = [
    [[1]],
    [{"a": 1}],
    [10**30],
    [-1],
    [True],
    [1.5],
    [None],
    ["10"],
    [[1], [2]],
    [{"a": 1}, "x"],
    [10**30, 10**30],
    ["2026-01-01T00:00:00.000000Z", "not-an-id"],
    ["x\u0000", str(uuid.uuid4())],
    [2026, str(uuid.uuid4())],
    [1, 2, 3],
    [],
    {"a": 1},
    "text",
]


def test_cursors_we_gave_out_page_through_and_any_other_shape_is_400(sqlite_runtime: Runtime) -> None:
    client = client_for(sqlite_runtime)
    for _ in range(2):
        headers, _ = operator(client)
        new_project(client, headers)
    for url in LIST_ENDPOINTS:
        joiner = "&" if "?" in url else "?"
        page = client.get(f"{url}{joiner}limit=1").json
        assert page["next"], url
        assert client.get(page["next"]).status_code == 200, url
        for values in BAD_CURSORS:
            response = client.get(f"{url}{joiner}cursor={cursor(values)}")
            assert is_problem(response, 400) and list(response.json["errors"]) == ["cursor"], (url, values)


# ----------------------------------------------------- what is written out
def store_unclean_title(runtime: Runtime, client: Any) -> str:
    """A project as an event written before the door was there might have it."""
    headers, person_id = operator(client)
    project_id = new_project(client, headers)
    title = "Bins\x01\x0b\x1b[0m\x7f app\r\nnext line"
    runtime.app.edit_project(uuid.UUID(project_id), {"title": title}, uuid.UUID(person_id))
    runtime.catch_up()
    return project_id


def test_the_atom_feed_is_well_formed_xml_whatever_is_stored(sqlite_runtime: Runtime) -> None:
    client = client_for(sqlite_runtime)
    store_unclean_title(sqlite_runtime, client)
    response = client.get("/api/v1/activity.atom")
    assert response.status_code == 200
    feed = ET.fromstring(response.data)  # raises on a character XML 1.0 forbids
    titles = [e.text or "" for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert any("Bins\ufffd" in t for t in titles), titles


def test_the_csv_export_carries_no_control_characters_whatever_is_stored(sqlite_runtime: Runtime) -> None:
    client = client_for(sqlite_runtime)
    store_unclean_title(sqlite_runtime, client)
    text = client.get("/api/v1/projects.csv").get_data(as_text=True)
    assert "Bins\ufffd" in text
    assert not any(ord(c) < 0x20 and c not in "\r\n" for c in text), repr(text)


def test_a_notification_about_a_title_stored_with_cr_lf_is_sent(sqlite_runtime: Runtime) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    project_id = store_unclean_title(sqlite_runtime, client)
    follower, _ = operator(client, "KTT")
    assert client.post(f"/api/v1/projects/{project_id}/follow", headers=follower).status_code in (200, 201)
    posted = client.post(f"/api/v1/projects/{project_id}/status-updates", json={"body": "News"}, headers=headers)
    assert posted.status_code == 201
    rows = sqlite_runtime.db.query("SELECT subject, sent_at, last_error FROM outbox WHERE kind = 'project-news'")
    assert rows and all(r["last_error"] is None and r["sent_at"] for r in rows), rows
    assert not any(c in rows[0]["subject"] for c in "\r\n\x01")


# ------------------------------------------------- no schema can forget it
def argument_schemas(app: Any) -> list[tuple[str, type]]:
    """Every schema any endpoint loads a request with (body or query string)."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        cls = getattr(view, "view_class", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            func = getattr(cls, method.lower()) if cls else view
            for parameter in getattr(func, "_apidoc", {}).get("arguments", {}).get("parameters", []):
                found.append((f"{method} {rule.rule}", parameter["schema"]))
    return found


def test_every_schema_that_loads_a_request_checks_text_at_the_door(sqlite_runtime: Runtime) -> None:
    schemas = argument_schemas(create_app(runtime=sqlite_runtime))
    assert len(schemas) > 40
    forgotten = [(where, schema) for where, schema in schemas if not issubclass(schema, InputSchema)]
    assert forgotten == []
    nested = [
        (schema.__name__, name)
        for _, schema in schemas
        for name, field in schema().fields.items()
        if hasattr(field, "nested") and not isinstance(field.schema, InputSchema)
    ]
    assert nested == []


@pytest.mark.parametrize("tag", ["\u200b", "", "waste\u202e", "\u2066bins"])
def test_an_empty_invisible_or_direction_flipping_project_tag_is_refused_and_nothing_is_stored(
    sqlite_runtime: Runtime, tag: str
) -> None:
    client = client_for(sqlite_runtime)
    headers, _ = operator(client)
    before = census(sqlite_runtime)
    refused = client.post("/api/v1/projects", json={**PROJECT, "tags": ["waste", tag]}, headers=headers)
    assert is_problem(refused, 422) and "tags" in refused.json["errors"]
    assert census(sqlite_runtime) == before
