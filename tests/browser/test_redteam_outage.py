"""Red team: the pages while the API answers 503. A server of this test's own (nothing
shared is stopped) whose read models are set back behind this browser's last write, so
every read that must show that write waits, then answers 503 (read model behind)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import serve
from tests.browser.site import Site
from tests.browser.test_redteam_http import Client


@pytest.fixture
def own_site(tmp_path: Path) -> Iterator[Site]:
    yield from serve(tmp_path, PIPELINE_READ_WAIT_SECONDS="0.5")


def test_redteam_pages_while_the_read_models_lag_are_pages(own_site: Site, tmp_path: Path) -> None:
    site = own_site
    owner, other = site.person("KHL"), site.person("BRE")
    project = site.project(owner)
    pid = project["id"]
    update = site.api("POST", f"/api/v1/projects/{pid}/status-updates", {"body": "Going well"}, owner)
    client = Client(site)
    client.sign_in(other)
    token = client.token(f"/projects/{pid}")
    assert client.post(f"/projects/{pid}/follow", {"csrf_token": token}).status == 303  # this browser's last write

    with sqlite3.connect(tmp_path / "var" / "pipeline.sqlite3") as db:  # every read model, behind that write
        assert db.execute("UPDATE projection_positions SET position = 0").rowcount > 0

    paths = [
        "/",
        "/projects",
        f"/projects/{pid}",
        f"/projects/{pid}/history",
        f"/projects/{pid}/similar",
        f"/projects/{pid}/take-part",
        f"/projects/{pid}/edit",
        f"/projects/{pid}/pledge",
        f"/projects/{pid}/status-updates/{update['id']}/edit",
        "/activity",
        "/tags",
        "/calendar",
        "/reports/engagement",
        "/organisations/KHL",
        "/account",
        "/account/notifications",
    ]
    answers = {path: client.get(path) for path in paths}
    for path, answer in answers.items():
        kind = answer.headers.get("Content-Type", "")
        assert answer.status != 500 and "Traceback" not in answer.text, (path, answer.status)
        assert kind.startswith("text/html"), (path, answer.status, kind, answer.text[:200])
        assert "<title>" in answer.text and '"type": "about:blank"' not in answer.text, path
    unavailable = [path for path, answer in answers.items() if answer.status == 503]
    assert f"/projects/{pid}" in unavailable, {p: a.status for p, a in answers.items()}
    assert "Sorry, the service is unavailable" in answers[f"/projects/{pid}"].title


@pytest.fixture
def https_site(tmp_path: Path) -> Iterator[Site]:
    yield from serve(tmp_path, PIPELINE_PUBLIC_URL="https://pipeline.example.gov.uk")


def test_redteam_the_cookie_is_secure_behind_https(https_site: Site) -> None:
    """Behind an https public address the cookie is ``__Host-``, Secure, HttpOnly, SameSite=Lax."""
    answer = Client(https_site).get("/sign-in")
    cookie = answer.headers.get("Set-Cookie", "")
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert cookie.startswith("__Host-pipeline="), cookie
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= set(flags), cookie
    assert not any(flag.startswith("domain=") for flag in flags), cookie
