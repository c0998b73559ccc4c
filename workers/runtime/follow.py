"""Everything that follows the log, and the one loop that keeps it current.

Followers are the read models (``projections.registry``) and the processes: the goal
decider and the notifier. Each has its own tracking position. After a save, the
application tells the composition root which events it wrote; ``affected`` names the
followers those events' topics feed, and the dispatcher asks for exactly those to catch
up (inline when embedded, one RQ job otherwise). ``keep_current`` is that catch-up, used
by the inline dispatcher, the RQ job and the sweeps alike; ``sweep`` adds what only time
brings: deadlines that passed, mail that failed before, idle projects, unanswered requests,
near deadlines (``workers.processes.engagement``) and digests whose period ended (``workers.notify.digests``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Protocol

from projections import runner
from projections.base import Projection
from projections.context import FollowerContext
from projections.leases import Leases
from projections.registry import all_projections
from workers.adapters.keys import KeyStore
from workers.adapters.mail import Outbox
from workers.notify import digests, notifier
from workers.processes import engagement, goals
from workers.runtime.dispatch import Dispatcher
from workers.runtime.settings import Settings


class Following(FollowerContext, goals.Deciding, engagement.Sweeping, digests.Digesting, Protocol):
    """What following the log uses of the runtime: the followers' context, what the processes
    and digests read, the outbox, and the whole of the settings and dispatcher. The
    bootstrap, which imports this module to wire saves to followers, builds the one object
    that has all of it."""

    @property
    def outbox(self) -> Outbox: ...

    @property
    def dispatcher(self) -> Dispatcher: ...

    @property
    def keys(self) -> KeyStore: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def leases(self) -> Leases: ...


log = logging.getLogger(__name__)

PROCESSES: tuple[Projection, ...] = (goals.GoalDeadlines(), engagement.Reminders(), *notifier.NOTIFIERS)


def all_followers() -> list[Projection]:
    """Views first: a process may read them (the notifier reads followers of a project)."""
    return [*all_projections(), *PROCESSES]


def follower(name: str) -> Projection:
    for candidate in all_followers():
        if candidate.name == name:
            return candidate
    raise KeyError(f"No projection or process called {name!r}; known: {', '.join(names())}")


def names() -> list[str]:
    return [f.name for f in all_followers()]


@cache
def _by_topic() -> dict[str, tuple[str, ...]]:
    feeds: dict[str, list[str]] = {}
    for candidate in all_followers():
        for topic in candidate.topics():
            feeds.setdefault(topic, []).append(candidate.name)
    return {topic: tuple(fed) for topic, fed in feeds.items()}


def affected(topics: Iterable[str]) -> list[str]:
    """The followers fed by events of these topics, in ``all_followers`` order (views before
    processes). The views a process reads are not asked for as well: a write that changes
    one feeds it, and a process the view held back is asked for again once the view has
    moved (``waiting_on``), so nobody runs a job that finds nothing to do."""
    fed = {name for topic in topics for name in _by_topic().get(topic, ())}
    return [name for name in names() if name in fed]


def keep_current(rt: Following, wanted: Iterable[str] | None = None) -> dict[str, int]:
    """Catch the named followers (default: all) up to the head, then act on what they
    produced: schedule jobs for new goal deadlines, send new mail. A follower another
    worker holds (``projections.leases``) is left to it; a failing follower is recorded and
    skipped (see ``runner.keep_up``), never raised. Returns the log positions each one
    covered (0 for one held elsewhere, failing or waiting out a failure)."""
    chosen = set(wanted) if wanted is not None else set(names())
    covered = {}
    for candidate in all_followers():
        if candidate.name in chosen:
            covered[candidate.name] = catch_up_held(rt, candidate)
    if covered.get(goals.GoalDeadlines.name):
        goals.schedule_new(rt)
    if any(covered.get(name) for name in notifier.NAMES):
        for message_id in rt.outbox.unsent(untried=True):
            rt.dispatcher.request_email(message_id)
    return covered


def waiting_on(rt: Following, moved: Iterable[str], besides: Iterable[str] = ()) -> list[str]:
    """The followers (other than ``besides``) that read a view in ``moved`` and now have
    events to apply: a process held back at the point a view had reached (``runner.horizon``)
    goes on once the view moves, and its own job may have ended before that."""
    moved, besides = set(moved), set(besides)
    return [
        candidate.name
        for candidate in all_followers()
        if candidate.name not in besides and moved & set(candidate.reads) and runner.behind(rt.app, rt.db, candidate)
    ]


LEASE_ROUNDS = 20  # then the next job or sweep carries on: no job runs for ever under load


def catch_up_held(rt: Following, candidate: Projection) -> int:
    """Catch one follower up under its lease. Found held: return at once, since the holder
    looks again after letting go. Let go: look again, because a write whose job found the
    lease held is this worker's to apply. Returns the positions covered."""
    covered = 0
    for _round in range(LEASE_ROUNDS):
        with rt.leases.hold(candidate.name) as held:
            if not held:
                return covered
            moved = runner.keep_up(
                rt.app,
                rt.db,
                candidate,
                batch_size=rt.settings.batch_size,
                retry_max=rt.settings.projection_retry_max_seconds,
                context=rt,
            )
        if moved is None:  # failing: recorded, and retried after its backoff
            return covered
        covered += moved
        if not runner.behind(rt.app, rt.db, candidate):
            return covered
    return covered


