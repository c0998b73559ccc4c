"""The one-click unsubscribe link: no session, one person, one kind; anything else refused."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest

from tests.factories import council_member
from web.app import create_app
from workers.adapters import unsubscribe as tokens
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration
ONE_CLICK = {"data": "List-Unsubscribe=One-Click", "content_type": "application/x-www-form-urlencoded"}
JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def client(sqlite_runtime: Runtime) -> Any:
    return create_app(runtime=sqlite_runtime).test_client()


def token(runtime: Runtime, person_id: UUID, kind: str) -> str:
    return tokens.make(runtime.keys.server_secret(tokens.PURPOSE), person_id, kind)


def off(runtime: Runtime, person_id: UUID) -> list[str]:
    return runtime.app.notification_preferences(person_id)["off"]


def head(runtime: Runtime) -> int:
    return int(runtime.app.recorder.max_notification_id() or 0)


def test_the_link_shows_an_accessible_page_saying_what_it_stops_with_a_button(
    client: Any, sqlite_runtime: Runtime
) -> None:
    ann = council_member(sqlite_runtime.app, "WGN")
    link = token(sqlite_runtime, ann.id, "project-news")
    before = head(sqlite_runtime)
    page = client.get(f"/unsubscribe?token={link}", headers=BROWSER)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert '<html lang="en-GB">' in html and "<h1>" in html
    assert "project news" in html and "status update" in html  # which emails, and what sends them
    assert re.search(r'<form method="post" action="\?token=[^"]+">', html) and "<button" in html
    assert "<script" not in html and "<style" not in html and "style=" not in html
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert head(sqlite_runtime) == before and off(sqlite_runtime, ann.id) == []  # looking changes nothing


def test_one_click_stops_that_kind_for_that_person_only(client: Any, sqlite_runtime: Runtime) -> None:
    ann, bo = council_member(sqlite_runtime.app, "WGN"), council_member(sqlite_runtime.app, "KTT")
    done = client.post(
        f"/unsubscribe?token={token(sqlite_runtime, ann.id, 'project-news')}", headers=BROWSER, **ONE_CLICK
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "no more project news emails" in done.get_data(as_text=True)
    assert off(sqlite_runtime, ann.id) == ["project-news"]
    assert off(sqlite_runtime, bo.id) == []
    mine = client.get("/api/v1/me/notifications", headers={"Authorization": f"Bearer {session(sqlite_runtime, ann)}"})
    on = {k["name"]: k["on"] for k in mine.json["kinds"]}
    assert on["project-news"] is False and on["pledge"] is True


def session(runtime: Runtime, person: Any) -> str:
    return runtime.sessions.start(person.id)[0]


def test_json_clients_get_json_and_a_second_click_changes_nothing(client: Any, sqlite_runtime: Runtime) -> None:
    ann = council_member(sqlite_runtime.app, "WGN")
    link = token(sqlite_runtime, ann.id, "pledge")
    shown = client.get(f"/unsubscribe?token={link}", headers=JSON)
    assert shown.status_code == 200 and shown.json["kind"] == "pledge" and shown.json["subscribed"] is True
    first = client.post(f"/unsubscribe?token={link}", headers=JSON)
    assert first.status_code == 200 and first.json["subscribed"] is False and first.json["event_position"] > 0
    before = head(sqlite_runtime)
    again = client.post("/api/v1/unsubscribe", json={"token": link})
    assert again.status_code == 200 and again.json["event_position"] is None
    assert head(sqlite_runtime) == before
    assert client.get(f"/unsubscribe?token={link}", headers=JSON).json["subscribed"] is False


def test_a_token_edited_to_another_kind_or_person_is_refused_and_nothing_is_stored(
    client: Any, sqlite_runtime: Runtime
) -> None:
    ann = council_member(sqlite_runtime.app, "WGN")
    bo = council_member(sqlite_runtime.app, "KTT")
    real = token(sqlite_runtime, ann.id, "project-news")
    other_kind = real.replace(".project-news.", ".pledge.")
    other_person = real.replace(ann.id.hex, bo.id.hex)
    before = head(sqlite_runtime)
    for forged in (other_kind, other_person, real[:-2], "x" * 40):
        refused = client.post(f"/unsubscribe?token={forged}", headers=JSON)
        assert refused.status_code == 400, forged
        assert refused.content_type == "application/problem+json" and "token" in refused.json["errors"]
        page = client.post(f"/unsubscribe?token={forged}", headers=BROWSER, **ONE_CLICK)
        assert page.status_code == 400 and page.mimetype == "text/html" and "not valid" in page.get_data(as_text=True)
        assert client.post("/api/v1/unsubscribe", json={"token": forged}).status_code == 400
    assert head(sqlite_runtime) == before
    assert off(sqlite_runtime, ann.id) == [] and off(sqlite_runtime, bo.id) == []


def test_a_mail_clients_one_click_gets_json_and_errors_are_problems(client: Any, sqlite_runtime: Runtime) -> None:
    ann = council_member(sqlite_runtime.app, "WGN")
    done = client.post(f"/unsubscribe?token={token(sqlite_runtime, ann.id, 'pledge')}", **ONE_CLICK)  # no Accept
    assert done.status_code == 200 and done.json["subscribed"] is False
    refused = client.post("/unsubscribe?token=nonsense", headers={"Accept": "*/*"}, **ONE_CLICK)
    assert refused.status_code == 400 and refused.content_type == "application/problem+json"


def test_a_missing_token_or_an_unknown_parameter_is_refused(client: Any) -> None:
    assert client.get("/unsubscribe", headers=JSON).status_code == 422
    assert client.post("/unsubscribe", **ONE_CLICK).status_code == 422
    assert client.get("/unsubscribe?token=abc&person=me").status_code == 400


def test_the_link_of_an_erased_person_is_not_found(client: Any, sqlite_runtime: Runtime) -> None:
    from workers.processes.erasure import erase_person

    ann = council_member(sqlite_runtime.app, "WGN")
    link = token(sqlite_runtime, ann.id, "project-news")
    erase_person(sqlite_runtime, ann.id, actor=None)
    assert client.post(f"/unsubscribe?token={link}", headers=JSON).status_code == 404
    assert client.get(f"/unsubscribe?token={link}", headers=BROWSER).status_code == 404
    nobody = token(sqlite_runtime, uuid.uuid4(), "project-news")
    assert client.post(f"/unsubscribe?token={nobody}", headers=JSON).status_code == 404


def test_a_token_for_an_account_email_is_not_an_unsubscribe(client: Any, sqlite_runtime: Runtime) -> None:
    ann = council_member(sqlite_runtime.app, "WGN")
    refused = client.post(f"/unsubscribe?token={token(sqlite_runtime, ann.id, 'verify-email')}", headers=JSON)
    assert refused.status_code == 404 and off(sqlite_runtime, ann.id) == []


def test_the_doors_are_rate_limited_per_client_address(sqlite_settings: Settings) -> None:
    runtime = build_runtime(replace(sqlite_settings, sign_in_ip_limit="3/minute"))
    try:
        client = create_app(runtime=runtime).test_client()
        statuses = [client.post("/unsubscribe?token=nonsense", headers=JSON).status_code for _ in range(4)]
        assert statuses == [400, 400, 400, 429]
        signed_in = client.post("/api/v1/sessions", json={"email": "a@example.gov.uk", "password": "wrong"})
        assert signed_in.status_code == 401  # its own budget: sign-in is not locked by unsubscribing
    finally:
        runtime.close()
