"""Digests: what a person who chose a daily or weekly digest was not told at once (the
notifier kept it in ``digest_items``), gathered into one email per period, grouped by project.

A day is a day in London (Europe/London: midnight to midnight, so 23 hours on the last Sunday
of March and 25 on the last Sunday of October) and goes out once it has ended; a week is an ISO
week (Monday to Sunday, in London) and goes out from Monday 00:00 London time. The boundaries
are London midnights; every instant stored or compared stays in UTC. A digest carries the items
kept before its period ended, and only those. The outbox row (its ``dedupe`` key is
``digest:{person}:{period}``, unique) and the mark on its items (``digest_id``) are written in
one transaction, so a digest goes once per period: a second sweep, a second worker or a restart
after a crash finds the key taken or the items marked. Sending is the outbox's, as for every
message.

The clock is a parameter (``now``), so tests send "tomorrow's" digest without waiting."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from domain.errors import NotFound
from domain.local_time import LONDON, in_london
from domain.notifications import DAILY, WEEKLY, switched_off
from projections.base import timestamp
from workers.adapters import mail, unsubscribe
from workers.notify import emails

if TYPE_CHECKING:
    from domain.application import PipelineApplication
    from projections.db import ReadDatabase
    from workers.adapters.keys import KeyStore

log = logging.getLogger(__name__)

KIND = "digest"
OTHER = "Your account and interests"  # the heading of items about no project


# ------------------------------------------------------------------ periods
def period_start(frequency: str, moment: datetime) -> datetime:
    """The start, in UTC, of the period that holds ``moment``: the London midnight that began
    its London day, or (weekly) the Monday of its ISO week."""
    day = in_london(moment).date()
    if frequency == WEEKLY:
        day -= timedelta(days=day.weekday())
    return _midnight(day)


def period_after(frequency: str, moment: datetime) -> datetime:
    """The start, in UTC, of the period after the one that holds ``moment`` (when that one ends)."""
    start = in_london(period_start(frequency, moment)).date()
    return _midnight(start + timedelta(days=7 if frequency == WEEKLY else 1))


def _midnight(day: date) -> datetime:
    """The London midnight that begins ``day``, in UTC (never in a gap: the clocks change at 1am)."""
    return datetime.combine(day, time(0, 0), tzinfo=LONDON).astimezone(UTC)


def _ended_day(ends: datetime) -> date:
    """The London day before the period that starts at ``ends``."""
    return in_london(ends).date() - timedelta(days=1)


def last_ended(frequency: str, now: datetime) -> tuple[str, datetime]:
    """The name of the latest period that has ended by ``now`` ("2026-12-01" or "2026-W49", its
    London day or week), and when it ended (the start of the current one): items kept before
    then are due."""
    ends = period_start(frequency, now)
    last = _ended_day(ends)
    if frequency == WEEKLY:
        year, week, _ = last.isocalendar()
        return f"{year}-W{week:02d}", ends
    return last.isoformat(), ends


# ------------------------------------------------------------------ content
@dataclass(frozen=True)
class Group:
    project_id: str | None
    title: str
    lines: tuple[str, ...]


def grouped(items: Iterable[dict[str, Any]]) -> list[Group]:
    """Items by project, projects in the order of their first item, items in time order;
    items about no project last. The same line twice (two events saying one thing) once."""
    ordered = sorted(items, key=lambda i: (i["created_at"], i["dedupe"]))
    groups: dict[str | None, tuple[str, list[str]]] = {}
    for item in ordered:
        key = item.get("project_id")
        title, lines = groups.setdefault(key, (item.get("project_title") or ("a project" if key else OTHER), []))
        if item["body"] not in lines:
            lines.append(item["body"])
    keys = [k for k in groups if k is not None] + ([None] if None in groups else [])
    return [Group(k, groups[k][0], tuple(groups[k][1])) for k in keys]


def subject(frequency: str, groups: list[Group]) -> str:
    count = sum(len(g.lines) for g in groups)
    things = "1 thing" if count == 1 else f"{count} things"
    projects = sum(1 for g in groups if g.project_id)
    where = "" if not projects else " on 1 project" if projects == 1 else f" on {projects} projects"
    return f"Your {'weekly' if frequency == WEEKLY else 'daily'} Pipeline digest: {things} happened{where}"


def when(frequency: str, ends: datetime) -> str:
    """The period in words: "on Tuesday 1 December 2026", "in the week from Monday 30 November 2026"."""
    day = _ended_day(ends)
    if frequency == WEEKLY:
        monday = day - timedelta(days=6)
        return f"in the week from Monday {monday.day} {monday:%B %Y}"
    return f"on {day:%A} {day.day} {day:%B %Y}"


def body(frequency: str, ends: datetime, groups: list[Group], name: str | None, public_url: str) -> tuple[str, str]:
    return emails.render(
        "digest",
        name=name,
        period=when(frequency, ends),
        groups=[
            {
                "title": g.title,
                "lines": g.lines,
                "link": f"{public_url}/projects/{g.project_id}" if g.project_id else None,
            }
            for g in groups
        ],
        link=f"{public_url}/projects",
    )


# ------------------------------------------------------------------ sending
PENDING_PEOPLE = (
    "SELECT person_id, MIN(created_at) AS first FROM digest_items WHERE digest_id IS NULL"
    " GROUP BY person_id HAVING MIN(created_at) < :before"
)


class Digesting(Protocol):
    """What sending digests uses of the runtime."""

    @property
    def app(self) -> PipelineApplication: ...

    @property
    def db(self) -> ReadDatabase: ...

    @property
    def dispatcher(self) -> mail.SendRequests: ...

    @property
    def keys(self) -> KeyStore: ...

    @property
    def public_url(self) -> str: ...


def send_due(rt: Digesting, now: datetime | None = None) -> int:
    """Write the digest of every person whose period has ended with items kept; how many
    were written now. Each is then handed to the dispatcher to send."""
    now = now or rt.app.now()
    earliest_end = period_start(DAILY, now)  # no period has ended later than today's start in London
    written = 0
    for row in rt.db.query(PENDING_PEOPLE, {"before": timestamp(earliest_end)}):
        try:
            message_id = send_for(rt, UUID(row["person_id"]), now, first=row["first"])
        except Exception:  # one person's trouble (a key store fault) never holds the others up
            log.exception("digest for person %s not written; the next sweep tries again", row["person_id"])
            continue
        if message_id is not None:
            written += 1
            rt.dispatcher.request_email(message_id)
    if written:
        log.info("digests: %s written", written)
    return written


def send_for(rt: Digesting, person_id: UUID, now: datetime, first: str | None = None) -> str | None:
    """The person's digest for their last ended period, if they have items due and it was not
    written before; its outbox id, or None. ``first``: when their oldest pending item was kept,
    if known (a weekly reader's items of this week need no transaction to find nothing due)."""
    choices = rt.app.notification_preferences(person_id)
    frequency = choices["frequency"] if choices["frequency"] == WEEKLY else DAILY  # back to immediate: by day
    period, ends = last_ended(frequency, now)
    if first is not None and first >= timestamp(ends):
        return None
    recipient, gone = _recipient(rt, person_id)
    off = set(choices["off"])
    with rt.db.transaction() as tx:
        items = tx.query(
            "SELECT * FROM digest_items WHERE person_id = :person AND digest_id IS NULL AND created_at < :ends",
            {"person": str(person_id), "ends": timestamp(ends)},
        )
        dropped = [i for i in items if gone or KIND in off or switched_off(i["kind"], off)]
        if dropped:  # nobody to send to any more, or they no longer want these: forget them
            tx.execute_many(
                "DELETE FROM digest_items WHERE dedupe = :dedupe", [{"dedupe": i["dedupe"]} for i in dropped]
            )
        kept = [i for i in items if i not in dropped]
        if not kept or recipient is None:  # an address not verified (yet): the items wait
            return None
        dedupe = f"digest:{person_id}:{period}"
        message_id = mail.message_id_for(dedupe)
        sql, params = _message(rt, message_id, person_id, recipient, frequency, ends, kept, dedupe)
        if tx.execute(sql, params) != 1:
            return None  # this period's digest went already: these items wait for the next one
        tx.execute_many(
            "UPDATE digest_items SET digest_id = :digest WHERE dedupe = :dedupe AND digest_id IS NULL",
            [{"digest": message_id, "dedupe": i["dedupe"]} for i in kept],
        )
    return message_id


def _recipient(rt: Digesting, person_id: UUID) -> tuple[tuple[str | None, str] | None, bool]:
    """(name, address) of a person who can be written to, or None; and whether they are gone
    for good (erased, unknown). An address not verified yet (a new one, until its link is
    clicked) is not gone: their items wait for it."""
    try:
        person = rt.app.get_person(person_id)
    except NotFound:
        return None, True
    if person.erased:
        return None, True
    if not person.email_verified:
        return None, False
    email = rt.keys.open(person.id, person.email)
    return ((rt.keys.open(person.id, person.name), email) if email else None), False


def _message(
    rt: Digesting,
    message_id: str,
    person_id: UUID,
    recipient: tuple[str | None, str],
    frequency: str,
    ends: datetime,
    items: list[dict[str, Any]],
    dedupe: str,
) -> tuple[str, dict[str, Any]]:
    public_url = rt.public_url
    groups = grouped(items)
    title = subject(frequency, groups)
    text, html = body(frequency, ends, groups, recipient[0], public_url)
    unsubscribe_url = unsubscribe.link(rt.keys, public_url, person_id, KIND)
    text, html = emails.framed(
        text,
        html,
        subject=title,
        unsubscribe_url=unsubscribe_url,
        kind_label=KIND,
        preferences_url=emails.preferences_url(public_url),
    )
    events = [e for i in items for e in json.loads(i["events"] or "[]")]
    return mail.new_message(
        message_id,
        person_id,
        KIND,
        recipient[1],
        title,
        text,
        dedupe=dedupe,
        html=html,
        unsubscribe_url=unsubscribe_url,
        events=events,
    )
