"""Rate limits, counted in the real Redis as in production."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from tests.factories import PASSWORD, email
from web.app import create_app
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def client(pg_settings: Settings) -> Iterator[Any]:
    settings = replace(
        pg_settings, sign_up_ip_limit="3/minute", sign_in_failure_limit="2/minute;4/hour", sign_in_ip_limit="50/minute"
    )
    runtime: Runtime = build_runtime(settings)
    yield create_app(runtime=runtime).test_client()
    runtime.close()


def sign_up(client: Any, address: str) -> Any:
    return client.post(
        "/api/v1/people", json={"name": "Rae", "email": address, "organisation_code": "WGN", "password": PASSWORD}
    )


def test_too_many_sign_ups_from_one_address_get_429_and_store_nothing(client: Any) -> None:
    assert [sign_up(client, email()).status_code for _ in range(3)] == [201, 201, 201]
    head = client.get("/api/v1/projections").json["items"][0]["head"]
    refused = sign_up(client, email())
    assert refused.status_code == 429
    assert refused.content_type == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/api/v1/projections").json["items"][0]["head"] == head


def test_failed_sign_ins_lock_the_account_even_for_the_right_password(client: Any) -> None:
    address, other = email(), email()
    assert sign_up(client, address).status_code == 201
    assert sign_up(client, other).status_code == 201, sign_up(client, other).json
    wrong = {"email": address, "password": "not the password at all"}
    assert [client.post("/api/v1/sessions", json=wrong).status_code for _ in range(2)] == [401, 401]
    locked = client.post("/api/v1/sessions", json={"email": address.upper(), "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) >= 1
    assert "try again" in locked.json["detail"]
    assert client.post("/api/v1/sessions", json={"email": other, "password": PASSWORD}).status_code == 201


def test_with_rate_limits_off_sign_in_still_works(sqlite_settings: Settings) -> None:
    runtime = build_runtime(replace(sqlite_settings, rate_limits=False))
    try:
        client = create_app(runtime=runtime).test_client()
        address = email()
        assert sign_up(client, address).status_code == 201
        wrong = {"email": address, "password": "not the password at all"}
        assert [client.post("/api/v1/sessions", json=wrong).status_code for _ in range(8)] == [401] * 8
        assert client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD}).status_code == 201
    finally:
        runtime.close()
