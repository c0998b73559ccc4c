"""Times as a person in the UK reads them, and the find page's numbered pages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from domain import local_time
from domain.local_time import day_label, parsed, time_label
from web.api.common import MAX_OFFSET, decode_offset, encode_cursor
from web.pages import dates, results


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        ("2027-06-30T23:59:59+00:00", "1 July 2027 at 12:59am"),  # BST: an hour ahead of UTC
        ("2027-12-31T23:59:59Z", "31 December 2027 at 11:59pm"),  # GMT: UTC itself
        ("2027-03-28T00:30:00+00:00", "28 March 2027 at 12:30am"),  # before the clocks go forward
        ("2027-03-28T01:30:00+00:00", "28 March 2027 at 2:30am"),  # after
        ("2027-01-05T12:00:00Z", "5 January 2027 at midday"),
        ("2027-01-05T00:00:00Z", "5 January 2027 at midnight"),
        ("2027-04-01", "1 April 2027"),  # a plain date stays its day
    ],
)
def test_times_are_shown_on_londons_clock_in_govuk_style(moment: str, shown: str) -> None:
    assert time_label(moment) == shown


def test_a_day_is_the_day_it_is_in_london_and_nonsense_comes_back_as_it_was() -> None:
    assert day_label("2029-07-15T23:59:59+00:00") == "16 July 2029"
    assert day_label(date(2029, 7, 15)) == "15 July 2029"
    assert day_label("yesterday") == "yesterday" and day_label(None) == ""


def test_api_dates_and_times_are_read_by_one_parser() -> None:
    assert parsed("2027-03-28") == date(2027, 3, 28)
    assert parsed("2027-03-28T01:30:00Z") == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert [parsed(nothing) for nothing in (None, "", "next week", "2027-02-30")] == [None] * 4


@pytest.mark.parametrize(
    ("held", "day", "clock"),
    [
        ("2027-06-30T23:30:00+00:00", "2027-07-01", "00:30"),  # BST: the next day in London
        ("2027-12-31T23:59:59Z", "2027-12-31", ""),  # the end of a day leaves the time field empty
        ("2027-10-31T00:30:40Z", "2027-10-31", "01:30:40"),  # the repeated hour, first time round
        ("2027-04-01", "2027-04-01", ""),  # a plain date has no time of day
        ("not a time at all", "not a time", ""),
    ],
)
def test_the_forms_fields_show_an_api_time_on_londons_clock(held: str, day: str, clock: str) -> None:
    assert (dates.london_day(held), dates.london_clock(held)) == (day, clock)


def test_europe_london_is_defined_once_and_imported_everywhere_else() -> None:
    root = Path(__file__).resolve().parents[2]
    defined = [
        str(path.relative_to(root))
        for folder in ("domain", "projections", "workers", "web")
        for path in sorted((root / folder).rglob("*.py"))
        if 'ZoneInfo("Europe/London")' in path.read_text()
    ]
    assert defined == ["domain/local_time.py"]
    assert local_time.LONDON.key == "Europe/London"


@pytest.mark.parametrize(
    ("typed", "hour", "minute", "second"),
    [("5:30pm", 17, 30, 0), ("17:30", 17, 30, 0), ("9am", 9, 0, 0), ("12am", 0, 0, 0), ("17:30:40", 17, 30, 40)],
)
def test_a_time_of_day_is_read_as_people_write_it(typed: str, hour: int, minute: int, second: int) -> None:
    clock = dates._clock(typed)
    assert clock is not None and (clock.hour, clock.minute, clock.second) == (hour, minute, second)


@pytest.mark.parametrize("typed", ["25:00", "13pm", "half five", "5:3"])
def test_a_time_that_is_not_one_is_refused(typed: str) -> None:
    assert dates._clock(typed) is None


def test_pages_are_numbered_first_last_and_around_the_current_one() -> None:
    shown = results.pagination("/projects", {"tag": "bins", "page": "5"}, 5, 200, 20)
    assert shown is not None
    numbers = [item.get("number", "…") for item in shown["items"]]
    assert numbers == ["1", "…", "4", "5", "6", "…", "10"]
    assert shown["previous"] == {"href": "/projects?tag=bins&page=4"}
    assert shown["items"][0]["href"] == "/projects?tag=bins"  # page 1 has no page=
    assert results.pagination("/projects", {}, 1, 20, 20) is None  # one page: no navigation


def test_a_page_number_or_size_that_is_not_one_is_the_first_page_or_the_default() -> None:
    assert [results.page_number(t) for t in ("3", "0", "-1", "x", "３", None)] == [3, 1, 1, 1, 1, 1]
    assert [results.page_size(t, 20) for t in ("2", "101", "abc", None)] == [2, 20, 20, 20]


def test_the_pages_offset_cursor_is_the_one_the_api_gives_out() -> None:
    assert results.offset_cursor(40) == encode_cursor([40])
    assert decode_offset(results.offset_cursor(40)) == 40
    assert results.MAX_OFFSET == MAX_OFFSET
