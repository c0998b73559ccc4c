"""Every door: an unknown query parameter is a 400 naming it, on every route of the app
(and every operation of the OpenAPI document), never silently ignored; the parameters
an endpoint documents are exactly those it accepts."""

from __future__ import annotations

from typing import Any

import pytest

from tests import support
from tests.factories import PASSWORD, council_email
from tests.integration.test_access_rules import concrete, sign_in
from web.app import create_app
from web.http.query_args import declared
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
UNKNOWN = "surely_not_a_parameter"


@pytest.fixture
def client(sqlite_runtime: Runtime) -> Any:
    return create_app(runtime=sqlite_runtime).test_client()


def operator(client: Any) -> dict[str, str]:
    """An operator passes every access rule, so what answers is the query check."""
    address = council_email("WGN")
    body = {"name": "Olive", "email": address, "organisation_code": "WGN", "password": PASSWORD}
    assert client.post("/api/v1/people", json=body).status_code == 201
    app = client.application.extensions["pipeline"].app
    app.verify_email(app.email_owner(address))
    app.set_operator(address, True)
    token = client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def gets(app: Any) -> list[str]:
    return sorted({rule.rule for rule in support.api_rules(app) if "GET" in rule.methods})


def refused(response: Any, name: str = UNKNOWN) -> bool:
    return (
        response.status_code == 400
        and response.mimetype == "application/problem+json"
        and name in response.json["detail"]
        and name in response.json["errors"]
    )


def test_every_get_route_refuses_an_unknown_parameter(client: Any) -> None:
    routes, headers = gets(client.application), operator(client)
    assert len(routes) > 30 and "/api/v1/openapi.json" in routes
    for rule in routes:
        response = client.get(concrete(rule), query_string={UNKNOWN: "1"}, headers=headers)
        assert refused(response), (rule, response.status_code, response.get_data(as_text=True)[:300])


def test_every_documented_operation_refuses_it_and_documents_what_it_accepts(client: Any) -> None:
    app = client.application
    document, headers = client.get("/api/v1/openapi.json").json, operator(client)
    rules = {rule.rule: rule for rule in app.url_map.iter_rules()}
    checked = 0
    for path, operations in document["paths"].items():
        rule = rules["/" + "/".join(_rule_part(p) for p in path.strip("/").split("/"))]
        for method, operation in operations.items():
            if method.upper() not in rule.methods:
                continue
            documented = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            assert documented == declared(app.view_functions[rule.endpoint], method.upper()), (method, path)
            if method == "get":
                response = client.get(concrete(rule.rule), query_string={UNKNOWN: "1"}, headers=headers)
                assert refused(response), path
            checked += 1
    assert checked > 60


def _rule_part(part: str) -> str:
    """An OpenAPI path segment as the Flask rule spells it."""
    if not part.startswith("{"):
        return part
    name, _, suffix = part[1:].partition("}")  # "{name}.svg": a variable, then literal text
    variable = f"<uuid:{name}>" if name.endswith("_id") and name != "code_or_id" else f"<{name}>"
    return variable + suffix


def test_known_parameters_still_work_and_all_unknown_ones_are_named(client: Any) -> None:
    assert client.get("/api/v1/projects", query_string={"limit": 5, "phase": "alpha"}).status_code == 200
    response = client.get("/api/v1/projects", query_string={"limit": 5, "limt": 5, "as_off": "2015-01-01T00:00:00Z"})
    assert refused(response, "limt") and refused(response, "as_off")
    assert "limit" in response.json["detail"]  # the accepted ones are listed
    assert client.get("/api/v1/projects/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12).status_code == 404


def test_writes_with_an_unknown_parameter_store_nothing(client: Any) -> None:
    headers = sign_in(client, verified=True)
    before = client.get("/api/v1/projects").json["items"]
    proposal = {"title": "Quiet", "summary": "Should not exist"}
    response = client.post("/api/v1/projects?dry_run=1", json=proposal, headers=headers)
    assert refused(response, "dry_run")
    assert "takes no query parameters" in response.json["detail"]
    assert client.get("/api/v1/projects").json["items"] == before
    assert refused(client.patch("/api/v1/me?x=1", json={"job_title": "Spy"}, headers=headers), "x")
    assert client.get("/api/v1/me", headers=headers).json["job_title"] is None
    assert refused(client.post("/api/v1/sessions?remember=1", json={}), "remember")
