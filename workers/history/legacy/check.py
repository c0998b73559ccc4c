"""Every value of a legacy file read and checked before anything is written.

``check`` turns the raw rows of ``workers.history.legacy.file`` into typed values, in place,
for every column the import uses. A value that the README's rules cannot read (a time
in another format, Unix seconds, a text where a number belongs, a NULL version number,
a project date that is not a date, binary data) refuses the whole file, every such
value listed: nothing is guessed and nothing is written. A value that reads but cannot
be history (a time after now, no time at all, a username that is missing or shared) is
the row "not placed", with its reason; a page any of whose versions is not placed is
not placed either (no page is written with a hole in it). Times with an explicit UTC
offset are read as such and counted in a note."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain import legacy as L
from domain.display import display_problem

MAX_LISTED = 30  # problems listed in a refusal; the rest counted
_WHOLE = re.compile(r"[+-]?\d+")


class Unreadable(ValueError):
    """A value the rules cannot read; its message says why."""


def text(value: Any) -> str | None:
    if isinstance(value, bytes):
        raise Unreadable("is binary data, not text")
    return None if value is None else str(value)


def name_text(value: Any) -> str | None:
    """Text that names something (an organisation, a person, a title, tags): held to the
    display rule every name is (:mod:`domain.display`) when it holds anything."""
    found = text(value)
    problem = display_problem(found) if found and found.strip() else None
    if problem:
        raise Unreadable(f"cannot be shown as stored: {problem[0].lower()}{problem[1:]}")
    return found


def prose_text(value: Any) -> str | None:
    """Free text (a page's Markdown): only reordering controls are refused."""
    found = text(value)
    problem = display_problem(found, free_text=True) if found and found.strip() else None
    if problem:
        raise Unreadable(f"cannot be shown as stored: {problem[0].lower()}{problem[1:]}")
    return found


def whole(value: Any) -> int | None:
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value)
    raise Unreadable("is not a whole number")


def required_whole(value: Any) -> int:
    number = whole(value)
    if number is None:
        raise Unreadable("is empty (a number is required)")
    return number


def time(value: Any) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # no time: the row is not placed
    if isinstance(value, int | float):
        raise Unreadable("is a number, not a time (Unix seconds are not read: the file's times are text)")
    if not isinstance(value, str):
        raise Unreadable("is binary data, not a time")
    try:
        return L.parse_time(value)
    except ValueError:
        raise Unreadable(
            "is not a time the import reads (YYYY-MM-DD HH:MM[:SS[.fraction]], UK local, or ending in Z or ±HH:MM)"
        ) from None


