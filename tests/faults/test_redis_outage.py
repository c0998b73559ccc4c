"""Fault 2: our own Redis stops while writes continue, refusing (killed) or hanging
(SIGSTOP): writes are acknowledged within a bound, reads answer and say when they are
behind; once Redis is back the views converge with no manual step."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError

from tests import support
from tests.factories import PASSWORD
from tests.faults.conftest import Stack
from tests.faults.invariants import Ack, assert_nothing_lost

pytestmark = [pytest.mark.faults, pytest.mark.serial]  # it times answers: `make test` runs it alone
WRITE_BOUND_SECONDS = 5.0  # Redis timeout 1 s + a sign-up's password hashing, on a busy machine


class OwnRedis:
    """A redis-server of our own on a free port: the shared one is never touched."""

    def __init__(self, workdir: Path) -> None:
        self.port = support.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = workdir / f"redis-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        support.wait_until(self._answers, timeout=20, message="our redis-server to start")

    def _answers(self) -> bool:
        try:
            return bool(Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1).ping())
        except RedisError:
            return False

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGKILL)
            self.proc.wait(10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    redis = OwnRedis(tmp_path)
    redis.start()
    yield redis
    redis.kill()


def sign_up(stack: Stack) -> tuple[int, float, dict]:
    body = {
        "password": PASSWORD,
        "name": "Outage tester",
        "email": f"{uuid.uuid4().hex[:12]}@example.gov.uk",
        "organisation_name": "Wigan Borough Council",
    }
    started = time.monotonic()
    status, _, answer = stack.request("POST", "/api/v1/people", body, timeout=60)
    return status, time.monotonic() - started, answer


@pytest.mark.parametrize("outage", ["refusing", "hanging"])
def test_writes_go_on_through_a_redis_outage_and_views_converge_after_it(
    outage: str, own_redis: OwnRedis, make_stack: Callable[..., Stack]
) -> None:
    stack = make_stack(
        redis_url=own_redis.url,
        PIPELINE_SWEEP_SECONDS="2",
        PIPELINE_READ_WAIT_SECONDS="0.2",
        PIPELINE_REDIS_TIMEOUT_SECONDS="1",
    )
    stack.start_worker()
    stack.start_server()
    acks = []
    status, _, body = sign_up(stack)
    assert status == 201
    acks.append(Ack.of(body))

    if outage == "refusing":
        own_redis.kill()
    else:
        own_redis.signal(signal.SIGSTOP)
    reads = []
    for _ in range(8):
        status, took, body = sign_up(stack)
        assert (status, took < WRITE_BOUND_SECONDS) == (201, True), (status, took, body)
        acks.append(Ack.of(body))
        reads.append(stack.request("GET", f"/api/v1/people/{body['id']}?min_position={body['event_position']}"))
        assert stack.request("GET", "/api/v1/organisations/WGN")[0] == 200  # reads without a position: as they are
    assert {status for status, _, _ in reads} <= {200, 503}
    behind = [answer for status, _, answer in reads if status == 503]
    assert behind, "every read was already up to date: the outage was never visible"
    assert all("has not reached" in answer["detail"] for answer in behind)

    if outage == "refusing":
        own_redis.start()
    else:
        own_redis.signal(signal.SIGCONT)
    status, _, body = sign_up(stack)
    assert status == 201
    acks.append(Ack.of(body))
    assert_nothing_lost(stack.runtime, acks, converge_within=60)
