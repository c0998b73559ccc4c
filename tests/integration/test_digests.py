"""Someone who chose a daily or weekly digest gets one email per period, grouped by project,
through a real SMTP server: never two for one period, not across a second sweep, nor a crash
between writing it and sending it, nor one in the middle of writing it. Both modes."""

from __future__ import annotations

import dataclasses
import email
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest

from domain import clock
from tests.factories import council_member
from tests.smtp import Inbox
from workers.notify import digests
from workers.notify.notifier import DIGEST_ITEM
from workers.runtime import follow
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration

DAY = timedelta(days=1)
TUESDAY = datetime(2031, 12, 2, 10, tzinfo=UTC)  # a Tuesday, far enough ahead for any wall clock


@pytest.fixture(params=["sqlite", "pg"])
def rt(request: pytest.FixtureRequest, smtp_server: tuple[Inbox, int]) -> Iterator[Runtime]:
    settings: Settings = request.getfixturevalue(f"{request.param}_settings")
    runtime = build_runtime(dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{smtp_server[1]}"))
    yield runtime
    runtime.close()


@pytest.fixture
def inbox(smtp_server: tuple[Inbox, int]) -> Inbox:
    return smtp_server[0]


def received(inbox: Inbox) -> list[EmailMessage]:
    """The digests the SMTP server received (sign-ups' verification emails aside)."""
    messages = [email.message_from_bytes(m.content, policy=default_policy) for m in inbox.messages]
    return [m for m in messages if "digest" in str(m["Subject"])]


def sweep(rt: Runtime, at: datetime) -> int:
    """What the worker's sweep does about digests and mail, at ``at``; then the jobs' sending."""
    written = digests.send_due(rt, at)
    for message_id in rt.outbox.unsent():
        rt.outbox.send(message_id)  # production: the worker's job; embedded: done already
    return written


@dataclasses.dataclass
class Story:
    reader: Any
    potholes: Any
    bins: Any


def story(rt: Runtime, moment: clock.Clock, frequency: str = "daily") -> Story:
    """Two projects; a reader following both who chose a digest; three pieces of news, a
    minute apart."""
    ann, bob, reader = (
        council_member(rt.app, code, name=f"{who}") for code, who in (("WGN", "Ann"), ("KTT", "Bob"), ("LDS", "Cat"))
    )
    potholes = rt.app.propose_project(ann.id, "alpha", {"title": "Potholes", "summary": "Report them"}).aggregate.id
    bins = rt.app.propose_project(bob.id, "beta", {"title": "Bins", "summary": "Collections"}).aggregate.id
    rt.catch_up()
    for project in (potholes, bins):
        rt.app.follow(project, reader.id, following=True)
    rt.app.choose_notifications(reader.id, frequency=frequency)
    rt.catch_up()
    for news in (
        lambda: rt.app.post_status_update(potholes, "Alpha starts Monday", ann.id),
        lambda: rt.app.post_status_update(bins, "New rounds from January", bob.id),
        lambda: rt.app.change_phase(potholes, "beta", ann.id),
    ):
        moment.advance(timedelta(minutes=1))
        news()
    rt.catch_up()
    return Story(reader, potholes, bins)


def pending(rt: Runtime) -> list[dict[str, Any]]:
    return rt.db.query("SELECT * FROM digest_items WHERE digest_id IS NULL ORDER BY created_at")


def test_a_daily_digest_groups_the_days_news_by_project_and_goes_once(rt: Runtime, inbox: Inbox) -> None:
    with clock.set_to(TUESDAY) as moment:
        s = story(rt, moment)
    assert len(pending(rt)) == 3
    assert rt.db.query("SELECT * FROM outbox WHERE kind = 'project-news'") == []  # nothing at once

    assert sweep(rt, TUESDAY.replace(hour=23, minute=59)) == 0  # the day has not ended
    assert sweep(rt, TUESDAY + DAY - timedelta(hours=9)) == 1
    assert sweep(rt, TUESDAY + DAY) == 0 and sweep(rt, TUESDAY + DAY + timedelta(hours=5)) == 0

    [message] = received(inbox)
    assert message["Subject"] == "Your daily Pipeline digest: 3 things happened on 2 projects"
    text = message.get_body(("plain",)).get_content()
    assert "Hello Cat," in text and "on Tuesday 2 December 2031." in text
    lines = [line.rstrip() for line in text.splitlines()]
    potholes, bins = lines.index("Potholes"), lines.index("Bins")
    assert potholes < bins  # by project, in the order of their first news; each item a line under it
    items = rt.db.query("SELECT project_id, body FROM digest_items ORDER BY created_at")
    said = {str(s.potholes): [f"- {i['body']}" for i in items if i["project_id"] == str(s.potholes)]}
    said[str(s.bins)] = [f"- {i['body']}" for i in items if i["project_id"] == str(s.bins)]
    assert len(said[str(s.potholes)]) == 2 and len(said[str(s.bins)]) == 1
    assert [line for line in lines[potholes:bins] if line.startswith("- ")] == said[str(s.potholes)]
    assert [line for line in lines[bins:] if line.startswith("- ")] == said[str(s.bins)]
    assert message["List-Unsubscribe"].startswith("<http") and ".digest." in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "See what is new" in message.get_body(("html",)).get_content()
    row = rt.db.query("SELECT * FROM outbox WHERE kind = 'digest'")[0]
    assert row["person_id"] == str(s.reader.id) and row["dedupe"] == f"digest:{s.reader.id}:2031-12-02"
    assert len(json.loads(row["events"])) == 3 and pending(rt) == []


@pytest.mark.parametrize(
    ("news_at", "not_yet", "due", "said"),
    [
        # 00:20 BST on Wednesday 2 July: after the UTC day ended, but London's day ends at 23:00 UTC.
        ("2031-07-01T23:20:00+00:00", "2031-07-02T00:30:00+00:00", "2031-07-02T23:00:30+00:00", "Wednesday 2 July"),
        # Sunday 26 October, when the clocks go back: a 25-hour day, from 23:00 UTC to midnight UTC.
        ("2031-10-25T23:20:00+00:00", "2031-10-26T23:30:00+00:00", "2031-10-27T00:00:30+00:00", "Sunday 26 October"),
        # Sunday 30 March, when the clocks go forward: a 23-hour day, over at 23:00 UTC.
        ("2031-03-30T00:20:00+00:00", "2031-03-30T22:59:00+00:00", "2031-03-30T23:00:30+00:00", "Sunday 30 March"),
    ],
)
def test_a_daily_digest_covers_a_london_day_also_when_the_clocks_change(
    rt: Runtime, inbox: Inbox, news_at: str, not_yet: str, due: str, said: str
) -> None:
    with clock.set_to(datetime.fromisoformat(news_at)) as moment:
        story(rt, moment)
    assert sweep(rt, datetime.fromisoformat(not_yet)) == 0  # London's day has not ended yet
    assert sweep(rt, datetime.fromisoformat(due)) == 1
    [message] = received(inbox)
    assert f"on {said} 2031." in message.get_body(("plain",)).get_content()
    assert pending(rt) == []


def test_news_after_the_day_ended_waits_for_the_next_digest(rt: Runtime, inbox: Inbox) -> None:
    with clock.set_to(TUESDAY) as moment:
        s = story(rt, moment)
        moment.move_to(TUESDAY + DAY)
        owner = rt.app.get_project(s.bins).proposer_id
        rt.app.post_status_update(s.bins, "Wednesday's news", owner)
        rt.catch_up()
    assert sweep(rt, TUESDAY + DAY + timedelta(hours=1)) == 1
    assert received(inbox)[0]["Subject"].endswith("3 things happened on 2 projects")  # Tuesday's three
    assert sweep(rt, TUESDAY + 2 * DAY) == 1
    second = received(inbox)[1]
    assert second["Subject"].endswith("1 thing happened on 1 project")
    assert "on Wednesday 3 December 2031" in second.get_body(("plain",)).get_content()


def test_a_weekly_digest_goes_on_monday_for_the_week_before(rt: Runtime, inbox: Inbox) -> None:
    with clock.set_to(TUESDAY) as moment:
        story(rt, moment, "weekly")
    sunday_night = datetime(2031, 12, 7, 23, 59, tzinfo=UTC)
    assert sweep(rt, sunday_night) == 0
    assert sweep(rt, sunday_night + timedelta(minutes=2)) == 1
    assert sweep(rt, sunday_night + 3 * DAY) == 0
    [message] = received(inbox)
    assert message["Subject"].startswith("Your weekly Pipeline digest: 3 things")
    assert "in the week from Monday 1 December 2031" in message.get_body(("plain",)).get_content()


def test_a_crash_after_writing_the_digest_sends_it_once(rt: Runtime, inbox: Inbox) -> None:
    with clock.set_to(TUESDAY) as moment:
        s = story(rt, moment)
    wednesday = TUESDAY + DAY
    digests.send_for(rt, s.reader.id, wednesday)  # written; the process dies before asking to send it
    assert len(received(inbox)) == 0
    restarted = build_runtime(rt.settings)
    try:
        for _sweep in range(2):
            follow.sweep(restarted)  # unsent mail is retried; no second digest is written
            with clock.set_to(wednesday):
                assert digests.send_due(restarted, wednesday) == 0
            for message_id in restarted.outbox.unsent():
                restarted.outbox.send(message_id)
    finally:
        restarted.close()
    assert len(received(inbox)) == 1
    assert len(rt.db.query("SELECT * FROM outbox WHERE kind = 'digest'")) == 1


class Crash(Exception):
    pass


def test_a_crash_while_writing_the_digest_leaves_nothing_half_done(
    rt: Runtime, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with clock.set_to(TUESDAY) as moment:
        story(rt, moment)
    real = rt.db.transaction

    @contextmanager
    def dying() -> Iterator[Any]:
        with real() as tx:
            original = tx.execute_many

            def mark_items(sql: str, params: Any) -> None:
                if sql.startswith("UPDATE digest_items"):
                    raise Crash("killed between the outbox row and the mark on the items")
                original(sql, params)

            tx.execute_many = mark_items
            yield tx

    monkeypatch.setattr(rt.db, "transaction", dying)
    assert digests.send_due(rt, TUESDAY + DAY) == 0  # logged, left for the next sweep
    monkeypatch.setattr(rt.db, "transaction", real)
    assert rt.db.query("SELECT * FROM outbox WHERE kind = 'digest'") == [] and len(pending(rt)) == 3

    assert sweep(rt, TUESDAY + DAY) == 1 and sweep(rt, TUESDAY + DAY) == 0
    assert len(received(inbox)) == 1 and pending(rt) == []


def test_news_of_a_kind_switched_off_since_is_left_out_and_digest_off_drops_it_all(rt: Runtime, inbox: Inbox) -> None:
    with clock.set_to(TUESDAY) as moment:
        s = story(rt, moment)
        rt.app.choose_notifications(s.reader.id, off=["project-news"])
    assert sweep(rt, TUESDAY + DAY) == 0
    assert pending(rt) == [] and received(inbox) == []

    with clock.set_to(TUESDAY + DAY) as moment:
        rt.app.choose_notifications(s.reader.id, off=[])
        owner = rt.app.get_project(s.bins).proposer_id
        rt.app.post_status_update(s.bins, "More news", owner)
        rt.catch_up()
        assert len(pending(rt)) == 1
        moment.move_to(TUESDAY + DAY + timedelta(hours=1))
        rt.app.unsubscribe(s.reader.id, "digest")
    assert sweep(rt, TUESDAY + 2 * DAY) == 0
    assert pending(rt) == [] and received(inbox) == []


def test_news_kept_late_for_a_period_already_sent_goes_in_the_next_digest(rt: Runtime, inbox: Inbox) -> None:
    with clock.set_to(TUESDAY) as moment:
        s = story(rt, moment)
    assert sweep(rt, TUESDAY + DAY) == 1
    late = {  # the notifier was behind: Tuesday's news kept after Tuesday's digest went
        "dedupe": "late-item",
        "person": str(s.reader.id),
        "kind": "project-news",
        "project": str(s.bins),
        "title": "Bins",
        "subject": "Bins: late",
        "body": "Kept late",
        "events": "[]",
        "at": "2031-12-02T23:59:00.000000Z",
    }
    with rt.db.transaction() as tx:
        tx.execute(DIGEST_ITEM, late)
    assert sweep(rt, TUESDAY + DAY + timedelta(hours=2)) == 0  # Tuesday's digest went: never a second
    assert [i["dedupe"] for i in pending(rt)] == ["late-item"]
    assert sweep(rt, TUESDAY + 2 * DAY) == 1
    assert len(received(inbox)) == 2 and "Kept late" in received(inbox)[1].get_body(("plain",)).get_content()
    assert pending(rt) == []
