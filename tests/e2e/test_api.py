"""The API over HTTP, the way a front end uses it, in both modes."""

from __future__ import annotations

import json
import uuid

import pytest

from tests import support
from tests.e2e.conftest import Api
from tests.factories import PASSWORD as PW
from workers.runtime.follow import names

pytestmark = pytest.mark.e2e


def new_email() -> str:
    return f"{uuid.uuid4().hex[:12]}@example.gov.uk"


def test_searching_organisations_puts_the_best_match_first(api: Api) -> None:
    status, _, body = api.get("/api/v1/organisations?q=Brighton%20%26%20Hove%20Council")
    assert status == 200
    assert body["items"][0]["code"] == "BNH"
    _, _, kingston = api.get("/api/v1/organisations?q=kingston&kind=council")
    assert {o["code"] for o in kingston["items"][:2]} == {"KTT", "KHL"}
    assert all(0 < o["score"] <= 1 for o in kingston["items"])
    assert kingston["items"] == sorted(kingston["items"], key=lambda o: -o["score"])


def test_one_organisation_by_register_code(api: Api) -> None:
    status, _, nth = api.get("/api/v1/organisations/nth")
    assert status == 200
    assert (nth["name"], nth["current"], nth["end_date"]) == ("Northamptonshire County Council", False, "2021-04-01")
    assert api.get(f"/api/v1/organisations/{nth['id']}")[2]["code"] == "NTH"


def test_signing_up_by_a_loosely_typed_name_and_reading_it_back(api: Api) -> None:
    status, headers, person = api.post(
        "/api/v1/people",
        {
            "name": "Sam Officer",
            "email": new_email(),
            "job_title": "Head of digital",
            "password": PW,
            "organisation_name": "wigan borough council",
        },
    )
    assert status == 201, person
    assert person["organisation"]["code"] == "WGN"
    assert headers["Location"].endswith(f"/api/v1/people/{person['id']}")
    position = person["event_position"]
    status, _, read = api.get(f"/api/v1/people/{person['id']}?min_position={position}")
    assert status == 200
    assert (read["name"], read["job_title"], read["organisation"]["code"]) == ("Sam Officer", "Head of digital", "WGN")
    assert "email" not in json.dumps(read)
    _, _, wigan = api.get(f"/api/v1/organisations/WGN?min_position={position}")
    assert wigan["member_count"] >= 1 and wigan["latest_signup_at"] >= person["signed_up_at"]
    _, _, members = api.get(f"/api/v1/people?organisation=WGN&min_position={position}")
    assert person["id"] in {p["id"] for p in members["items"]}
    _, _, daily = api.get(f"/api/v1/sign-ups/daily?kind=council&min_position={position}")
    assert sum(d["signups"] for d in daily["items"]) >= 1


def test_a_new_supplier_is_created_from_its_name_and_kind(api: Api) -> None:
    name = f"Supplier {uuid.uuid4().hex[:6]} Ltd"
    status, _, person = api.post(
        "/api/v1/people",
        {
            "password": PW,
            "name": "Sue",
            "email": new_email(),
            "organisation_name": name,
            "organisation_kind": "supplier",
        },
    )
    assert status == 201, person
    _, _, org = api.get(f"/api/v1/organisations/{person['organisation']['id']}?min_position={person['event_position']}")
    assert (org["name"], org["kind"], org["member_count"], org["code"]) == (name, "supplier", 1, None)
    _, _, again = api.post(
        "/api/v1/people", {"password": PW, "name": "Sid", "email": new_email(), "organisation_name": name.upper()}
    )
    assert again["organisation"]["id"] == person["organisation"]["id"]


def test_an_ambiguous_council_name_is_refused_with_candidates_and_stores_nothing(api: Api) -> None:
    head = api.head_of_log()
    status, headers, problem = api.post(
        "/api/v1/people", {"password": PW, "name": "Kim", "email": new_email(), "organisation_name": "Kingston Council"}
    )
    assert status == 422
    assert headers["Content-Type"] == "application/problem+json"
    assert {c["code"] for c in problem["candidates"]} == {"KTT", "KHL"}
    assert api.head_of_log() == head


def test_a_duplicate_email_is_a_conflict_and_stores_nothing(api: Api) -> None:
    address = new_email()
    body = {"password": PW, "name": "A", "email": address, "organisation_code": "KTT"}
    assert api.post("/api/v1/people", body)[0] == 201
    head = api.head_of_log()
    status, _, problem = api.post(
        "/api/v1/people", {"password": PW, "name": "B", "email": address.upper(), "organisation_code": "KHL"}
    )
    assert (status, problem["status"]) == (409, 409)
    assert api.head_of_log() == head


VALID = {"password": PW, "name": "Val", "email": "val@example.gov.uk", "organisation_code": "WGN"}

