"""The report's parameters: the period (``from``, ``to``) and ``forgotten_days``.

``from`` and ``to`` are ISO dates (``2014-09-01``) or times (``2014-09-01T12:00:00+01:00``;
a time without a zone is UTC). A date ``to`` includes that whole day; a time ``to``
includes that instant. Without ``to`` the period ends at the last event in the log, so
a report depends only on the log (and can be cached by its head)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

DEFAULT_FORGOTTEN_DAYS = 90
MAX_FORGOTTEN_DAYS = 3650
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TICK = timedelta(microseconds=1)


class BadParameter(ValueError):
    """A parameter that cannot be used: ``field`` names it, ``kind`` says what is wrong with it
    (a kind of error of the ``family`` of values in web/messages.py's table, which words it;
    ``values`` fill the message in)."""

    def __init__(self, field: str, kind: str, family: str = "period", **values: Any) -> None:
        super().__init__(f"{field}: {kind}")
        self.field, self.kind, self.family, self.values = field, kind, family, values


@dataclass(frozen=True)
class Params:
    start: datetime | None  # inclusive; None: from the beginning
    until: datetime | None  # exclusive; None: just after the last event
    forgotten_days: int = DEFAULT_FORGOTTEN_DAYS
    given: tuple[str | None, str | None] = (None, None)  # from and to, as given

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.given[0], "to": self.given[1], "forgotten_days": self.forgotten_days}


def parse_moment(field: str, text: str, *, end: bool) -> datetime:
    """The instant a ``from`` (``end`` False) or ``to`` (``end`` True, exclusive) bound means."""
    try:
        return _moment(field, text.strip(), end=end)
    except OverflowError:
        raise BadParameter(field, "too_far") from None


def _moment(field: str, text: str, *, end: bool) -> datetime:
    if _DATE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise BadParameter(field, "real") from None
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return moment + timedelta(days=1) if end else moment
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadParameter(field, "invalid") from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment + TICK if end else moment


def parse(start: str | None = None, until: str | None = None, forgotten_days: int | None = None) -> Params:
    """Params from what a user typed; raises BadParameter saying what is wrong."""
    days = DEFAULT_FORGOTTEN_DAYS if forgotten_days is None else forgotten_days
    if not 1 <= days <= MAX_FORGOTTEN_DAYS:
        raise BadParameter("forgotten_days", "range", "whole", min=1, max=MAX_FORGOTTEN_DAYS)
    begin = parse_moment("from", start, end=False) if start else None
    finish = parse_moment("to", until, end=True) if until else None
    if begin is not None and finish is not None and begin >= finish:
        raise BadParameter("to", "before_start")
    return Params(begin, finish, days, (start, until))
