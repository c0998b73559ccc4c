"""The engagement report: every figure, from the facts of the log (``report``), and the
reading of the log that feeds it (``EngagementReports``: one pass, then only the events
written since, with the answers cached by log head and parameters)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from projections.eventlog import EventLog
from workers.report import figures, nudges, outcomes
from workers.report.facts import Fact, to_fact, topics
from workers.report.params import TICK, Params
from workers.report.world import fold, undated_sign_up

PAGE = 1000
CACHED_ANSWERS = 32
Advance = Callable[[int], None]


def report(facts: Sequence[Fact], params: Params, head: int, now: datetime | None = None) -> dict[str, Any]:
    """The report over ``facts`` (any order); pure: the same facts and params give the same figures."""
    generated = now or datetime.now(UTC)
    last = last_activity(facts)
    end = params.until or (last + TICK if last else generated)
    window = figures.Window(params.start, end, params.forgotten_days)
    world = fold(facts, end)
    notes = []
    undated = sum(1 for p in world.people.values() if p.undated and window.inside(p.signed_up_at))
    if undated:
        notes.append(
            f"{undated} people were imported with a migration stamp or no sign-up time: their sign-up dates are"
            " unknown. They are counted in people.signed_up but left out of people.by_week and cohorts."
        )
    later = sum(1 for f in facts if f.kind == "Person.SignedUp" and f.at >= end)
    if params.until is None and _stamped(facts) and later:
        notes.append(
            f"The period ends at the last activity on projects, not at a migration stamp or the last sign-up:"
            f" {later} sign-up(s) after it are outside the period."
        )
    return {
        "generated_at": generated.isoformat(),
        "log_position": head,
        "parameters": params.as_dict(),
        "period": {"from": figures.when(params.start), "to": figures.when(end - TICK)},
        "people": figures.people(world, window),
        "organisations": figures.organisations(world, window),
        "projects": figures.projects(world, window),
        "interest": figures.interest(world, window),
        "funnel": outcomes.funnel(world, window),
        "timing": outcomes.timing(world, window),
        "network": outcomes.network(world, window),
        "cohorts": outcomes.cohorts(world, window),
        "nudges": nudges.measure(world, params.start, end),
        "notes": notes,
    }


def _stamped(facts: Sequence[Fact]) -> bool:
    return any(f.kind == "Person.SignedUp" and undated_sign_up(f.data.get("imported")) for f in facts)


def last_activity(facts: Sequence[Fact]) -> datetime | None:
    """When the period ends if ``to`` is not given: the last fact (organisations aside). In a
    history with migration stamps (imported accounts' sign-up times unknown), the last real
    activity instead: a proposal, version, like, join, pledge or update; not a sign-up, so
    neither the stamp nor a late sign-up stretches the period. With no such activity, the last fact."""
    dated = [f for f in facts if not f.kind.startswith("Organisation.")]
    if _stamped(facts):
        acts = [f.at for f in dated if not f.kind.startswith("Person.")]
        if acts:
            return max(acts)
    return max((f.at for f in dated), default=None)


class EngagementReports:
    """Reads the log once, keeps its facts, and reads only new events on the next call.
    Thread-safe; the API keeps one per Flask app, so a server reads each event once."""

    def __init__(self, log: EventLog) -> None:
        self.log = log
        self.position = 0
        self.facts: list[Fact] = []
        self.answers: OrderedDict[tuple[int, Params], dict[str, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def catch_up(self, progress: Advance | None = None) -> int:
        """Read the events after the last one read, up to the head; returns the head."""
        head = int(self.log.recorder.max_notification_id() or 0)
        wanted = topics()
        while self.position < head:
            page = self.log.recorder.select_notifications(start=self.position + 1, limit=PAGE, stop=head, topics=wanted)
            for notification in page:
                fact = to_fact(self.log.mapper.to_domain_event(notification), notification.id)
                if fact is not None:
                    self.facts.append(fact)
            done = page[-1].id if len(page) == PAGE else head
            if progress is not None:
                progress(done - self.position)
            self.position = done
        return head

    def answer(self, params: Params, progress: Advance | None = None) -> dict[str, Any]:
        """The report at the head of the log now; the same head and params answer from the cache."""
        with self.lock:
            head = self.catch_up(progress)
            key = (head, params)
            if key not in self.answers:
                self.answers[key] = report(self.facts, params, head)
                while len(self.answers) > CACHED_ANSWERS:
                    self.answers.popitem(last=False)
            self.answers.move_to_end(key)
            return self.answers[key]
