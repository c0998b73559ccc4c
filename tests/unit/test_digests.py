"""Digest periods (UTC days, ISO weeks from Monday) and how items are grouped by project."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from workers.notify.digests import OTHER, Group, body, grouped, last_ended, period_start, subject, when


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
    ],
)
def test_a_daily_digest_is_for_the_last_utc_day_that_has_ended(now: str, period: str, ends: str) -> None:
    assert last_ended("daily", at(now)) == (period, at(ends))


@pytest.mark.parametrize(
    ("now", "period", "ends"),
    [
        ("2026-12-07T00:00:00+00:00", "2026-W49", "2026-12-07T00:00:00+00:00"),  # Monday 00:00: week 49 ended
        ("2026-12-06T23:59:59+00:00", "2026-W48", "2026-11-30T00:00:00+00:00"),  # Sunday: still week 49
        ("2026-12-09T12:00:00+00:00", "2026-W49", "2026-12-07T00:00:00+00:00"),
        ("2027-01-04T09:00:00+00:00", "2026-W53", "2027-01-04T00:00:00+00:00"),  # ISO year 2026 has 53 weeks
        ("2026-01-05T09:00:00+00:00", "2026-W01", "2026-01-05T00:00:00+00:00"),  # week 1 began in 2025
    ],
)
def test_a_weekly_digest_is_for_the_last_iso_week_that_has_ended(now: str, period: str, ends: str) -> None:
    assert last_ended("weekly", at(now)) == (period, at(ends))


def test_a_period_starts_at_midnight_utc_and_a_week_on_monday() -> None:
    moment = datetime(2026, 12, 3, 1, 30, tzinfo=timezone(timedelta(hours=3)))  # 22:30 UTC on the 2nd
    assert period_start("daily", moment) == datetime(2026, 12, 2, tzinfo=UTC)
    assert period_start("weekly", moment) == datetime(2026, 11, 30, tzinfo=UTC)


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
