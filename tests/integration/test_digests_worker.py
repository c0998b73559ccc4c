"""A real `pipeline worker` sends yesterday's digests and nudges idle projects from its sweep
(digests through a real SMTP server); killed (SIGKILL) and started again, its successor does
what is still due and never a second digest for a period, nor a nudge again."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from domain import clock
from domain.reminders import ProjectNudge
from tests import support
from tests.conftest import worker_env
from tests.factories import council_member
from tests.integration.test_digests import received, story
from tests.integration.test_nudges import recorded
from tests.smtp import Inbox
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def digests_to(inbox: Inbox, address: str) -> int:
    return sum(1 for m in received(inbox) if m["To"] == address)


def address_of(rt: Runtime, person_id: UUID) -> str:
    person = rt.app.get_person(person_id)
    found = rt.keys.open(person.id, person.email)
    assert found is not None
    return found


def test_a_killed_worker_and_its_successor_send_each_digest_once(
    pg_runtime: Runtime,
    smtp_server: tuple[Inbox, int],
    tmp_path: Path,
) -> None:
    rt, (inbox, port) = pg_runtime, smtp_server
    yesterday = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(hours=3)
    with clock.set_to(yesterday) as moment:
        first = story(rt, moment)
    settings = dataclasses.replace(rt.settings, smtp_url=f"smtp://127.0.0.1:{port}")
    env = worker_env(settings, SMTP_URL=settings.smtp_url or "", PIPELINE_SWEEP_SECONDS="1")

    worker = support.Process(["worker"], env, tmp_path / "worker-1.log")
    try:
        support.wait_until(lambda: digests_to(inbox, address_of(rt, first.reader.id)) == 1, 90, 0.2, "a digest")
    finally:
        worker.kill()

    with clock.set_to(yesterday + timedelta(hours=1)) as moment:
        second_reader = council_member(rt.app, "MAN", name="Dee")
        rt.app.follow(first.bins, second_reader.id, following=True)
        rt.app.choose_notifications(second_reader.id, frequency="daily")
        rt.catch_up()
        owner = rt.app.get_project(first.bins).proposer_id
        rt.app.post_status_update(first.bins, "Late news", owner)
        rt.catch_up()

    successor = support.Process(["worker"], env, tmp_path / "worker-2.log")
    try:
        support.wait_until(
            lambda: digests_to(inbox, address_of(rt, second_reader.id)) == 1, 90, 0.2, "the successor's digest"
        )
    finally:
        successor.stop()
    assert digests_to(inbox, address_of(rt, first.reader.id)) == 1
    assert len(rt.db.query("SELECT id FROM outbox WHERE kind = 'digest' AND sent_at IS NOT NULL")) == 2


def test_a_worker_nudges_an_idle_project_from_its_sweep_and_a_restart_nudges_it_no_more(
    pg_runtime: Runtime, tmp_path: Path
) -> None:
    rt = pg_runtime
    env = worker_env(rt.settings, PIPELINE_SWEEP_SECONDS="1", PIPELINE_NUDGE_DAYS="1")
    idle = []
    for run, (code, title) in enumerate((("WGN", "Idle"), ("KTT", "Also idle")), 1):
        with clock.set_to(datetime.now(UTC) - timedelta(days=2)):
            owner = council_member(rt.app, code)
            idle.append(
                rt.app.propose_project(owner.id, "alpha", {"title": title, "summary": "Forgotten"}).aggregate.id
            )
        rt.catch_up()
        worker = support.Process(["worker"], env, tmp_path / f"worker-{run}.log")
        try:  # the second worker's sweep that nudges the second project has seen the first one too
            support.wait_until(lambda n=run: len(recorded(rt, ProjectNudge.Sent)) == n, 90, 0.2, f"nudge {run}")
        finally:
            worker.kill()
    assert sorted((n.project_id, n.number) for n in recorded(rt, ProjectNudge.Sent)) == sorted(
        [(idle[0], 1), (idle[1], 1)]
    )
