"""Helpers shared by the integration and end-to-end tests and the benchmarks:
throwaway PostgreSQL databases, and real server and worker processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POSTGRES_ADMIN_URL = os.environ.get("PIPELINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("PIPELINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Rate limits no test of a journey reaches (the tests of the limits set their own).
ROOMY_LIMITS = {
    "PIPELINE_SIGN_UP_IP_LIMIT": "1000/minute",
    "PIPELINE_SIGN_IN_IP_LIMIT": "1000/minute",
    "PIPELINE_MAIL_RECIPIENT_LIMIT": "1000/minute",
    "PIPELINE_MAIL_ACCOUNT_LIMIT": "1000/minute",
}
# The event store's pool in every test process and every process a test starts: one connection
# kept instead of eventsourcing's five, the same fifteen at most under load. Four test processes
# at once, each with a production stack (gunicorn's processes, workers, the test's own runtime),
# otherwise keep enough idle connections to pass PostgreSQL's default max_connections of 100.
TEST_POOL = {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "14"}
os.environ.update(TEST_POOL)  # read by eventsourcing (Application.construct_env) in this process

# Mail from settings read from the environment (here, or in a process a test starts) that name no
# folder of their own goes to this test process's own, never to the checkout's ./var/outbox,
# which every parallel test process would share.
os.environ["PIPELINE_OUTBOX_DIR"] = tempfile.mkdtemp(prefix="pipeline-test-outbox-")


def written_under(folder: Path, since: float) -> list[Path]:
    """Files under ``folder`` changed at or after ``since`` (a ``time.time()``): what a test
    run left in a place no test may write to."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.rglob("*") if path.is_file() and path.stat().st_mtime >= since)


SECRET_KEY = "cGlwZWxpbmUgdGVzdCBrZXktZW5jcnlwdGlvbiBrZXk="  # tests' key-encryption key: not a secret

HOW_TO_START = {
    "postgres": "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start "
    "(or set PIPELINE_TEST_POSTGRES_URL to a server where we may create databases)",
    "redis": 'start it with: redis-server --daemonize yes --port 6379 --save "" --appendonly no '
    "(or set PIPELINE_TEST_REDIS_URL)",
}


def postgres_problem() -> str | None:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({error}); {HOW_TO_START['postgres']}"


def redis_problem() -> str | None:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
        return None
    except RedisError as error:
        return f"Redis is not reachable at {REDIS_URL} ({error}); {HOW_TO_START['redis']}"


def _with_dbname(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def create_database(template: str | None = None) -> str:
    """A new, empty (or template-copied) database; returns its URL."""
    import psycopg

    name = f"pipeline_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return _with_dbname(POSTGRES_ADMIN_URL, name)


def drop_database(url: str) -> None:
    import psycopg

    name = url.rpartition("/")[2]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pipeline_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "SQLITE_", "PERSISTENCE_"))}
    for key in ("DATABASE_URL", "REDIS_URL", "PIPELINE_QUEUE", "PIPELINE_SECRET_KEY_FILE"):
        env.pop(key, None)
    env["PIPELINE_SECRET_KEY"] = SECRET_KEY  # production mode refuses to start without one
    env.update(TEST_POOL)
    env.update(overrides)
    return env


def run_cli(*args: str, env: Mapping[str, str], cwd: Path | None = None, timeout: float = 120) -> str:
    result = subprocess.run(
        [str(BIN / "pipeline"), *args],
        env=dict(env),
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pipeline {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def request(
    method: str,
    url: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], Any]:
    """A tiny HTTP client: returns (status, headers, parsed JSON body or text)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    all_headers = {"Content-Type": "application/json"} if body is not None else {}
    all_headers.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            status, hdrs, payload = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, hdrs, payload = error.code, dict(error.headers), error.read()
    text = payload.decode()
    try:
        return status, hdrs, json.loads(text) if text else None
    except ValueError:
        return status, hdrs, text


class Process:
    """A real ``pipeline`` subprocess (server or worker), logging to a file."""

    def __init__(self, args: list[str], env: Mapping[str, str], log_path: Path, cwd: Path | None = None) -> None:
        self.log_path = log_path
        self.log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(BIN / "pipeline"), *args],
            env=dict(env),
            cwd=cwd or ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean-up, like a crash."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def server(env: Mapping[str, str], log_path: Path, cwd: Path | None = None) -> Iterator[str]:
    """Run ``pipeline serve`` on a free port; yields its base URL once /healthz answers."""
    port = free_port()
    proc = Process(["serve"], {**env, "PORT": str(port), "HOST": "127.0.0.1"}, log_path, cwd)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if not proc.alive():
                raise RuntimeError(f"server exited early:\n{proc.output()}")
            try:
                if request("GET", base + "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not come up:\n{proc.output()}")
            time.sleep(0.1)
        yield base
    finally:
        proc.stop()


def wait_until(predicate: Any, timeout: float = 30, interval: float = 0.05, message: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


# A copy of ../shared/data/legacy-pipeline-2014/sample.sqlite (made-up rows in the original
# Pipeline's 2014 schema), kept here so the tests do not depend on where the clone sits.
LEGACY_SAMPLE = Path(__file__).resolve().parent / "data" / "legacy-2014-sample.sqlite"


def api_rules(app: Any) -> list[Any]:
    """The API's URL rules: not the pages (HTML for browsers, which call the API in-process and
    are tested in tests/browser) nor their static assets."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.startswith("pages.") and rule.endpoint != "static"
    ]
