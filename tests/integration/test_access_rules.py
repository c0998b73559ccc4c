"""Walk the whole API: every write endpoint has a rule in the table, and enforces it
(401 without a token, 403 without the role), storing nothing when it refuses."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests import support
from tests.factories import PASSWORD, council_email
from web.app import create_app
from web.http import auth
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def write_endpoints(app: Any) -> list[tuple[str, str]]:
    return sorted((method, rule.rule) for rule in support.api_rules(app) for method in rule.methods if method in WRITES)


def concrete(rule: str) -> str:
    """A URL for a rule: Wigan for organisations, a random id for people."""
    url = rule.replace("<code_or_id>", "WGN").replace("<domain>", "wigan.gov.uk")
    return re.sub(r"<uuid:\w+>", str(uuid.uuid4()), url)


@pytest.fixture
def client(sqlite_runtime: Runtime) -> Any:
    return create_app(runtime=sqlite_runtime).test_client()


def sign_in(client: Any, *, verified: bool, code: str = "WGN", on_domain: bool = True) -> dict[str, str]:
    email = council_email(code) if on_domain else f"{uuid.uuid4().hex[:10]}@example.gov.uk"
    assert (
        client.post(
            "/api/v1/people", json={"name": "Walker", "email": email, "organisation_code": code, "password": PASSWORD}
        ).status_code
        == 201
    )
    if verified:
        rt = client.application.extensions["pipeline"]
        rt.app.verify_email(rt.app.email_owner(email))
    token = client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def head(client: Any) -> int:
    return client.get("/api/v1/projections").json["items"][0]["head"]


def test_every_write_endpoint_has_a_rule_and_every_rule_an_endpoint(client: Any) -> None:
    endpoints = set(write_endpoints(client.application))
    ruled = {key for key in auth.RULES if key[0] in WRITES}
    assert endpoints - ruled == set(), "write endpoints without an access rule"
    assert ruled - endpoints == set(), "rules for endpoints that do not exist"
    assert set(auth.RULES.values()) <= set(auth.ROLES)


def test_anonymous_writes_are_refused_with_401_except_public_ones(client: Any) -> None:
    for method, rule in write_endpoints(client.application):
        if auth.RULES[(method, rule)] == auth.PUBLIC:
            continue
        before = head(client)
        response = client.open(concrete(rule), method=method, json={})
        assert response.status_code == 401, (method, rule, response.json)
        assert response.content_type == "application/problem+json"
        assert "Bearer" in response.headers.get("WWW-Authenticate", "")
        assert head(client) == before


def test_a_bad_token_is_refused_even_with_a_valid_body(client: Any) -> None:
    response = client.patch("/api/v1/me", json={"name": "X"}, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401


def test_unverified_and_non_admin_people_get_403_where_they_lack_the_role(client: Any) -> None:
    unverified = sign_in(client, verified=False)
    sign_in(client, verified=True)  # Wigan's first verified member: its admin
    verified_member = sign_in(client, verified=True)  # verified, but not an admin
    pending = sign_in(client, verified=True, on_domain=False)  # verified first, but not on wigan.gov.uk
    for method, rule in write_endpoints(client.application):
        role = auth.RULES[(method, rule)]
        if role in (auth.PUBLIC, auth.SIGNED_IN):
            continue
        lacking = (unverified,) if role == auth.VERIFIED else (unverified, verified_member, pending)
        for headers in lacking:
            before = head(client)
            response = client.open(concrete(rule), method=method, json={}, headers=headers)
            assert response.status_code == 403, (method, rule, response.json)
            assert head(client) == before


def test_an_admin_may_do_what_a_member_may_not(client: Any) -> None:
    admin = sign_in(client, verified=True, code="KTT")
    member = sign_in(client, verified=True, code="KTT")
    assert (
        client.patch("/api/v1/organisations/KTT", json={"website": "https://k.example"}, headers=member).status_code
        == 403
    )
    assert (
        client.patch("/api/v1/organisations/KTT", json={"website": "https://k.example"}, headers=admin).status_code
        == 200
    )
    assert (
        client.patch("/api/v1/organisations/WGN", json={"website": "https://w.example"}, headers=admin).status_code
        == 403
    )  # an admin of another organisation


def test_operators_are_granted_only_from_the_command_line(client: Any) -> None:
    routes = " ".join(rule.rule for rule in client.application.url_map.iter_rules())
    assert "operator" not in routes
    me = sign_in(client, verified=True)
    response = client.patch("/api/v1/me", json={"is_operator": True}, headers=me)
    assert response.status_code == 422 and "is_operator" in response.json["errors"]
    assert client.get("/api/v1/me", headers=me).json["is_operator"] is False
