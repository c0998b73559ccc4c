"""`pipeline serve`, `worker` and `init` with a database they cannot use: they say which
database and why, and exit non-zero within seconds, without a traceback."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests import support

pytestmark = pytest.mark.integration
SECRET = "s3cret-pass"


def run(command: str, url: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = support.pipeline_env(DATABASE_URL=url, REDIS_URL=support.REDIS_URL, PORT=str(support.free_port()))
    started = time.monotonic()
    result = subprocess.run(
        [str(support.BIN / "pipeline"), command],
        env=env,
        cwd=support.ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, time.monotonic() - started


@pytest.mark.parametrize("command", ["serve", "worker", "init"])
def test_nothing_listening_names_the_database_and_the_reason(command: str, redis_available: None) -> None:
    port = support.free_port()
    result, took = run(command, f"postgresql://postgres:{SECRET}@127.0.0.1:{port}/pipeline_prod")
    assert result.returncode != 0
    assert f"127.0.0.1:{port}/pipeline_prod" in result.stderr
    assert "refused" in result.stderr.lower()
    assert "Traceback" not in result.stderr + result.stdout
    assert SECRET not in result.stderr + result.stdout
    assert took < 15


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_wrong_database_name_is_named_with_the_reason(command: str, postgres_available: None) -> None:
    url = support.POSTGRES_ADMIN_URL.rpartition("/")[0] + "/no_such_pipeline_db"
    result, took = run(command, url)
    assert result.returncode != 0
    assert "/no_such_pipeline_db" in result.stderr
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert took < 15
