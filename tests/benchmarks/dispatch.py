"""The dispatch phase: worker CPU per write, in-process, on its own PostgreSQL database.

After each write the catch-up job a worker would run (``workers.runtime.jobs.catch_up_projections``)
is run here, timed with the process's CPU clock: for the followers the write's events feed
(what the dispatcher asks for) and, on alternate writes of the same kind, for every
follower (what it asked for before it took them from the topics). Sign-ups include the
notifier writing the verification mail (sending it is a job of its own, not timed)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from domain.application import OrganisationRef
from tests.benchmarks.common import Report, runtime_for, say
from tests.benchmarks.pledges import make_members, propose
from tests.factories import PASSWORD
from workers.runtime import follow, jobs

PLEDGE_TOPICS = ("domain.project:Project.PledgeMade", "domain.project:Project.PledgeAmended")
SIGN_UP_TOPICS = ("domain.person:Person.SignedUp", "domain.person:PersonEmail.Claimed")


def dispatch_phase(cfg: Any, report: Report, database_url: str) -> None:
    writes = 40 if cfg.quick else 200
    with runtime_for(database_url) as rt:
        rt.app.log_moved = None  # the jobs are run here, by hand, one per write
        jobs._runtime = rt  # what the worker process builds for itself
        try:
            owner, *members = make_members(rt, 9, uuid.uuid4().hex[:10])
            projects = [propose(rt.app, owner, f"Dispatch {i}") for i in range(8)]
            rt.catch_up()

            def pledge(i: int) -> None:
                offer = {"money": f"{100 + i}.00", "days": "0", "contributions": []}
                rt.app.pledge_for_organisation(projects[i % 8], members[i % 8].person_id, offer)

            def sign_up(i: int) -> None:
                address = f"dispatch-{uuid.uuid4().hex[:12]}@example.gov.uk"
                ref = OrganisationRef(code="WGN")
                rt.app.sign_up(name=f"D {i}", email=address, job_title=None, organisation=ref, password=PASSWORD)

            for label, write, topics in (("pledge", pledge, PLEDGE_TOPICS), ("sign-up", sign_up, SIGN_UP_TOPICS)):
                say(f"  {writes} {label}s, each followed by its catch-up job")
                fed, every = _alternate(write, follow.affected(topics), follow.names(), writes)
                report.add(
                    f"dispatch: worker CPU per {label}, the catch-up job for the followers its events feed",
                    f"{fed:.2f} ms",
                    f"{every:.2f} ms (the job for every follower)",
                    f"{fed / every:.2f}" if every else "n/a",
                )
        finally:
            jobs._runtime = None


def _alternate(write: Callable[[int], None], fed: list[str], every: list[str], writes: int) -> tuple[float, float]:
    """Mean CPU ms of the job after a write: ``fed`` after even writes, ``every`` after odd ones."""
    spent = {0: 0.0, 1: 0.0}
    for i in range(writes):
        write(i)
        start = time.process_time()
        jobs.catch_up_projections(fed if i % 2 == 0 else every)
        spent[i % 2] += time.process_time() - start
    half = writes / 2
    return spent[0] * 1000 / half, spent[1] * 1000 / half
