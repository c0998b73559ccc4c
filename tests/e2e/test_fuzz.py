"""Property test over the whole OpenAPI document: whatever a client sends, the answer is
never a server error, and every refusal is a problem+json. Generated requests (schemathesis)
go to the real app on SQLite, signed in as a verified member who owns a project, so write
endpoints are exercised too. (The app is built when this module is collected: schemathesis
parametrises from the live schema, and its fixture-based loader does not work with pytest 9.)
Examples are derandomised so CI runs the same cases every time; run with a random seed by
hand (`schemathesis run` against a server) to look for new ones."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from domain.application import OrganisationRef
from tests.factories import council_email
from web.app import create_app
from workers.runtime.bootstrap import build_runtime, initialise
from workers.runtime.settings import Settings

pytestmark = pytest.mark.e2e
_workdir = tempfile.TemporaryDirectory(prefix="pipeline-fuzz-")  # removed when the run ends


def signed_in_app(directory: Path) -> tuple[Any, str]:
    config = Settings(
        database_url=f"sqlite:///{directory}/fuzz.sqlite3",
        rate_limits=False,
        outbox_dir=str(directory / "outbox"),
        read_wait_seconds=0.2,
    )
    initialise(config)
    runtime = build_runtime(config)
    person = runtime.app.sign_up(
        name="Fuzz Tester",
        email=council_email("WGN"),
        job_title=None,
        organisation=OrganisationRef(code="WGN"),
        password="correct horse battery staple",
    ).aggregate
    runtime.app.verify_email(person.id)
    runtime.app.propose_project(person.id, "alpha", {"title": "Fuzzed", "summary": "s", "tags": ["a"]})
    runtime.catch_up()
    token, _ = runtime.sessions.start(person.id)
    return create_app(runtime=runtime), token


APP, TOKEN = signed_in_app(Path(_workdir.name))
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case: schemathesis.Case) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {TOKEN}"}
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    if response.status_code >= 400:
        headers = {k.lower(): v[0] if isinstance(v, list) else v for k, v in response.headers.items()}
        assert headers["content-type"].startswith("application/problem+json"), headers
