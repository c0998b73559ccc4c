"""Dates on forms as GOV.UK asks for them: three fields (day, month, year) named
``<field>-day``, ``<field>-month``, ``<field>-year`` (the govukDateInput pattern).

The page joins what was typed into the API's date; what the API cannot take (a part left out,
no such day) is still sent, as something the API refuses, so nothing is saved, and the page
then says which part is wrong, in the words of the one table (:mod:`web.messages`), and
highlights that part."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from flask import request

from domain.local_time import LONDON, in_london, parsed
from web import messages
from web.pages.forms import Problems, field_id

PARTS = ("day", "month", "year")
NOT_A_DATE = "not-a-date"  # what a broken date is sent as: the API refuses it, and says so


@dataclass(frozen=True)
class Typed:
    """A date field as posted: the value for the API, and the page's own problem with it."""

    name: str
    value: str | None
    problem: str | None = None
    wrong: tuple[str, ...] = ()


def posted(name: str, source: Any = None) -> Typed:
    """The date typed into ``name``'s three fields (None when all are empty), from the posted
    form or ``source`` (a GET form's query)."""
    source = request.form if source is None else source
    typed = {part: source.get(f"{name}-{part}", "").strip() for part in PARTS}
    if not any(typed.values()):
        return Typed(name, None)
    missing = tuple(part for part in PARTS if not typed[part])
    if missing:
        problem = messages.message(name, "missing", "date", parts=" and ".join(missing))
        return Typed(name, NOT_A_DATE, problem, missing)
    try:
        if len(typed["year"]) != 4:
            raise ValueError
        day = date(int(typed["year"]), int(typed["month"]), int(typed["day"]))
    except ValueError:
        return Typed(name, NOT_A_DATE, messages.message(name, "real", "date"), PARTS)
    return Typed(name, day.isoformat())


CLOCK = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?\s*(am|pm)?", re.IGNORECASE)


def _clock(text: str) -> time | None:
    """``5:30pm``, ``17:30``, ``17:30:40`` or ``9am`` as a time of day; None if it is none."""
    found = CLOCK.fullmatch(text.replace(" ", ""))
    if not found:
        return None
    hour, minute, second = (int(part or 0) for part in found.groups()[:3])
    suffix = (found.group(4) or "").lower()
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    try:
        return time(hour, minute, second)
    except ValueError:
        return None


def moment(name: str) -> Typed:
    """A deadline: the day typed in ``name``'s three fields, at the time typed in
    ``<name>-time`` (London's clock), or at the end of that day in London if none is given."""
    typed = posted(name)
    if typed.problem or typed.value is None:
        return typed
    clock_text = request.form.get(f"{name}-time", "").strip()
    clock = _clock(clock_text) if clock_text else time(23, 59, 59)
    if clock is None:
        return Typed(name, NOT_A_DATE, messages.message(name, "clock", "moment"), ("time",))
    return Typed(name, datetime.combine(date.fromisoformat(typed.value), clock, tzinfo=LONDON).isoformat())


def day_bound(name: str, *, end: bool, last: time = time(23, 59, 59)) -> Typed:
    """A search filter's day: typed in three fields of a GET form, or given whole in the
    address (``?updated_since=2026-11-01``), as the first moment of that day in London (or,
    with ``end``, its ``last``: the API's search takes whole seconds, the report microseconds).
    Anything else in the address is passed on as it is."""
    typed = posted(name, request.args)
    if typed.value is None:
        whole = request.args.get(name, "").strip()
        typed = Typed(name, whole or None)
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", whole):
            return typed
    if typed.problem or typed.value is None:
        return typed
    try:
        clock = last if end else time(0, 0)
        return Typed(name, datetime.combine(date.fromisoformat(typed.value), clock, tzinfo=LONDON).isoformat())
    except ValueError:
        return typed


def london_clock(value: Any) -> str:
    """The London time of an API time, for the time field: empty at the end of a day, and
    for anything that is not a time."""
    found = parsed(value)
    if not isinstance(found, datetime):
        return ""
    local = in_london(found)
    if local.time() == time(23, 59, 59):
        return ""
    return f"{local:%H:%M:%S}" if local.second else f"{local:%H:%M}"


def london_day(value: Any) -> str:
    """An API date, or the London day of an API time, as ``YYYY-MM-DD`` (for the fields)."""
    text = str(value or "")
    found = parsed(text)
    if isinstance(found, datetime):
        return in_london(found).date().isoformat()
    return text if found is not None or len(text) <= 10 else text[:10]


def _link_to_the_day(problems: Problems | None, name: str) -> None:
    """The API's problem with a whole date links to the date's first field (its day)."""
    here = f"#{field_id(name)}"
    for entry in problems.summary if problems else []:
        if entry.get("href") == here:
            entry["href"] = f"{here}-day"


def correct(problems: Problems | None, dates: list[Typed]) -> Problems | None:
    """The API's problems with the page's own words for each date typed wrong, which also
    point the error summary at the first wrong part."""
    for typed in dates:
        if typed.problem is None:
            _link_to_the_day(problems, typed.name)
            continue
        problems = problems or Problems()
        href = f"#{field_id(typed.name)}-{typed.wrong[0]}"
        problems.summary = [e for e in problems.summary if e.get("href") != f"#{field_id(typed.name)}"]
        problems.summary.append({"text": typed.problem, "href": href})
        problems.inline[typed.name] = typed.problem
        problems.parts[typed.name] = typed.wrong
    return problems


def items(name: str, values: Any, problems: Problems | None) -> list[dict[str, Any]]:
    """The three govukDateInput items for ``name``: what was typed (or the date held in
    ``values[name]``), with the wrong parts highlighted."""
    held = london_day(values.get(name)) if hasattr(values, "get") else ""
    year, month, day = ([*held.split("-"), "", ""][:3]) if held else ("", "", "")
    shown = {"day": day.lstrip("0"), "month": month.lstrip("0"), "year": year}
    wrong = problems.parts.get(name, ()) if problems else ()
    if problems and name in problems.inline and not wrong:
        wrong = PARTS
    found = []
    for part, width in zip(PARTS, (2, 2, 4), strict=True):
        typed = values.get(f"{name}-{part}") if hasattr(values, "get") else None
        error = " govuk-input--error" if part in wrong else ""
        found.append(
            {
                "name": part,
                "value": shown[part] if typed is None else typed,
                "classes": f"govuk-input--width-{width}{error}",
            }
        )
    return found
