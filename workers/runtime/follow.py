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
from projections.registry import all_projections
from workers.adapters.keys import KeyStore
from workers.adapters.mail import Outbox
from workers.notify import digests
from workers.notify.notifier import Notifier
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


log = logging.getLogger(__name__)

PROCESSES: tuple[Projection, ...] = (goals.GoalDeadlines(), engagement.Reminders(), Notifier())


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
    """The followers fed by events of these topics, and the views those read (the notifier
    waits for ``projects``), in ``all_followers`` order: views before processes."""
    fed = {name for topic in topics for name in _by_topic().get(topic, ())}
    fed |= {view for candidate in all_followers() if candidate.name in fed for view in candidate.reads}
    return [name for name in names() if name in fed]


def keep_current(rt: Following, wanted: Iterable[str] | None = None) -> dict[str, int]:
    """Catch the named followers (default: all) up to the head, then act on what they
    produced: schedule jobs for new goal deadlines, send new mail. A failing follower is
    recorded and skipped (see ``runner.keep_up``), never raised. Returns the log positions
    each one covered (0 for one that failed or was waiting out a failure)."""
    chosen = set(wanted) if wanted is not None else set(names())
    covered = {}
    for candidate in all_followers():
        if candidate.name in chosen:
            covered[candidate.name] = (
                runner.keep_up(
                    rt.app,
                    rt.db,
                    candidate,
                    batch_size=rt.settings.batch_size,
                    retry_max=rt.settings.projection_retry_max_seconds,
                    context=rt,
                )
                or 0
            )
    if covered.get(goals.GoalDeadlines.name):
        goals.schedule_new(rt)
    if covered.get(Notifier.name):
        for message_id in rt.outbox.unsent(untried=True):
            rt.dispatcher.request_email(message_id)
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
