"""History written with the clock set (legacy import, demo) is marked, and the notifier
emails nobody about it; ordinary writes around it are told as before."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from domain import clock, history
from domain.history import HistoryMark
from tests.factories import council_member
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def verification_mail(rt: Runtime) -> list[str]:
    rows = rt.db.query("SELECT person_id FROM outbox WHERE kind = 'verify-email' ORDER BY person_id")
    return [r["person_id"] for r in rows]


@pytest.mark.parametrize("batch_size", [1, 500])
def test_history_sends_no_mail_whatever_the_batches(any_runtime: Runtime, batch_size: int) -> None:
    rt = any_runtime
    rt.settings = dataclasses.replace(rt.settings, batch_size=batch_size)  # 1: marks and events in separate batches
    before = council_member(rt.app, "WGN", verified=False)
    with clock.set_to(datetime(2014, 9, 1, 9, tzinfo=UTC)) as then, history.writing_history(history.DEMO):
        old = []
        for code in ("KTT", "LDS", "MAN"):
            old.append(council_member(rt.app, code, verified=False))
            then.advance(timedelta(days=1))
    after = council_member(rt.app, "BNH", verified=False)
    rt.catch_up()

    assert verification_mail(rt) == sorted([str(before.id), str(after.id)])
    assert all(p.created_on.year == 2014 for p in old)
    assert rt.db.query("SELECT * FROM notifier_history") == []  # every remembered skip was used
    marks = [
        rt.app.mapper.to_domain_event(n)
        for n in rt.app.recorder.select_notifications(start=1, limit=10_000)
        if n.topic.endswith("HistoryMark.Written")
    ]
    assert len(marks) == 3 and all(isinstance(m, HistoryMark.Written) for m in marks)
    assert {m.events[0][0] for m in marks} >= {str(p.id) for p in old}
    assert [m.timestamp for m in marks] == [datetime(2014, 9, d, 9, tzinfo=UTC) for d in (1, 2, 3)]
