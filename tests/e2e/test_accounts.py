"""A person's account over HTTP, in both modes: sign up, verify by email, sign in,
become admin, manage the organisation, change and reset the password, erase."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import Api
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_whole_life_of_an_account(api: Api) -> None:
    supplier = f"Flow Test {uuid.uuid4().hex[:6]} Ltd"
    address = f"flow.{uuid.uuid4().hex[:8]}@example.gov.uk"
    status, _, person = api.post(
        "/api/v1/people",
        {
            "name": "Flo Tester",
            "email": address,
            "password": PASSWORD,
            "organisation_name": supplier,
            "organisation_kind": "supplier",
        },
    )
    assert status == 201 and person["email_verified"] is False
    org_path = f"/api/v1/organisations/{person['organisation']['id']}"

    status, _, session = api.post("/api/v1/sessions", {"email": address.upper(), "password": PASSWORD})
    assert status == 201
    me = bearer(session["token"])
    assert api.get("/api/v1/me", headers=me)[2]["email"] == address
    assert api.request("PATCH", org_path, {"website": "https://flow.example"}, headers=me)[0] == 403

    verify = api.token_sent_to(address, "verify-email")
    status, _, verified = api.post("/api/v1/email-verifications", {"token": verify})
    assert status == 200
    assert api.post("/api/v1/email-verifications", {"token": verify})[0] == 422  # single use
    mine = api.get("/api/v1/me", headers=me)[2]
    assert (mine["email_verified"], mine["is_organisation_admin"]) == (True, True)

    status, _, changed = api.request("PATCH", org_path, {"website": "https://flow.example"}, headers=me)
    assert status == 200
    shown = api.get(f"{org_path}?min_position={changed['event_position']}")[2]
    assert shown["website"] == "https://flow.example"

    # A second session, signed out by a password change made in the first.
    other = bearer(api.post("/api/v1/sessions", {"email": address, "password": PASSWORD})[2]["token"])
    new_password = PASSWORD + " changed"
    assert (
        api.request(
            "PUT", "/api/v1/me/password", {"current_password": PASSWORD, "new_password": new_password}, headers=me
        )[0]
        == 200
    )
    assert api.get("/api/v1/me", headers=other)[0] == 401
    assert api.get("/api/v1/me", headers=me)[0] == 200
    assert api.post("/api/v1/sessions", {"email": address, "password": PASSWORD})[0] == 401

    # Forgotten password: the reset link works once and signs out every session.
    assert api.post("/api/v1/password-resets", {"email": address})[0] == 202
    assert api.post("/api/v1/password-resets", {"email": "nobody@example.gov.uk"})[0] == 202  # no enumeration
    reset = api.token_sent_to(address, "reset-password")
    assert api.post("/api/v1/password-resets/confirm", {"token": reset, "new_password": "password"})[0] == 422
    final_password = PASSWORD + " reset"
    assert api.post("/api/v1/password-resets/confirm", {"token": reset, "new_password": final_password})[0] == 200
    assert api.post("/api/v1/password-resets/confirm", {"token": reset, "new_password": final_password})[0] == 422
    assert api.get("/api/v1/me", headers=me)[0] == 401
    me = bearer(api.post("/api/v1/sessions", {"email": address, "password": final_password})[2]["token"])

    # Sign out, sign in, erase.
    assert api.request("DELETE", "/api/v1/sessions/current", headers=me)[0] == 204
    assert api.get("/api/v1/me", headers=me)[0] == 401
    me = bearer(api.post("/api/v1/sessions", {"email": address, "password": final_password})[2]["token"])
    assert api.request("DELETE", "/api/v1/me", {"password": "wrong"}, headers=me)[0] == 403
    status, _, erased = api.request("DELETE", "/api/v1/me", {"password": final_password}, headers=me)
    assert status == 200
    gone = api.get(f"/api/v1/people/{person['id']}?min_position={erased['event_position']}")[2]
    assert (gone["name"], gone["erased"], gone["job_title"]) == ("Former member", True, None)
    assert api.post("/api/v1/sessions", {"email": address, "password": final_password})[0] == 401

    logs = api.log_text()
    assert address not in logs and verify not in logs and reset not in logs and session["token"] not in logs


def test_unverified_people_can_read_but_not_manage(api: Api) -> None:
    address = f"reader.{uuid.uuid4().hex[:8]}@example.gov.uk"
    api.post("/api/v1/people", {"name": "Rea Der", "email": address, "password": PASSWORD, "organisation_code": "BNH"})
    me = bearer(api.post("/api/v1/sessions", {"email": address, "password": PASSWORD})[2]["token"])
    assert api.get("/api/v1/organisations/BNH", headers=me)[0] == 200
    status, _, problem = api.request("PATCH", "/api/v1/organisations/BNH", {"website": "https://x.example"}, headers=me)
    assert status == 403 and "Verify your email" in problem["detail"]
