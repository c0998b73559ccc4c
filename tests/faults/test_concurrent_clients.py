"""Fault 4: 50 clients pledging on one project and 50 signing up with one address, all
at once over HTTP against a production server: the totals are exactly the acknowledged
pledges, and there is one account."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from tests.factories import PASSWORD
from tests.faults.conftest import Stack
from tests.faults.invariants import Ack, assert_nothing_lost

pytestmark = pytest.mark.faults
CLIENTS = 50


def all_at_once(count: int, call: Callable[[int], tuple[int, dict[str, str], Any]]) -> list[tuple[int, Any]]:
    barrier = threading.Barrier(count)
    answers: list[tuple[int, Any]] = [(0, None)] * count

    def run(i: int) -> None:
        barrier.wait()
        status, _, body = call(i)
        answers[i] = (status, body)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    return answers


def test_fifty_pledges_and_fifty_sign_ups_at_once_count_exactly_what_was_acknowledged(
    make_stack: Callable[..., Stack],
) -> None:
    stack = make_stack()
    stack.start_worker()
    stack.start_server()
    app = stack.runtime.app
    owner, _ = stack.member("WGN")
    project = app.propose_project(owner.id, "alpha", {"title": "Shared", "summary": "s"}).aggregate
    codes = sorted(code for code in app.council_codes if code != "WGN")[:CLIENTS]
    tokens = [stack.member(code)[1] for code in codes]

    def pledge(i: int) -> tuple[int, dict[str, str], Any]:
        body = {"money": f"{100 + i}.25", "days": "1.5", "contributions": [], "message": None}
        headers = {"Authorization": f"Bearer {tokens[i]}"}
        return stack.request("PUT", f"/api/v1/projects/{project.id}/pledges/mine", body, headers=headers, timeout=120)

    pledges = all_at_once(CLIENTS, pledge)
    assert {status for status, _ in pledges} <= {200, 409, 503}, pledges
    acked = [i for i, (status, _) in enumerate(pledges) if status == 200]
    assert len(acked) >= CLIENTS // 2, pledges
    expected = sum(Decimal(f"{100 + i}.25") for i in acked)
    totals = app.get_project(project.id).totals()
    assert (totals["money"], totals["pledges"]) == (expected, len(acked))

    def sign_up(i: int) -> tuple[int, dict[str, str], Any]:
        address = ["one@example.gov.uk", "ONE@example.gov.uk", "One@Example.gov.uk"][i % 3]
        body = {"password": PASSWORD, "name": f"Racer {i}", "email": address, "organisation_name": "Wigan Council"}
        return stack.request("POST", "/api/v1/people", body, timeout=120)

    sign_ups = all_at_once(CLIENTS, sign_up)
    statuses = sorted(status for status, _ in sign_ups)
    assert statuses.count(201) == 1 and set(statuses) <= {201, 409}, statuses
    (winner,) = [body for status, body in sign_ups if status == 201]
    assert str(app.email_owner("one@example.gov.uk")) == winner["id"]

    acks = [Ack.of(body, project.id) for status, body in pledges if status == 200] + [Ack.of(winner)]
    assert_nothing_lost(stack.runtime, acks)
    status, _, shown = stack.request("GET", f"/api/v1/projects/{project.id}")
    assert (Decimal(shown["pledged_money"]), shown["pledge_count"]) == (expected, len(acked))