BAD_WRITES = [
    ("malformed JSON", {"raw": b'{"password": PW, "name": "x",', "headers": {"Content-Type": "application/json"}}, 400),
    ("form-encoded body", {"raw": b"name=x", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 415),
    ("no body at all", {"raw": b""}, 422),
    ("oversized body", {"body": {**VALID, "name": "x" * 70_000}}, 413),
    ("unknown field", {"body": {**VALID, "is_admin": True}}, 422),
    ("missing fields", {"body": {"password": PW, "name": "x"}}, 422),
    ("wrong types", {"body": {**VALID, "name": 123}}, 422),
    ("blank name", {"body": {**VALID, "name": "   "}}, 422),
    ("array body", {"body": [VALID]}, 422),
    ("two organisations", {"body": {**VALID, "organisation_name": "Wigan"}}, 422),
    ("no organisation", {"body": {"password": PW, "name": "x", "email": "x@example.gov.uk"}}, 422),
    ("bad email", {"body": {**VALID, "email": "not-an-email"}}, 422),
    (
        "unknown kind",
        {
            "body": {
                "password": PW,
                "name": "x",
                "email": "k@example.gov.uk",
                "organisation_name": "New Org",
                "organisation_kind": "pirate",
            }
        },
        422,
    ),
    ("unknown register code", {"body": {**VALID, "organisation_code": "ZZZ"}}, 422),
    (
        "unknown organisation id",
        {"body": {"password": PW, "name": "x", "email": "i@example.gov.uk", "organisation_id": str(uuid.uuid4())}},
        404,
    ),
]


@pytest.mark.parametrize(("case", "request_args", "expected"), BAD_WRITES, ids=[c[0] for c in BAD_WRITES])
def test_a_bad_sign_up_gets_a_problem_and_stores_nothing(
    api: Api, case: str, request_args: dict, expected: int
) -> None:
    head = api.head_of_log()
    status, headers, problem = api.post("/api/v1/people", **request_args)
    assert status == expected, problem
    assert headers["Content-Type"] == "application/problem+json"
    assert problem["status"] == expected and problem["title"] and problem["detail"]
    assert api.head_of_log() == head


BAD_READS = [
    ("/api/v1/organisations?limit=0", 422),
    ("/api/v1/organisations?limit=501", 422),
    ("/api/v1/organisations?limit=many", 422),
    ("/api/v1/organisations?cursor=garbage", 400),
    ("/api/v1/organisations?kind=pirate", 422),
    ("/api/v1/organisations?min_position=-1", 422),
    ("/api/v1/organisations/NOPE", 404),
    (f"/api/v1/people/{uuid.uuid5(uuid.NAMESPACE_URL, 'nobody')}", 404),  # fixed: xdist compares ids
    ("/api/v1/people/not-a-uuid", 404),
    ("/api/v1/sign-ups/daily?from=yesterday", 422),
    ("/api/v1/nowhere", 404),
]


@pytest.mark.parametrize(("path", "expected"), BAD_READS, ids=[p for p, _ in BAD_READS])
def test_a_bad_read_gets_a_problem(api: Api, path: str, expected: int) -> None:
    status, headers, problem = api.get(path)
    assert status == expected, problem
    assert headers["Content-Type"] == "application/problem+json"
    assert problem["status"] == expected


def test_a_wrong_method_is_refused(api: Api) -> None:
    status, headers, problem = support.request("DELETE", api.base + "/api/v1/people")
    assert status == 405 and problem["status"] == 405
    assert "GET" in headers["Allow"]


def test_paging_through_organisations_visits_each_once(api: Api) -> None:
    seen: list[str] = []
    path: str | None = "/api/v1/organisations?limit=100&kind=council"
    while path:
        status, _, page = api.get(path)
        assert status == 200 and len(page["items"]) <= 100
        seen += [o["id"] for o in page["items"]]
        path = page["next"]
    assert len(seen) == len(set(seen)) == 470
    _, _, abolished = api.get("/api/v1/organisations?kind=council&current=false&limit=500")
    assert len(abolished["items"]) == 73 and abolished["next"] is None


def test_search_results_page_too(api: Api) -> None:
    _, _, first = api.get("/api/v1/organisations?q=northamptonshire&limit=2")
    assert len(first["items"]) == 2 and first["next"]
    _, _, second = api.get(first["next"])
    assert not {o["id"] for o in first["items"]} & {o["id"] for o in second["items"]}


def test_operators_see_projection_lag_and_readiness(api: Api) -> None:
    status, _, projections = api.get("/api/v1/projections")
    assert status == 200
    assert {p["name"] for p in projections["items"]} == set(names())  # views and processes
    assert all(p["lag"] == p["head"] - p["position"] >= 0 for p in projections["items"])
    assert api.get("/healthz")[0] == 200
    status, _, ready = api.get("/readyz")
    assert status == 200 and ready["status"] == "ready"


def test_the_openapi_document_describes_every_endpoint(api: Api) -> None:
    status, _, spec = api.get("/api/v1/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.")
    assert {
        "/api/v1/organisations",
        "/api/v1/organisations/{code_or_id}",
        "/api/v1/people",
        "/api/v1/people/{person_id}",
        "/api/v1/projections",
        "/api/v1/sign-ups/daily",
    } <= set(spec["paths"])
    assert "422" in spec["paths"]["/api/v1/people"]["post"]["responses"]
