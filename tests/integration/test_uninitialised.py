"""Before `pipeline init`: every endpoint says 503 "not initialised", none a 500 or a 4xx."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter, UUIDConverter

from tests import support
from web.api.operations import WITHOUT_DATABASE
from web.app import create_app
from workers.runtime.bootstrap import build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "pg"])
def empty_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app on a database that exists but has no tables at all."""
    if request.param == "pg":
        request.getfixturevalue("postgres_available")
        url = support.create_database()
        settings = Settings(
            database_url=url,
            redis_url=support.REDIS_URL,
            queue_name=f"t-{uuid.uuid4().hex[:8]}",
            secret_key=support.SECRET_KEY,
        )
    else:
        url = ""  # a key given in the environment: the key file is made only by `pipeline init`
        settings = Settings(database_url=f"sqlite:///{tmp_path}/empty.sqlite3", secret_key=support.SECRET_KEY)
    runtime = build_runtime(settings)
    try:
        yield create_app(runtime=runtime)
    finally:
        runtime.close()
        if url:
            support.drop_database(url)


def every_request(app: Flask) -> Iterator[tuple[str, str]]:
    adapter = app.url_map.bind("localhost")
    for rule in support.api_rules(app):
        if rule.endpoint in WITHOUT_DATABASE:
            continue
        values = {}
        for name, converter in rule._converters.items():
            kind = type(converter)
            values[name] = uuid.uuid4() if kind is UUIDConverter else 1 if kind is IntegerConverter else "KTT"
        path = adapter.build(rule.endpoint, values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, path


def test_every_endpoint_answers_503_on_an_uninitialised_database(empty_app: Flask) -> None:
    client = empty_app.test_client()
    answers = {}
    for method, path in every_request(empty_app):
        body = {} if method in ("POST", "PUT", "PATCH") else None
        for who, headers in (("anonymous", {}), ("with a token", {"Authorization": "Bearer not-a-token"})):
            response = client.open(path, method=method, json=body, headers=headers)
            answers[f"{method} {path} {who}"] = (response.status_code, response.content_type)
    assert len(answers) > 80
    wrong = {k: v for k, v in answers.items() if v != (503, "application/problem+json")}
    assert wrong == {}


@pytest.mark.parametrize("empty_app", ["pg"], indirect=True)  # the 500 of issue 7 (SQLite said 503)
def test_sign_in_without_a_token_on_an_uninitialised_database_says_run_init(empty_app: Flask) -> None:
    response = empty_app.test_client().post("/api/v1/sessions", json={"email": "a@b.gov.uk", "password": "x" * 20})
    assert response.status_code == 503
    assert "pipeline init" in response.json["detail"]
    assert response.headers["Retry-After"]
    assert empty_app.test_client().get("/healthz").status_code == 200
