"""Red team: odd values in the query parameters of the history-as-a-product endpoints.

Each test here fails because of a defect (a 500, or a bad value silently taken)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import council_member
from tests.integration.test_event_log_api import evaluator
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def client(any_runtime: Runtime) -> Any:
    return create_app(runtime=any_runtime).test_client()


@pytest.mark.parametrize(
    "until",
    [
        "%C2%B2",  # '²': str.isdigit() is True, int() refuses it
        "9999-12-31T23:59:59-01:00",  # in UTC it is past year 9999
        "0001-01-01T00:00:00%2B01:00",  # in UTC it is before year 1
    ],
)
def test_events_until_odd_values_are_a_400_not_a_500(client: Any, until: str) -> None:
    response = client.get(f"/api/v1/events?until={until}", headers=evaluator(client))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    assert "until" in response.json["errors"]


def test_an_empty_as_of_is_refused_not_answered_with_the_present(client: Any) -> None:
    person = council_member(client.application.extensions["pipeline"].app, "WGN")
    response = client.get(f"/api/v1/people/{person.id}?as_of=")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "as_of" in response.json["errors"]


def test_a_repeated_parameter_with_a_bad_second_value_is_not_silently_ignored(client: Any) -> None:
    response = client.get("/api/v1/events?after=1&after=x", headers=evaluator(client))
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
