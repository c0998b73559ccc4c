"""Group commit with a fake store: concurrent commands share one save, and each still gets
its own answer; one command's conflict never fails the others."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain import history
from domain.group_commit import GroupCommit
from tests.fakes import memory_application


class FakeAggregate:
    def __init__(self, *, conflicting: bool = False) -> None:
        self.id, self.conflicting = uuid4(), conflicting
        self._pending = [SimpleNamespace(originator_id=self.id, originator_version=2, conflicting=conflicting)]

    def collect_events(self) -> list[Any]:
        pending, self._pending = self._pending, []
        return pending


class FakeStore:
    """Saves all-or-nothing; the first save waits until ``hold`` is released."""

    def __init__(self) -> None:
        self.calls: list[int] = []  # events per save, failed ones included
        self.hold = threading.Event()
        self.position = 0

    def save(self, *events: Any) -> list[Any]:
        first = not self.calls
        self.calls.append(len(events))
        if first:
            assert self.hold.wait(10)
        if any(e.conflicting for e in events):
            raise IntegrityError("version conflict")
        recordings = []
        for event in events:
            self.position += 1
            recordings.append(SimpleNamespace(domain_event=event, notification=SimpleNamespace(id=self.position)))
        return recordings


def run_together(commit: GroupCommit, store: FakeStore, aggregates: list[FakeAggregate]) -> dict[Any, Any]:
    """The first command saves alone and is held there until the rest have queued up."""
    answers: dict[Any, Any] = {}

    def command(aggregate: FakeAggregate) -> None:
        try:
            answers[aggregate.id] = commit.save(aggregate)  # type: ignore[arg-type]
        except IntegrityError as error:
            answers[aggregate.id] = error

    threads = [threading.Thread(target=command, args=(a,)) for a in aggregates]
    threads[0].start()
    while not store.calls:
        time.sleep(0.001)
    for thread in threads[1:]:
        thread.start()
    while len(commit._queue) < len(aggregates) - 1:
        time.sleep(0.001)
    store.hold.set()
    for thread in threads:
        thread.join(10)
    return answers


def test_commands_that_arrive_during_a_save_are_saved_together_each_with_its_own_recordings() -> None:
    store = FakeStore()
    commit = GroupCommit(store.save)
    aggregates = [FakeAggregate() for _ in range(4)]
    answers = run_together(commit, store, aggregates)
    assert store.calls == [1, 3]  # the first alone, then the three that waited in one save
    for aggregate in aggregates:
        (recording,) = answers[aggregate.id]
        assert recording.domain_event.originator_id == aggregate.id


def test_a_conflict_fails_only_its_own_command() -> None:
    store = FakeStore()
    commit = GroupCommit(store.save)
    aggregates = [FakeAggregate(), FakeAggregate(), FakeAggregate(conflicting=True), FakeAggregate()]
    answers = run_together(commit, store, aggregates)
    assert store.calls == [1, 3, 1, 1, 1]  # the joint save failed: each saved alone
    assert isinstance(answers[aggregates[2].id], IntegrityError)
    saved = [answers[a.id][0].domain_event.originator_id for a in aggregates if not a.conflicting]
    assert saved == [a.id for a in aggregates if not a.conflicting]


def test_a_command_alone_is_saved_at_once_and_its_error_is_its_own() -> None:
    store = FakeStore()
    store.hold.set()
    commit = GroupCommit(store.save)
    lone = FakeAggregate(conflicting=True)
    try:
        commit.save(lone)  # type: ignore[arg-type]
    except IntegrityError:
        pass
    else:
        raise AssertionError("the conflict was not raised")
    assert store.calls == [1] and commit.save(FakeAggregate())[0].notification.id == 1  # type: ignore[arg-type]


def test_a_save_written_as_history_is_never_grouped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its mark is per save and per thread: another thread must not save it for it."""
    app = memory_application()
    grouped: list[Any] = []
    monkeypatch.setattr(app._group, "save", lambda *aggregates: grouped.append(aggregates) or [])
    app.save_command(Note(text="now"))
    with history.writing_history(history.DEMO):
        recordings = app.save_command(Note(text="then"))
    assert len(grouped) == 1 and len(recordings) == 2  # the note and its mark, in one save of its own


class Note(Aggregate):
    def __init__(self, text: str) -> None:
        self.text = text