def date(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise Unreadable("is not a date (YYYY-MM-DD, with or without a time of day)")
    try:
        return L.date_of(value)
    except ValueError:
        raise Unreadable("is not a date (YYYY-MM-DD, with or without a time of day)") from None


def flag(value: Any) -> bool:
    if value is None or str(value).strip().casefold() in {"", "0", "false", "no"}:
        return False
    if str(value).strip().casefold() in {"1", "true", "yes"}:
        return True
    raise Unreadable("is not a yes/no value (1 or 0)")


Reader = Callable[[Any], Any]
COLUMNS: dict[str, dict[str, Reader]] = {
    "pipeline_orgs": {"id": required_whole, "orgname": name_text},
    "roadkill_users": {
        "id": text, "username": text, "email": text, "firstname": name_text, "lastname": name_text, "orgid": whole,
        "isactivated": flag, "createdon": time,
    },
    "roadkill_pages": {
        "id": required_whole, "title": name_text, "tags": name_text, "createdby": text, "createdon": time,
        "projectlanguage": text, "projectstatus": text, "orgid": whole,
    },
    "roadkill_pagecontent": {
        "pageid": required_whole, "versionnumber": required_whole, "editedby": text, "editedon": time,
        "text": prose_text, "projectstart": date, "projectend": date, "projectestimatedtime": flag,
        "projectlanguage": text, "projectstatus": text,
    },
    "pipeline_relationship": {
        "id": required_whole, "username": text, "pageid": whole, "reltypeid": whole, "reltext": name_text,
        "reldatetime": time, "orgid": whole,
    },
    "pipeline_relationship_types": {"id": required_whole, "reltypetext": text},
}  # fmt: skip


def read_values(table: str, rows: list[dict[str, Any]], label: Callable[[dict], str]) -> list[str]:
    """Types every value of ``rows`` in place; the values that cannot be read, described."""
    problems = []
    for row in rows:
        where = label(row)  # from the raw values, before any is replaced
        for column, reader in COLUMNS[table].items():
            raw = row[column]
            try:
                row[column] = reader(raw)
            except Unreadable as why:
                problems.append(f"{table} {where}: {column} {_shown(raw)} {why}")
    return problems


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def not_history(at: datetime | None, column: str, now: datetime) -> str | None:
    """Why a fact at ``at`` cannot be written as history, if it cannot."""
    if at is None:
        return f"no {column}"
    if at > now:
        return f"its {column} {at:%Y-%m-%d %H:%M:%S} UTC is after now: history is the past"
    return None


def shared_usernames(users: list[dict[str, Any]]) -> set[str]:
    counts = Counter((u["username"] or "").strip().casefold() for u in users)
    return {name for name, count in counts.items() if name and count > 1}


def duplicate_versions(versions: list[dict[str, Any]]) -> list[str]:
    counts = Counter((v["pageid"], v["versionnumber"]) for v in versions)
    return [
        f"roadkill_pagecontent page {page} version {number}: {count} rows have this number (their order is unknown)"
        for (page, number), count in counts.items()
        if count > 1
    ]


def offsets_note(data_rows: list[tuple[list[dict[str, Any]], str]]) -> str | None:
    """A note when some times carry an explicit offset (read as such)."""
    found = sum(
        1 for rows, column in data_rows for row in rows if isinstance(row[column], str) and L.has_offset(row[column])
    )
    if not found:
        return None
    return f"{found} time(s) carry an explicit UTC offset (such as +01:00): read with that offset, not as UK time"


def latest_time(data: Any, now: datetime) -> datetime | None:
    """The file's latest time not after ``now``: it was taken then or later."""
    times = [u["createdon"] for u in data.users] + [p["createdon"] for p in data.pages]
    times += [v["editedon"] for v in data.version_rows] + [r["reldatetime"] for r in data.relationships]
    return max((t for t in times if isinstance(t, datetime) and t <= now), default=None)


def bound_sign_ups(data: Any) -> str:
    """A file without ``roadkill_users.createdon``: each user's sign-up is written at the
    first time the file shows them acting (or the file's latest time), a bound, flagged."""
    first: dict[str, datetime] = {}
    acts = [(p["createdby"], p["createdon"]) for p in data.pages]
    acts += [(v["editedby"], v["editedon"]) for v in data.version_rows]
    acts += [(r["username"], r["reldatetime"]) for r in data.relationships]
    for who, at in acts:
        key = str(who or "").strip().casefold()
        if isinstance(at, datetime) and (key not in first or at < first[key]):
            first[key] = at
    for user in data.users:
        user["createdon"] = first.get(str(user["username"] or "").strip().casefold(), data.taken_at)
        user["createdon_unknown"] = True
    return (
        f"{len(data.users)} users' sign-up times are unknown (no createdon): each is written at the first"
        " time the file shows them acting, or at the file's latest time, as a bound (signed up no later than)"
    )


def taken_at_problem(taken_at: datetime | None, latest: datetime | None, now: datetime) -> list[str]:
    """A file's given time must be no earlier than its latest fact and not in the future."""
    if taken_at is None:
        return []
    if latest is not None and taken_at < latest:
        return [f"--taken-at {taken_at.isoformat()} is before the file's latest time, {latest.isoformat()}"]
    if taken_at > now:
        return [f"--taken-at {taken_at.isoformat()} is after now"]
    return []
