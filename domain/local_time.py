"""Times as a person in the UK reads them: Europe/London (GMT or BST), in GOV.UK's style
("8 December 2026", "8 December 2026 at 2:05pm"). The API and the record keep UTC; pages and
emails show times through these two functions only, so a deadline at 23:59:59 UTC in June
reads as "12:59am" on the day after, as it is in London."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def parsed(moment: object) -> date | datetime | None:
    """An API date (``2026-12-08``) as a date, an API time (``...Z`` or with an offset) as a
    datetime, a date or datetime as it is; None for nothing, or for text that is neither."""
    if moment is None or moment == "":
        return None
    if isinstance(moment, date):
        return moment
    try:
        return (
            datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
            if len(str(moment)) > 10
            else (date.fromisoformat(str(moment)))
        )
    except ValueError:
        return None


def in_london(moment: datetime) -> datetime:
    """``moment`` on London's clock (a moment without a zone is taken as UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LONDON)


def _clock(moment: datetime) -> str:
    if (moment.hour, moment.minute) == (0, 0):
        return "midnight"
    if (moment.hour, moment.minute) == (12, 0):
        return "midday"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d}{'am' if moment.hour < 12 else 'pm'}"


def day_label(moment: str | date | None) -> str:
    """The day ``moment`` falls on in London ("8 December 2026"); a plain date as it is.
    Text that is not a date or time comes back unchanged."""
    found = parsed(moment)
    if found is None:
        return "" if moment is None else str(moment)
    day = in_london(found).date() if isinstance(found, datetime) else found
    return f"{day.day} {day:%B %Y}"


def time_label(moment: str | date | None) -> str:
    """``moment`` on London's clock ("8 December 2026 at 2:05pm"); a plain date as its day."""
    found = parsed(moment)
    if not isinstance(found, datetime):
        return day_label(moment)
    local = in_london(found)
    return f"{local.day} {local:%B %Y} at {_clock(local)}"
