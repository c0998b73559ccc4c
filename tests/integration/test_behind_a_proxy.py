"""Behind nginx (docker-compose.yml), every request comes from the proxy: the per-address
rate limits must count the client's address, taken from the X-Forwarded-For entry the
trusted proxy appended (PIPELINE_PROXY_HOPS), never one a client made up."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from tests.factories import PASSWORD, email
from web.app import create_app
from workers.runtime.bootstrap import build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def behind_nginx(pg_settings: Settings) -> Iterator[Any]:
    runtime = build_runtime(replace(pg_settings, sign_up_ip_limit="2/minute", proxy_hops=1))
    yield create_app(runtime=runtime).test_client()
    runtime.close()


def sign_up(client: Any, forwarded_for: str) -> int:
    body = {"name": "Rae", "email": email(), "organisation_code": "WGN", "password": PASSWORD}
    return client.post(  # the proxy itself is 127.0.0.1; it appends the address it saw
        "/api/v1/people", json=body, headers={"X-Forwarded-For": forwarded_for}
    ).status_code


def test_rate_limits_count_the_address_the_proxy_saw(behind_nginx: Any) -> None:
    assert [sign_up(behind_nginx, "203.0.113.7") for _ in range(3)] == [201, 201, 429]
    assert sign_up(behind_nginx, "198.51.100.9") == 201  # another client behind the same proxy


def test_an_address_a_client_made_up_does_not_escape_its_limit(behind_nginx: Any) -> None:
    seen = "203.0.113.8"
    statuses = [sign_up(behind_nginx, f"10.9.8.{i}, {seen}") for i in range(3)]  # nginx appends what it saw
    assert statuses == [201, 201, 429]
