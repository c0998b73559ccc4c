"""A key-encryption key that does not open the database's keys (a lost key file replaced
by a new one, a key from another deployment) is named at start-up and by /readyz, and
never turns into 500s (found by a hostile review)."""

from __future__ import annotations

import base64
import dataclasses
import os
from pathlib import Path

import pytest

from tests import support
from web.app import create_app
from workers.runtime.bootstrap import build_runtime, initialise
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration
OTHER_KEY = base64.b64encode(os.urandom(32)).decode()


def test_a_wrong_kek_is_named_at_start_up_and_by_readiness_and_sign_in_is_no_500(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/p.sqlite3"
    initialise(Settings(database_url=url, secret_key=support.SECRET_KEY))
    env = support.pipeline_env(DATABASE_URL=url, PIPELINE_SECRET_KEY=OTHER_KEY)
    for command in (["init"], ["serve", "--port", str(support.free_port())]):
        with pytest.raises(RuntimeError) as refused:
            support.run_cli(*command, env=env, timeout=60)
        assert "key-encryption key does not open" in str(refused.value) and "Traceback" not in str(refused.value)
    runtime = build_runtime(Settings(database_url=url, secret_key=OTHER_KEY))
    try:
        client = create_app(runtime=runtime).test_client()
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "key-encryption key" in ready.json["detail"]
        sign_in = client.post("/api/v1/sessions", json={"email": "a@example.gov.uk", "password": "x" * 12})
        assert sign_in.status_code == 503 and sign_in.content_type == "application/problem+json"
    finally:
        runtime.close()
    good = build_runtime(dataclasses.replace(Settings(database_url=url), secret_key=support.SECRET_KEY))
    try:
        assert create_app(runtime=good).test_client().get("/readyz").status_code == 200
    finally:
        good.close()
