"""The rate limiter with its Redis down: our own redis-server on a spare port, refusing
(killed) or hanging (SIGSTOPped). Sign-up, sign-in and reset still answer, quickly, and
the limits still hold, counted in memory meanwhile."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from redis import Redis

from tests import support
from tests.factories import PASSWORD, email
from web.app import create_app
from workers.runtime.bootstrap import build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration
BOUND_SECONDS = 20  # for a handful of requests; unbounded waits are what this guards against


@pytest.fixture
def own_redis() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = support.free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    support.wait_until(lambda: _pings(url), timeout=20, message="our redis-server")
    yield proc, url
    proc.send_signal(signal.SIGCONT)
    proc.kill()
    proc.wait(10)


def _pings(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture
def client(sqlite_settings: Settings, own_redis: tuple[subprocess.Popen[bytes], str]) -> Iterator[Any]:
    settings = replace(sqlite_settings, rate_limit_storage_url=own_redis[1], sign_in_failure_limit="2/minute")
    runtime = build_runtime(settings)
    yield create_app(runtime=runtime).test_client()
    runtime.close()


def _sign_up(client: Any, address: str) -> int:
    body = {"name": "Out Age", "email": address, "organisation_code": "WGN", "password": PASSWORD}
    return client.post("/api/v1/people", json=body).status_code


def _answers_during_outage(client: Any, known: str) -> list[int]:
    wrong = {"email": known, "password": "not the password at all"}
    return [
        _sign_up(client, email()),
        client.post("/api/v1/sessions", json={"email": known, "password": PASSWORD}).status_code,
        client.post("/api/v1/password-resets", json={"email": known}, buffered=True).status_code,
        *(client.post("/api/v1/sessions", json=wrong).status_code for _ in range(2)),
        client.post("/api/v1/sessions", json={"email": known, "password": PASSWORD}).status_code,  # locked
    ]


def _within_bound(work: Any) -> Any:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(BOUND_SECONDS)
    assert not thread.is_alive(), f"requests still waiting after {BOUND_SECONDS}s"
    return result[0]


def _refuse(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait(10)


def _hang(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGSTOP)


@pytest.mark.parametrize("outage", [_refuse, _hang], ids=["refusing", "hanging"])
def test_with_redis_refusing_or_hanging_accounts_answer_within_a_bound_and_stay_limited(
    client: Any, own_redis: tuple[subprocess.Popen[bytes], str], outage: Callable[[subprocess.Popen[bytes]], None]
) -> None:
    known = email()
    assert _sign_up(client, known) == 201
    outage(own_redis[0])
    assert _within_bound(lambda: _answers_during_outage(client, known)) == [201, 201, 202, 401, 401, 429]
