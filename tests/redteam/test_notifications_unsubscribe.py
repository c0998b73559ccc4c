"""Red team (issue 11): the one-click unsubscribe door and RFC 8058.

RFC 8058 section 3.1: the one-click POST "SHOULD be sent as multipart/form-data" and MAY be
sent as application/x-www-form-urlencoded. Pipeline took only the second: a mail client
doing what the RFC recommends got 415 "Send the request body as JSON" and the person stayed
subscribed."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from tests.factories import council_member
from tests.integration.test_unsubscribe import JSON, off, token
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def client(sqlite_runtime: Runtime) -> Any:
    return create_app(runtime=sqlite_runtime).test_client()


def test_a_one_click_post_as_multipart_form_data_unsubscribes(client: Any, sqlite_runtime: Runtime) -> None:
    person = council_member(sqlite_runtime.app, "WGN")
    link = f"/unsubscribe?token={token(sqlite_runtime, person.id, 'pledge')}"
    response = client.post(
        link, data={"List-Unsubscribe": "One-Click"}, content_type="multipart/form-data", headers=JSON
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["kind"] == "pledge" and response.json["subscribed"] is False
    assert off(sqlite_runtime, UUID(str(person.id))) == ["pledge"]


def test_other_body_types_are_still_refused_at_the_link_and_the_api_takes_only_json(
    client: Any, sqlite_runtime: Runtime
) -> None:
    person = council_member(sqlite_runtime.app, "WGN")
    link = f"/unsubscribe?token={token(sqlite_runtime, person.id, 'pledge')}"
    assert client.post(link, data="<x/>", content_type="text/xml").status_code == 415
    api = client.post("/api/v1/unsubscribe", data={"token": "x"}, content_type="multipart/form-data")
    assert api.status_code == 415
    assert off(sqlite_runtime, UUID(str(person.id))) == []
