"""The wait between automatic tries of a failing projection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from projections import failures
from projections.db import ReadDatabase, open_database
from projections.failures import backoff, describe
from tests.fakes import Clock


def test_each_later_try_waits_longer_up_to_the_bound() -> None:
    waits = [backoff(attempt, most=60) for attempt in range(1, 12)]
    assert waits[:4] == [1, 2, 4, 8]
    assert waits == sorted(waits) and max(waits) == 60
    assert backoff(10_000, most=60) == 60


def test_a_recorded_error_never_holds_nul_and_is_bounded() -> None:
    text = describe(ValueError("bad \x00 value " + "x" * 5000))
    assert "\x00" not in text and text.startswith("ValueError: bad \\0 value")
    assert len(text) <= 1000


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(failures, "clock", clock)
    return clock


@pytest.fixture
def db() -> Iterator[ReadDatabase]:
    db = open_database("sqlite:///:memory:")
    with db.transaction() as tx:
        tx.execute(failures.DDL)
    yield db
    db.close()


def test_a_failure_waits_out_its_backoff_and_each_failure_in_a_row_waits_longer(clock: Clock, db: ReadDatabase) -> None:
    failures.record(db, "projects", 7, ValueError("no"), most=60)
    first = failures.of(db, "projects")
    assert first is not None and (first.attempts, first.position) == (1, 7)
    assert failures.waiting(first)
    clock.advance(0.9)
    assert failures.waiting(failures.of(db, "projects"))
    clock.advance(0.2)
    assert not failures.waiting(failures.of(db, "projects"))
    failures.record(db, "projects", 7, ValueError("still no"), most=60)
    second = failures.of(db, "projects")
    assert second is not None and (second.attempts, second.since) == (2, first.since)
    assert second.error == "ValueError: still no"
    clock.advance(1.9)
    assert failures.waiting(second)
    clock.advance(0.2)
    assert not failures.waiting(second)


def test_a_cleared_failure_is_gone(clock: Clock, db: ReadDatabase) -> None:
    failures.record(db, "projects", 7, ValueError("no"), most=60)
    with db.transaction() as tx:
        statement = failures.cleared("projects")
        tx.execute(statement.sql, statement.params)
    assert failures.of(db, "projects") is None and not failures.waiting(None)
