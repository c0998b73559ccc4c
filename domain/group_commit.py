"""Group commit: the saves of commands running at the same time in this process, in one
transaction.

Every ``save()`` locks the events table for its transaction, so writers queue behind one
another however many threads there are. Here the first command to arrive saves; the ones
that arrive meanwhile wait, and the next of them saves everything that queued up in one
``save()`` (one lock, one commit, one NOTIFY). Each command still gets its own answer:
its own recordings, or its own error. If the joint save fails (one command lost a version
race, say), each command's events are saved again on their own, so one conflict never
fails the others. A command's events are taken from its aggregates before the first try,
so the second try saves exactly them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Recording

log = logging.getLogger(__name__)
Save = Callable[..., list[Recording[UUID]]]
MAX_GROUP = 64  # events of at most this many commands in one transaction


@dataclass(eq=False)
class _Waiting:
    events: list[Any]
    unchanged: dict[UUID, int]  # what the command decided on, unchanged (see ApplicationBase.save)
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to save the next group, not with an answer
    recordings: list[Recording[UUID]] | None = None
    error: BaseException | None = None

    def answer(self) -> list[Recording[UUID]]:
        if self.error is not None:
            raise self.error
        return self.recordings or []


class GroupCommit:
    def __init__(self, save: Save) -> None:
        self._save = save
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._saving = False

    def save(self, *aggregates: Aggregate, unchanged: dict[UUID, int] | None = None) -> list[Recording[UUID]]:
        mine = _Waiting([event for aggregate in aggregates for event in aggregate.collect_events()], unchanged or {})
        with self._lock:
            self._queue.append(mine)
            leading = not self._saving
            self._saving = True
        while not leading:
            mine.done.wait()
            if not mine.lead:
                return mine.answer()
            mine.done.clear()
            leading = True
        self._lead()
        return mine.answer()

    def _lead(self) -> None:
        """Save what queued up (this command's events among them), then hand over."""
        with self._lock:
            group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
        try:
            self._commit(group)
        finally:
            with self._lock:
                if self._queue:
                    self._queue[0].lead = True
                    self._queue[0].done.set()
                else:
                    self._saving = False
            for waiting in group:
                waiting.done.set()

    def _commit(self, group: Sequence[_Waiting]) -> None:
        if len(group) > 1:
            unchanged = {k: v for waiting in group for k, v in waiting.unchanged.items()}
            try:  # (two commands that read one aggregate at different versions fail together, then alone)
                recordings = self._save(*[event for waiting in group for event in waiting.events], **_held(unchanged))
            except Exception:  # the whole transaction rolled back: each command is saved alone below
                log.debug("a group of %s saves failed together; saving each alone", len(group), exc_info=True)
            else:
                self._share(group, recordings)
                return
        for waiting in group:
            try:
                waiting.recordings = self._save(*waiting.events, **_held(waiting.unchanged))
            except Exception as error:  # its own answer: raised in its own thread
                waiting.error = error

    @staticmethod
    def _share(group: Sequence[_Waiting], recordings: list[Recording[UUID]]) -> None:
        by_event = {(r.domain_event.originator_id, r.domain_event.originator_version): r for r in recordings}
        for waiting in group:
            waiting.recordings = [by_event[(e.originator_id, e.originator_version)] for e in waiting.events]


def _held(unchanged: dict[UUID, int]) -> dict[str, Any]:
    """The save's ``unchanged`` argument, given only when there is something to hold it to."""
    return {"unchanged": unchanged} if unchanged else {}