def sweep(rt: Following) -> None:
    """What the worker's sweep and the embedded ticker do every ``PIPELINE_SWEEP_SECONDS``:
    decide goals past their deadline, catch every lagging follower up, then what time brings
    (``workers.processes.engagement``: nudges, reminders, deadline warnings) and the digests whose period
    has ended (``workers.notify.digests``), and last send every unsent message no live sender holds,
    those just written included, directly, without a queue: a job lost with its worker or a
    Redis that hangs never holds mail up for longer than a claim and a sweep. Each step runs
    whatever happened to the one before it (a busy project, a mail server down)."""
    for step in (_decide_due_goals, _catch_up_lagging, _engage, _send_digests, _send_unsent_mail):
        try:
            step(rt)
        except Exception:
            log.exception("sweep: %s failed; the next sweep tries again", step.__name__.strip("_").replace("_", " "))


def _decide_due_goals(rt: Following) -> None:
    decided = goals.decide_due(rt)
    if decided:
        log.info("sweep: decided %s goal(s) past their deadline", decided)


def _send_unsent_mail(rt: Following) -> None:
    sent = rt.outbox.send_unsent()
    if sent:
        log.info("sweep: sent %s message(s) no job had sent", sent)


def _engage(rt: Following) -> None:
    engagement.sweep(rt)  # each save asks its followers to catch up, as any command's does
    schedule_engagement(rt)


def _send_digests(rt: Following) -> None:
    digests.send_due(rt)


def engage(rt: Following) -> dict[str, int]:
    """The scheduled job's work: both of the steps above; how much each recorded."""
    done = engagement.sweep(rt)
    done["digests"] = digests.send_due(rt)
    schedule_engagement(rt)
    return done


def schedule_engagement(rt: Following, now: datetime | None = None) -> bool:
    """Ask RQ's scheduler for a run a second after the next midnight in London (the end of the
    London day that holds ``now``), when daily digests fall due (weekly ones on Mondays)."""
    ends = digests.period_after("daily", now or datetime.now(UTC))
    return rt.dispatcher.schedule_engagement(ends + timedelta(seconds=1))


def _catch_up_lagging(rt: Following) -> None:
    lagging = [s.name for s in runner.status(rt.app, rt.db, all_followers()) if s.lag]
    if lagging:
        keep_current(rt, lagging)
