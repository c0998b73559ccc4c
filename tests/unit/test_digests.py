"""Digest periods (London days, ISO weeks from Monday in London, 23 or 25 hours long when
the clocks change) and how items are grouped by project."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, cast

import pytest

from domain.local_time import LONDON
from workers.notify.digests import (
    OTHER,
    Group,
    body,
    grouped,
    last_ended,
    period_after,
    period_start,
    subject,
    when,
)
from workers.runtime import follow


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("now", "period", "ends"),
    [
        ("2026-12-02T08:00:00+00:00", "2026-12-01", "2026-12-02T00:00:00+00:00"),
        ("2026-12-02T00:00:00+00:00", "2026-12-01", "2026-12-02T00:00:00+00:00"),  # the day has just ended
        ("2026-12-01T23:59:59+00:00", "2026-11-30", "2026-12-01T00:00:00+00:00"),
        ("2027-01-01T00:30:00+00:00", "2026-12-31", "2027-01-01T00:00:00+00:00"),  # across a year
        ("2026-12-02T00:30:00+01:00", "2026-11-30", "2026-12-01T00:00:00+00:00"),  # 23:30 UTC on the 1st
        ("2027-07-01T23:30:00+00:00", "2027-07-01", "2027-07-01T23:00:00+00:00"),  # 00:30 BST on the 2nd
        ("2027-07-01T22:59:59+00:00", "2027-06-30", "2027-06-30T23:00:00+00:00"),  # 23:59:59 BST on the 1st
    ],
)
def test_a_daily_digest_is_for_the_last_london_day_that_has_ended(now: str, period: str, ends: str) -> None:
    assert last_ended("daily", at(now)) == (period, at(ends))


@pytest.mark.parametrize(
    ("now", "period", "ends"),
    [
        ("2026-12-07T00:00:00+00:00", "2026-W49", "2026-12-07T00:00:00+00:00"),  # Monday 00:00: week 49 ended
        ("2026-12-06T23:59:59+00:00", "2026-W48", "2026-11-30T00:00:00+00:00"),  # Sunday: still week 49
        ("2026-12-09T12:00:00+00:00", "2026-W49", "2026-12-07T00:00:00+00:00"),
        ("2027-01-04T09:00:00+00:00", "2026-W53", "2027-01-04T00:00:00+00:00"),  # ISO year 2026 has 53 weeks
        ("2026-01-05T09:00:00+00:00", "2026-W01", "2026-01-05T00:00:00+00:00"),  # week 1 began in 2025
        ("2027-07-04T23:00:00+00:00", "2027-W26", "2027-07-04T23:00:00+00:00"),  # Monday 00:00 BST
        ("2027-07-04T22:59:59+00:00", "2027-W25", "2027-06-27T23:00:00+00:00"),  # still Sunday in London
    ],
)
def test_a_weekly_digest_is_for_the_last_iso_week_that_has_ended(now: str, period: str, ends: str) -> None:
    assert last_ended("weekly", at(now)) == (period, at(ends))


def test_a_period_starts_at_midnight_in_london_and_a_week_on_monday() -> None:
    moment = datetime(2026, 12, 3, 1, 30, tzinfo=timezone(timedelta(hours=3)))  # 22:30 UTC (and GMT) on the 2nd
    assert period_start("daily", moment) == datetime(2026, 12, 2, tzinfo=UTC)
    assert period_start("weekly", moment) == datetime(2026, 11, 30, tzinfo=UTC)
    summer = datetime(2027, 6, 2, 23, 30, tzinfo=UTC)  # 00:30 BST on Thursday the 3rd
    assert period_start("daily", summer) == datetime(2027, 6, 2, 23, tzinfo=UTC)
    assert period_start("weekly", summer) == datetime(2027, 5, 30, 23, tzinfo=UTC)  # Monday 31 May 00:00 BST


@pytest.mark.parametrize(
    ("during", "starts", "ends", "hours"),
    [
        # The last Sunday of March 2027: 01:00 GMT becomes 02:00 BST, a 23-hour day.
        ("2027-03-28T12:00:00+00:00", "2027-03-28T00:00:00+00:00", "2027-03-28T23:00:00+00:00", 23),
        ("2027-03-28T00:30:00+00:00", "2027-03-28T00:00:00+00:00", "2027-03-28T23:00:00+00:00", 23),
        ("2027-03-27T23:59:59+00:00", "2027-03-27T00:00:00+00:00", "2027-03-28T00:00:00+00:00", 24),
        # The last Sunday of October 2027: 02:00 BST becomes 01:00 GMT again, a 25-hour day.
        ("2027-10-31T01:30:00+00:00", "2027-10-30T23:00:00+00:00", "2027-11-01T00:00:00+00:00", 25),
        ("2027-10-31T00:30:00+01:00", "2027-10-30T23:00:00+00:00", "2027-11-01T00:00:00+00:00", 25),  # first 1:30am
        ("2027-10-31T23:59:59+00:00", "2027-10-30T23:00:00+00:00", "2027-11-01T00:00:00+00:00", 25),
        ("2027-10-30T22:59:59+00:00", "2027-10-29T23:00:00+00:00", "2027-10-30T23:00:00+00:00", 24),
    ],
)
def test_a_london_day_is_23_or_25_hours_long_when_the_clocks_change(
    during: str, starts: str, ends: str, hours: int
) -> None:
    assert period_start("daily", at(during)) == at(starts)
    assert period_after("daily", at(during)) == at(ends)
    assert at(ends) - at(starts) == timedelta(hours=hours)
    assert last_ended("daily", at(ends)) == (at(starts).astimezone(LONDON).date().isoformat(), at(ends))


@pytest.mark.parametrize(
    ("during", "monday", "next_monday", "hours"),
    [
        ("2027-03-28T12:00:00+00:00", "2027-03-22T00:00:00+00:00", "2027-03-28T23:00:00+00:00", 7 * 24 - 1),
        ("2027-10-31T12:00:00+00:00", "2027-10-24T23:00:00+00:00", "2027-11-01T00:00:00+00:00", 7 * 24 + 1),
    ],
)
def test_a_week_that_holds_a_change_of_the_clocks_runs_from_london_monday_to_monday(
    during: str, monday: str, next_monday: str, hours: int
) -> None:
    assert (period_start("weekly", at(during)), period_after("weekly", at(during))) == (at(monday), at(next_monday))
    assert at(next_monday) - at(monday) == timedelta(hours=hours)
    name, ends = last_ended("weekly", at(next_monday))
    assert ends == at(next_monday) and name == ("2027-W12" if hours < 168 else "2027-W43")


class Scheduler:
    def __init__(self) -> None:
        self.asked: list[datetime] = []

    def schedule_engagement(self, at: datetime) -> bool:
        self.asked.append(at)
        return True


@pytest.mark.parametrize(
    ("now", "asked"),
    [
        ("2027-01-12T15:00:00+00:00", "2027-01-13T00:00:01+00:00"),  # GMT: London midnight is UTC midnight
        ("2027-07-12T15:00:00+00:00", "2027-07-12T23:00:01+00:00"),  # BST: an hour before UTC midnight
        ("2027-07-12T23:30:00+00:00", "2027-07-13T23:00:01+00:00"),  # already the 13th in London
        ("2027-03-28T00:30:00+00:00", "2027-03-28T23:00:01+00:00"),  # the clocks go forward that night
        ("2027-10-30T23:30:00+00:00", "2027-11-01T00:00:01+00:00"),  # a 25-hour day to wait out
    ],
)
def test_the_engagement_job_is_asked_for_a_second_after_the_next_london_midnight(now: str, asked: str) -> None:
    scheduler = Scheduler()
    rt = cast(Any, SimpleNamespace(dispatcher=scheduler))
    assert follow.schedule_engagement(rt, at(now)) is True
    assert scheduler.asked == [at(asked)]


def item(n: int, project: str | None, title: str | None, line: str) -> dict[str, object]:
    return {
        "dedupe": f"d{n}",
        "project_id": project,
        "project_title": title,
        "body": line,
        "created_at": f"2026-12-01T0{n}:00:00.000000Z",
    }


def test_items_are_grouped_by_project_in_order_of_first_news_and_account_news_last() -> None:
    items = [
        item(4, "p2", "Bins", "Ann pledged £100"),
        item(1, None, None, "A project like yours: Roads"),
        item(2, "p1", "Potholes", "Bob followed it"),
        item(3, "p2", "Bins", "A status update"),
        item(5, "p1", "Potholes", "Bob followed it"),  # the same line again
        item(6, "p1", "Potholes", "Now in beta"),
    ]
    assert grouped(items) == [
        Group("p1", "Potholes", ("Bob followed it", "Now in beta")),
        Group("p2", "Bins", ("A status update", "Ann pledged £100")),
        Group(None, OTHER, ("A project like yours: Roads",)),
    ]


def test_the_subject_says_how_much_happened_and_where() -> None:
    groups = [Group("p1", "Potholes", ("a", "b")), Group("p2", "Bins", ("c",))]
    assert subject("daily", groups) == "Your daily Pipeline digest: 3 things happened on 2 projects"
    assert subject("weekly", groups[1:]) == "Your weekly Pipeline digest: 1 thing happened on 1 project"
    assert subject("daily", [Group(None, OTHER, ("x",))]) == "Your daily Pipeline digest: 1 thing happened"


def test_the_body_lists_each_project_with_its_lines_and_one_call_to_action() -> None:
    groups = [Group("p1", "Potholes <b>", ("Bob followed it",)), Group(None, OTHER, ("Roads",))]
    text, html = body("weekly", at("2026-12-07T00:00:00+00:00"), groups, "Ann", "https://pipeline.example")
    assert "Hello Ann," in text and "happened on Pipeline in the week from Monday 30 November 2026." in text
    assert text.index("Potholes <b>") < text.index("- Bob followed it") < text.index(OTHER) < text.index("- Roads")
    assert "https://pipeline.example/projects/p1" in text
    assert text.count("See what is new") == 1 and html.count("See what is new") == 1
    assert "Potholes &lt;b&gt;" in html and "Potholes <b>" not in html


def test_the_period_is_said_in_words() -> None:
    assert when("daily", at("2026-12-02T00:00:00+00:00")) == "on Tuesday 1 December 2026"
    assert when("weekly", at("2026-12-07T00:00:00+00:00")) == "in the week from Monday 30 November 2026"
    assert when("daily", at("2027-07-01T23:00:00+00:00")) == "on Thursday 1 July 2027"  # 00:00 BST on the 2nd
    assert when("weekly", at("2027-07-04T23:00:00+00:00")) == "in the week from Monday 28 June 2027"
    assert when("daily", at("2027-11-01T00:00:00+00:00")) == "on Sunday 31 October 2027"  # 25 hours long
