"""Fault test 5: a table of hostile inputs sent to EVERY write endpoint, on SQLite and on
PostgreSQL. Each must be a 4xx problem+json and store nothing: the row count of every
table and the head of the event log are the same before and after.

Each endpoint with a body has a valid body below, and each case spoils exactly one
field of it, so it is the hostile value, and nothing else, that must be refused."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests import support
from tests.factories import PASSWORD
from tests.hostile import census, is_problem, operator
from web.api.fields import Prose
from web.app import create_app
from web.http.auth import MODERATION
from workers.runtime.bootstrap import Runtime, build_runtime, initialise
from workers.runtime.settings import Settings

pytestmark = pytest.mark.faults
WRITES = ("POST", "PUT", "PATCH", "DELETE")
SOON = (datetime.now(UTC) + timedelta(days=30)).isoformat()
HUGE = "__HUGE_NUMBER__"  # replaced in the raw body: json.dumps cannot write 5,000 digits

VALID: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/organisations/<code_or_id>"): {"website": "https://w.example", "description": "About us"},
    ("POST", "/api/v1/organisations/<code_or_id>/admins"): {"person_id": "<person>"},
    ("POST", "/api/v1/organisations/<code_or_id>/handover"): {"person_id": "<person>"},
    ("PUT", "/api/v1/me/page"): {"shown": ["projects", "follows"]},
    ("POST", "/api/v1/organisations/<code_or_id>/pending-members/<uuid:person_id>/decline"): {"reason": "Not ours"},
    ("POST", "/api/v1/organisations/<code_or_id>/domains"): {"domain": "hostile.example.org"},
    ("POST", "/api/v1/people"): {
        "name": "Ann",
        "email": "ann.hostile@example.gov.uk",
        "job_title": "Developer",
        "organisation_code": "KTT",
        "password": PASSWORD,
    },
    ("POST", "/api/v1/sessions"): {"email": "ann.hostile@example.gov.uk", "password": PASSWORD},
    ("DELETE", "/api/v1/me"): {"password": PASSWORD},
    ("PATCH", "/api/v1/me"): {"name": "Olive", "job_title": "Operator"},
    ("PUT", "/api/v1/me/password"): {"current_password": PASSWORD, "new_password": "another long passphrase"},
    # kinds ({name: bool}) left out: a boolean, wrong everywhere else, is right there
    ("PUT", "/api/v1/me/notifications"): {"frequency": "daily", "interests": {"tags": ["bins"], "words": ["potholes"]}},
    ("POST", "/api/v1/unsubscribe"): {"token": "a-token-of-some-length"},
    ("POST", "/api/v1/email-verifications"): {"token": "a-token-of-some-length"},
    ("POST", "/api/v1/email-changes/undo"): {"token": "a-token-of-some-length"},
    ("POST", "/api/v1/password-resets"): {"email": "ann.hostile@example.gov.uk"},
    ("POST", "/api/v1/password-resets/confirm"): {
        "token": "a-token-of-some-length",
        "new_password": "another long passphrase",
    },
    ("POST", "/api/v1/projects"): {
        "title": "Bins app",
        "summary": "Collection days on your phone",
        "description": "# Plan\n\nShip it.",
        "tags": ["bins", "waste"],
        "department": "Waste",
        "phase_start": "2026-01-01",
        "links": {"blog": "https://b.example/bins"},
        "phase": "alpha",
    },
    ("PATCH", "/api/v1/projects/<uuid:project_id>"): {"title": "Bins app 2", "phase_end": "2027-01-01"},
    **{("POST", f"/api/v1{path}"): {"reason": "Advertising"} for path in MODERATION if "tag-renames" not in path},
    ("POST", "/api/v1/tag-renames"): {"old": "bins", "new": "waste", "reason": "One name"},
    ("POST", "/api/v1/projects/<uuid:project_id>/restorations"): {"field": "title", "version": 1},
    ("POST", "/api/v1/projects/<uuid:project_id>/comments"): {"body": "Could we share this?"},
    ("PATCH", "/api/v1/comments/<uuid:comment_id>"): {"body": "Could we share it?"},
    ("POST", "/api/v1/comments/<uuid:comment_id>/hide"): {"reason": "Advertising"},
    ("POST", "/api/v1/comments/<uuid:comment_id>/unhide"): {"reason": "Not advertising"},
    ("POST", "/api/v1/projects/<uuid:project_id>/phase"): {"phase": "beta"},
    ("PUT", "/api/v1/projects/<uuid:project_id>/goal"): {
        "min_partners": 1,
        "money": "100",
        "days": "1.5",
        "deadline": SOON,
    },
    ("PUT", "/api/v1/projects/<uuid:project_id>/pledges/mine"): {
        "money": "10",
        "days": "1",
        "contributions": ["testing"],
        "message": "Happy to help",
    },
    ("POST", "/api/v1/projects/<uuid:project_id>/status-updates"): {"body": "Went live"},
    ("PATCH", "/api/v1/projects/<uuid:project_id>/status-updates/<uuid:update_id>"): {"body": "Went live today"},
    ("POST", "/api/v1/projects/<uuid:project_id>/needs"): {"comment": "We need this too"},
    ("POST", "/api/v1/projects/<uuid:project_id>/contribution-requests"): {"message": "Can I help?"},
    ("POST", "/api/v1/projects/<uuid:project_id>/contribution-requests/<uuid:request_id>/decline"): {
        "reason": "Not now"
    },
}

# Cases for one field, by what the field holds. Text: refused in any field.
ANY_TEXT = {
    "NUL": "a\x00b",
    "C0 control": "a\x01b",
    "escape sequence": "\x1b[2Ja",
    "DEL": "a\x7fb",
    "C1 control": "a\x85b",
    "lone surrogate": "a\ud800b",
    "lone low surrogate": "\udc00a",
    "noncharacter": "a\uffffb",
    "lone CR": "a\rb",
}
ONE_LINE_TEXT = {"CR LF": "a\r\nBcc: x@example.com", "LF": "a\nb", "tab": "a\tb"}
WRONG_TYPES = {"object": {"$ne": 1}, "nested list": [[]], "boolean": True}
HUGE_NUMBERS = {"5,000 digits": HUGE, "2^64": 2**64, "-2^70": -(2**70)}
BAD_AMOUNTS = {
    "JSON integer": 100,
    "JSON float": 10.5,
    "exponent": "1e2",
    "underscores": "1_000",
    "full-width digits": "１００",
    "plus sign": "+5",
    "leading space": " 5",
    "three decimals": "1.234",
    "negative": "-1",
    "13 digits": "1" * 13,
}
FAR_DATES = {
    "year 9999 at -14:00": "9999-12-31T23:59:59-14:00",
    "year 1 at +14:00": "0001-01-01T00:00:00+14:00",
    "year 9999": "9999-12-31",
    "a century ahead": (datetime.now(UTC) + timedelta(days=36500)).isoformat(),
}
# Whole bodies: refused on every write endpoint, even one that reads no body.
RAW_BODIES = {
    "30,000 nested [": "[" * 30_000,
    "40 nested objects": '{"a":' * 40 + "1" + "}" * 40,
    "NaN": '{"money": NaN}',
    "Infinity": '{"money": Infinity}',
    "not JSON": '{"title": ',
    "invalid UTF-8": b'{"title": "\xff\xfe"}',
    "5,000-digit number anywhere": '{"zzz": ' + "9" * 5000 + "}",
    "NUL in a key": '{"zzz\\u0000": 1}',
    "lone surrogate anywhere": '{"zzz": ["\\ud800"]}',
}
BODY_SHAPES = {"a list": [], "a string": "text", "a number": 5}
PATH_SEGMENTS = {"NUL in the path": "W\x00GN", "control character in the path": "\x01", "DEL in the path": "KTT\x7f"}


@pytest.fixture(params=["sqlite", "pg"])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """Rate limits off: the hundreds of refusals here must each reach the checks."""
    if request.param == "sqlite":
        settings = Settings(
            database_url=f"sqlite:///{tmp_path}/pipeline.sqlite3",
            rate_limits=False,
            outbox_dir=str(tmp_path / "outbox"),
        )
        initialise(settings)
    else:
        url = request.getfixturevalue("pg_url")
        request.getfixturevalue("redis_available")
        settings = Settings(
            database_url=url,
            redis_url=support.REDIS_URL,
            queue_name=f"test-{uuid.uuid4().hex[:10]}",
            rate_limits=False,
            secret_key=support.SECRET_KEY,
            outbox_dir=str(tmp_path / "outbox"),
        )
    rt = build_runtime(settings)
    yield rt
    rt.close()


def write_endpoints(app: Any) -> list[tuple[str, str]]:
    return sorted((m, rule.rule) for rule in support.api_rules(app) for m in rule.methods if m in WRITES)


def argument_schema(app: Any, method: str, rule: str, location: str = "json") -> type | None:
    """The schema the endpoint loads its JSON body (or query string) with, if any."""
    for candidate in app.url_map.iter_rules():
        if candidate.rule == rule and method in candidate.methods:
            view = app.view_functions[candidate.endpoint]
            func = getattr(view.view_class, method.lower()) if hasattr(view, "view_class") else view
            for parameter in getattr(func, "_apidoc", {}).get("arguments", {}).get("parameters", []):
                if parameter.get("in", "json") == location:
                    return parameter["schema"]
    return None


def targets(client: Any) -> dict[str, str]:
    """Real things for the URLs and bodies, so that a body let through would be stored."""
    headers, person_id = operator(client)
    project_id = client.post("/api/v1/projects", json={"title": "Target", "summary": "S"}, headers=headers).json["id"]
    update = client.post(f"/api/v1/projects/{project_id}/status-updates", json={"body": "News"}, headers=headers)
    other, _ = operator(client, "KTT")
    request = client.post(f"/api/v1/projects/{project_id}/contribution-requests", json={}, headers=other)
    comment = client.post(f"/api/v1/projects/{project_id}/comments", json={"body": "First"}, headers=headers)
    assert update.status_code == request.status_code == comment.status_code == 201, (update.json, request.json)
    return {
        "<code_or_id>": "WGN",
        "<domain>": "wigan.gov.uk",
        "<uuid:project_id>": project_id,
        "<uuid:update_id>": update.json["id"],
        "<uuid:request_id>": request.json["id"],
        "<uuid:comment_id>": comment.json["id"],
        "<uuid:person_id>": person_id,
        "<person>": person_id,
        "headers": headers,  # type: ignore[dict-item]
    }


def concrete(rule: str, things: dict[str, Any]) -> str:
    return re.sub(r"<[^>]+>", lambda m: things[m.group()], rule)


def spoiled(body: dict[str, Any], schema: type) -> Iterator[tuple[str, Any]]:
    """(case, body) with one field of ``body`` made hostile, for every field and case."""
    fields = schema().fields
    for key, value in body.items():
        cases: dict[str, Any] = {**WRONG_TYPES, **HUGE_NUMBERS}
        if isinstance(value, str):
            cases |= ANY_TEXT | ({} if isinstance(fields[key], Prose) else ONE_LINE_TEXT)
        if key in ("money", "days"):
            cases |= BAD_AMOUNTS
        if key in ("deadline", "phase_start", "phase_end"):
            cases |= FAR_DATES
        for name, bad in cases.items():
            yield f"{key}: {name}", {**body, key: bad}
        if isinstance(value, list | dict):  # one level down: a tag, a link
            inner_key = 0 if isinstance(value, list) else next(iter(value))
            for name, bad in {**ANY_TEXT, **ONE_LINE_TEXT, **WRONG_TYPES}.items():
                inner = list(value) if isinstance(value, list) else dict(value)
                inner[inner_key] = bad
                yield f"{key}.{inner_key}: {name}", {**body, key: inner}


def raw(body: Any) -> str:
    return json.dumps(body).replace(json.dumps(HUGE), "9" * 5000)


def valid_body(method: str, rule: str, things: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(VALID.get((method, rule), {})).replace('"<person>"', json.dumps(things["<person>"])))


def hostile_requests(method: str, rule: str, schema: type | None, things: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    yield from RAW_BODIES.items()
    if schema is None:
        return
    valid = valid_body(method, rule, things)
    schema().load(valid)  # the unspoiled body passes the schema: each refusal below is the case's doing
    for name, shape in BODY_SHAPES.items():
        yield f"body is {name}", json.dumps(shape)
    for name, body in spoiled(valid, schema):
        yield name, raw(body)


def test_every_write_endpoint_refuses_every_hostile_input_and_stores_nothing(runtime: Runtime) -> None:
    client = create_app(runtime=runtime).test_client()
    app = client.application
    things = targets(client)
    endpoints = write_endpoints(app)
    with_body = {(m, r) for m, r in endpoints if argument_schema(app, m, r)}
    assert with_body == set(VALID), "every endpoint that reads a body needs a valid body here"
    sent = 0
    for method, rule in endpoints:
        before = census(runtime)
        for case, data in hostile_requests(method, rule, argument_schema(app, method, rule), things):
            response = client.open(
                concrete(rule, things),
                method=method,
                data=data,
                content_type="application/json",
                headers=things["headers"],
            )
            assert is_problem(response), (method, rule, case, response.status_code, response.get_data(as_text=True))
            sent += 1
        assert census(runtime) == before, (method, rule)
    assert sent > 1000


def test_every_write_endpoint_refuses_a_hostile_path_segment_and_stores_nothing(runtime: Runtime) -> None:
    client = create_app(runtime=runtime).test_client()
    things = targets(client)
    before, sent = census(runtime), 0
    for method, rule in write_endpoints(client.application):
        if "<code_or_id>" not in rule:
            continue
        valid = valid_body(method, rule, things)
        for case, segment in PATH_SEGMENTS.items():
            url = concrete(rule, {**things, "<code_or_id>": segment})
            response = client.open(url, method=method, json=valid, headers=things["headers"])
            refused_at_the_door = is_problem(response, 404) and "control character" in response.json["detail"]
            assert refused_at_the_door, (method, rule, case, response.status_code, response.get_data(as_text=True))
            sent += 1
    assert sent >= 3 * len(PATH_SEGMENTS)
    assert census(runtime) == before


BAD_CURSORS = [[[1]], [10**30], [-1], [True], [{"a": 1}, "x"], ["x\u0000", str(uuid.uuid4())], [1, 2, 3], "text"]


def test_every_list_refuses_cursors_of_the_wrong_shape_with_400(runtime: Runtime) -> None:
    client = create_app(runtime=runtime).test_client()
    app = client.application
    schemas = {rule.rule: argument_schema(app, "GET", rule.rule, "query") for rule in app.url_map.iter_rules()}
    lists = [rule for rule, schema in schemas.items() if schema and "cursor" in schema().fields]
    assert len(lists) >= 6, lists
    things = targets(client)  # real ids for lists inside a project; an operator (some lists are for admins)
    headers = things["headers"]
    before = census(runtime)
    for url in lists:
        url = concrete(url, things)
        assert client.get(url, headers=headers).status_code == 200, url
        for values in BAD_CURSORS:
            token = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
            response = client.get(url, query_string={"cursor": token}, headers=headers)
            assert is_problem(response, 400), (url, values, response.get_data(as_text=True))
    assert census(runtime) == before
