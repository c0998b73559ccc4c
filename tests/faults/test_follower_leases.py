"""Followers shared among workers (issue 23): each follower is caught up by one worker at a
time under a lease (a PostgreSQL advisory lock), a worker that finds it held moves on, the
holder looks again after letting go, and a killed holder frees its lease at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from domain.application import OrganisationRef
from projections import runner, verify
from projections.registry import get
from tests import support
from tests.factories import PASSWORD, bulk_sign_ups, email
from tests.faults.conftest import Stack
from tests.faults.invariants import converged
from workers.runtime import follow
from workers.runtime.bootstrap import Runtime, build_runtime

pytestmark = pytest.mark.faults

HELD = (
    "SELECT l.pid, l.objid FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
    " WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()"
    " AND l.classid = (hashtext('pipeline.follower')::bigint & 4294967295)::oid"
)


def leases_held(url: str) -> list[tuple[int, int]]:
    """(backend pid, follower key) of every follower lease held in this database."""
    with psycopg.connect(url, autocommit=True) as conn:
        return [(int(pid), int(key)) for pid, key in conn.execute(HELD).fetchall()]


def rebuilt_alike(rt: Runtime, *names: str) -> bool:
    """``pipeline projections verify``'s check: each view equals a rebuild from the log."""
    return all(verify.verify(rt.app, rt.db, get(name), advance=lambda _n: None).identical for name in names)


def people_rows(rt: Runtime) -> int:
    return int(rt.db.query("SELECT COUNT(*) AS n FROM people")[0]["n"])


def sign_up(rt: Runtime) -> None:
    heard, rt.app.log_moved = rt.app.log_moved, None  # no job: the test decides who catches up
    try:
        rt.app.sign_up(
            name="Late", email=email(), job_title=None, organisation=OrganisationRef(code="KTT"), password=PASSWORD
        )
    finally:
        rt.app.log_moved = heard


@pytest.fixture
def second_runtime(make_stack: Callable[..., Stack]) -> Iterator[tuple[Runtime, Runtime]]:
    """Two runtimes on one database, as two worker processes have: each its own leases."""
    stack = make_stack()
    other = build_runtime(stack.settings)
    yield stack.runtime, other
    other.close()


def test_two_workers_on_one_follower_apply_it_once_and_the_second_moves_on(
    second_runtime: tuple[Runtime, Runtime],
) -> None:
    one, two = second_runtime
    people = get("people")
    head = bulk_sign_ups(one.app, 600)
    start = threading.Barrier(2)
    covered: dict[str, int] = {}
    took: dict[str, float] = {}

    def work(label: str, rt: Runtime) -> None:
        start.wait()
        began = time.monotonic()
        covered[label] = follow.catch_up_held(rt, people)
        took[label] = time.monotonic() - began

    threads = [threading.Thread(target=work, args=(label, rt)) for label, rt in (("one", one), ("two", two))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert runner.position(one.db, "people") == head
    assert people_rows(one) == 600
    # one did the work; the other found it held and moved on (it never waited the catch-up out)
    assert sorted(covered.values())[0] == 0, covered
    loser = min(covered, key=lambda label: covered[label])
    winner = max(covered, key=lambda label: covered[label])
    assert covered[winner] > 0
    assert took[loser] < took[winner]
    assert rebuilt_alike(one, "people")


def test_a_write_whose_worker_found_the_lease_held_is_applied_by_the_holder(
    second_runtime: tuple[Runtime, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The holder has applied what it read; a write lands and its job, on another worker,
    finds the lease held and leaves. The holder must look again after letting go."""
    holder, other = second_runtime
    people = get("people")
    bulk_sign_ups(holder.app, 50)
    real_keep_up = runner.keep_up
    answers: list[int] = []

    def keep_up_then_a_write_arrives(*args: Any, **kwargs: Any) -> int | None:
        moved = real_keep_up(*args, **kwargs)
        if not answers:
            sign_up(holder)
            answers.append(follow.catch_up_held(other, people))  # the write's own job, elsewhere
        return moved

    monkeypatch.setattr(runner, "keep_up", keep_up_then_a_write_arrives)
    follow.catch_up_held(holder, people)
    monkeypatch.undo()

    assert answers == [0]  # it found the lease held and did nothing
    assert people_rows(holder) == 51  # the holder applied the late write too
    assert not runner.behind(holder.app, holder.db, people)


def test_a_worker_killed_holding_a_lease_frees_it_and_another_worker_finishes(
    make_stack: Callable[..., Stack],
) -> None:
    stack = make_stack(PIPELINE_BATCH_SIZE="20", PIPELINE_SWEEP_SECONDS="600")
    rt = stack.runtime
    head = bulk_sign_ups(rt.app, 3000)
    worker = stack.start_worker("holder")
    support.wait_until(
        lambda: 0 < runner.position(rt.db, "people") < head and leases_held(stack.settings.database_url),
        timeout=60,
        interval=0.01,
        message="the worker to hold a lease part-way",
    )
    held_by = {pid for pid, _key in leases_held(stack.settings.database_url)}
    assert runner.position(rt.db, "people") < head, "it finished before it was killed: nothing was proved"
    worker.kill()
    killed_at = time.monotonic()
    # PostgreSQL ends the killed worker's sessions, and their locks with them: no expiry to wait out
    support.wait_until(
        lambda: not {pid for pid, _ in leases_held(stack.settings.database_url)} & held_by,
        timeout=15,
        interval=0.05,
        message="the killed worker's leases to go",
    )
    freed_after = time.monotonic() - killed_at

    finisher = stack.start_worker("finisher")
    support.wait_until(lambda: converged(rt), timeout=120, interval=0.2, message="the other worker to finish")
    finisher.stop()
    assert people_rows(rt) == 3000  # nothing lost, nothing twice
    assert rebuilt_alike(rt, "people", "organisations")
    assert freed_after < 15


def test_two_worker_processes_hold_different_followers_at_the_same_moment(make_stack: Callable[..., Stack]) -> None:
    stack = make_stack(PIPELINE_BATCH_SIZE="20", PIPELINE_SWEEP_SECONDS="600")
    rt = stack.runtime
    bulk_sign_ups(rt.app, 3000)
    url = stack.settings.database_url
    seen: list[list[tuple[int, int]]] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.append(leases_held(url))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    workers = [stack.start_worker(f"worker-{i}") for i in range(2)]
    try:
        support.wait_until(lambda: converged(rt), timeout=120, interval=0.2, message="the two workers to finish")
    finally:
        stop.set()
        watcher.join(5)
        for worker in workers:
            worker.stop()
    assert people_rows(rt) == 3000
    for held in seen:
        keys = [key for _pid, key in held]
        assert len(keys) == len(set(keys)), f"one follower held twice: {held}"
    assert any(len({pid for pid, _ in held}) == 2 for held in seen), "the two workers never worked at once"
    assert rebuilt_alike(rt, "people", "organisations")
