"""Fault 1: `kill -9` a worker part-way through a catch-up, and `pipeline projections
rebuild` part-way through a rebuild; a new worker converges and nothing is lost."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.application import OrganisationRef
from projections import rebuilds, runner
from projections.registry import all_projections
from tests import support
from tests.factories import PASSWORD, bulk_sign_ups, email
from tests.faults.conftest import Stack
from tests.faults.invariants import Ack, assert_nothing_lost, converged

pytestmark = pytest.mark.faults


def positions(stack: Stack) -> dict[str, int]:
    return {s.name: s.position for s in runner.status(stack.runtime.app, stack.runtime.db, all_projections())}


def kill_when_part_way(process: support.Process, stack: Stack, head: int, started: Callable[[], bool]) -> bool:
    """SIGKILL ``process`` as soon as some projection is visibly between 0 and the head
    after ``started``; True if it was (False: it finished first, and proved nothing)."""

    def part_way() -> bool:
        return not process.alive() or (started() and any(0 < p < head for p in positions(stack).values()))

    support.wait_until(part_way, timeout=60, interval=0.01, message="progress to kill")
    was_part_way = process.alive() and any(0 < p < head for p in positions(stack).values())
    process.kill()
    return was_part_way


def test_workers_and_rebuilds_killed_part_way_lose_and_double_nothing(make_stack: Callable[..., Stack]) -> None:
    stack = make_stack(PIPELINE_BATCH_SIZE="25", PIPELINE_SWEEP_SECONDS="1")
    rt = stack.runtime
    acks = []
    for i in range(5):
        written = rt.app.sign_up(
            name=f"Acked {i}",
            email=email(),
            job_title=None,
            organisation=OrganisationRef(code="KTT"),
            password=PASSWORD,
        )
        acks.append(Ack(written.aggregate.id, written.position))
    head = bulk_sign_ups(rt.app, 4000)

    killed = 0
    for attempt in range(3):  # mid catch-up
        worker = stack.start_worker(f"catch-up-{attempt}")
        killed += kill_when_part_way(worker, stack, head, lambda: True)
        if killed:
            break
    assert killed, "the worker finished before it could be killed: nothing was proved"

    finisher = stack.start_worker("finisher")
    support.wait_until(lambda: converged(rt), timeout=120, interval=0.2, message="the catch-up to finish")
    finisher.stop()

    killed = 0
    for attempt in range(3):  # mid rebuild: it builds copies beside the live views, which keep serving
        rebuild = support.Process(
            ["projections", "rebuild", "--all"], stack.env, stack.workdir / f"rebuild-{attempt}.log"
        )
        support.wait_until(
            lambda p=rebuild: not p.alive() or 0 < rebuilds.in_progress(rt.db).get("people", 0) < head,  # type: ignore[misc]
            timeout=60,
            interval=0.01,
            message="progress to kill",
        )
        killed += 0 < rebuilds.in_progress(rt.db).get("people", 0) < head and rebuild.alive()
        rebuild.kill()
        rebuild.stop()
        if killed:
            break
    assert killed, "the rebuild finished before it could be killed: nothing was proved"
    assert converged(rt)  # the live views were never emptied

    resumed = support.Process(["projections", "rebuild", "--all"], stack.env, stack.workdir / "rebuild-resumed.log")
    support.wait_until(lambda: not resumed.alive(), timeout=120, message="the resumed rebuild to finish")
    assert rebuilds.in_progress(rt.db) == {}
    stack.start_worker("after-the-kills")
    assert_nothing_lost(rt, acks, converge_within=120)
    assert rt.db.query("SELECT COUNT(*) AS n FROM people")[0]["n"] == 4005
