"""Fault 3: PostgreSQL is cut off (through a proxy of ours: the shared server is never
restarted) while clients read and write: every answer comes within a bound, a 503 with
Retry-After while it is away, never a 500; once it is back, web and workers recover."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests import support
from tests.factories import PASSWORD
from tests.faults.conftest import Stack
from tests.faults.invariants import Ack, assert_nothing_lost
from tests.faults.proxy import TcpProxy

pytestmark = [pytest.mark.faults, pytest.mark.serial]  # it times answers: `make test` runs it alone
ANSWER_BOUND_SECONDS = 10.0  # pool wait 2 s + two store tries, on a busy 2-core machine
READY_BOUND_SECONDS = 2.5  # /readyz gives up after 1.5 s


@dataclass
class Answer:
    what: str
    status: int
    took: float
    headers: dict[str, str]
    body: Any
    started: float
    ended: float


class Load:
    """Clients signing up, listing projects and probing readiness, until stopped."""

    def __init__(self, stack: Stack) -> None:
        self.stack, self.answers = stack, []
        self.cut_at, self.restored_at = float("inf"), float("inf")
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(kind,)) for kind in ("write", "write", "read", "ready")
        ]

    def _call(self, kind: str) -> tuple[int, dict[str, str], Any]:
        if kind == "write":
            body = {
                "password": PASSWORD,
                "name": "Load",
                "email": f"{uuid.uuid4().hex[:12]}@example.gov.uk",
                "organisation_name": "Wigan Borough Council",
            }
            return self.stack.request("POST", "/api/v1/people", body, timeout=60)
        return self.stack.request("GET", "/readyz" if kind == "ready" else "/api/v1/projects", timeout=60)

    def _run(self, kind: str) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            status, headers, body = self._call(kind)
            ended = time.monotonic()
            self.answers.append(Answer(kind, status, ended - started, headers, body, started, ended))
            time.sleep(0.05)

    def during_cut(self, answer: Answer) -> bool:
        return self.cut_at < answer.started and answer.ended < self.restored_at

    def after_restore(self, answer: Answer) -> bool:
        return answer.started > self.restored_at

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(120)


def test_a_cut_database_gives_bounded_503s_and_everything_recovers_by_itself(
    make_stack: Callable[..., Stack],
) -> None:
    proxy = TcpProxy(5432).start()
    try:
        stack = make_stack(db_port=proxy.port, PIPELINE_SWEEP_SECONDS="1")
        stack.start_worker()
        stack.start_server()
        load = cut_under_load(stack, proxy)
        answers = load.answers
        assert [a for a in answers if a.status >= 500 and a.status != 503] == []
        assert [(a.what, a.took) for a in answers if a.took > ANSWER_BOUND_SECONDS] == []
        assert [a.took for a in answers if a.what == "ready" and a.took > READY_BOUND_SECONDS] == []
        assert [a for a in answers if a.status == 503 and not load.cut_at < a.ended] == []  # only from the cut on
        refused = [a for a in answers if a.status == 503]
        assert refused and all(a.headers.get("Retry-After") for a in refused)
        assert all(a.headers.get("Content-Type") == "application/problem+json" for a in refused)
        probes = [a for a in answers if a.what == "ready" and load.during_cut(a)]
        assert probes and all(a.status == 503 for a in probes)
        acks = [Ack.of(a.body) for a in answers if a.status == 201]
        assert_nothing_lost(stack.runtime, acks, converge_within=90)
    finally:
        proxy.close()


def cut_under_load(stack: Stack, proxy: TcpProxy) -> Load:
    with Load(stack) as load:
        support.wait_until(lambda: sum(a.status == 201 for a in load.answers) >= 3, timeout=30, message="writes")
        load.cut_at = time.monotonic()
        proxy.cut()
        support.wait_until(
            lambda: sum(load.during_cut(a) and a.status == 503 and a.what == "write" for a in load.answers) >= 3,
            timeout=60,
            message="writes refused while the database is away",
        )
        proxy.restore()
        load.restored_at = time.monotonic()
        support.wait_until(
            lambda: sum(load.after_restore(a) and a.status == 201 for a in load.answers) >= 3,
            timeout=60,
            message="writes to succeed again",
        )
        support.wait_until(lambda: stack.request("GET", "/readyz")[0] == 200, timeout=60, message="ready again")
    return load
