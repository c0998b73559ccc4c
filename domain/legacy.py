"""The original Pipeline's data (its October 2014 SQLite schema): how its values read.

Pure functions only: ids derived from legacy ids, times, phases, dates, summaries,
tags, migration stamps and the kind of an organisation that is not a council. The
import itself (``workers.history.legacy.importer``) builds the aggregates from these."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, TypeVar
from uuid import UUID, uuid5

from domain.local_time import LONDON
from domain.names import normalise

ORIGIN = "pipeline-2014"  # the same value as domain.history.LEGACY_2014, written into ``imported``
LEGACY_NAMESPACE = UUID("7b0f6a3e-2c4d-5e8f-9a1b-0c2d4e6f8a14")
MIGRATION_STAMP_MIN = 3  # a createdon shared to the second by this many users is when accounts were moved in
SUMMARY_MAX = 280
T = TypeVar("T")

PHASE_BY_STATUS = {
    "concept": "concept",
    "discovery": "discovery",
    "alpha": "alpha",
    "beta": "beta",
    "live": "live",
    "decommissioned": "decommissioned",
}
NO_LANGUAGE = {"", "non-dependant", "non-dependent", "none", "n/a"}


def user_id(legacy_id: str) -> UUID:
    return uuid5(LEGACY_NAMESPACE, f"user:{legacy_id.strip().lower()}")


def page_id(legacy_id: int) -> UUID:
    return uuid5(LEGACY_NAMESPACE, f"page:{legacy_id}")


def org_id(legacy_id: int) -> UUID:
    return uuid5(LEGACY_NAMESPACE, f"org:{legacy_id}")


UNKNOWN_ORG_NAME = "Unknown organisation (original Pipeline)"
UNKNOWN_ORG_KIND = "community"  # the domain has no "unknown" kind; the name says what it is
UNKNOWN_ORG_ID = uuid5(LEGACY_NAMESPACE, "org:unknown")


def no_organisation(orgid: int | None) -> bool:
    """``orgid`` NULL or 0: the original's "no organisation chosen"."""
    return orgid is None or orgid == 0


def join_id(username: str, legacy_page_id: int) -> UUID:
    return uuid5(LEGACY_NAMESPACE, f"join:{username}:{legacy_page_id}")


_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?(Z|[+-]\d\d:\d\d)?")
_DATE = re.compile(r"(\d{4}-\d\d-\d\d)(?:[ T]([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?Z?)?")


def parse_time(text: str | None) -> datetime:
    """A legacy time as UTC: ``...Z`` is UTC, an explicit offset (``+01:00``) is that
    offset, anything else UK local time (BST in summer). Up to seven decimals are
    written; microseconds are kept (the seventh digit dropped). A local time in the
    autumn's repeated hour reads as the first (BST) one. ``ValueError`` for anything else."""
    found = _TIME.fullmatch((text or "").strip())
    if not found:
        raise ValueError(f"not a time: {text!r}")
    year, month, day, hour, minute, second, fraction, zone_text = found.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        zone = LONDON if not zone_text else UTC if zone_text == "Z" else _offset(zone_text)
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, zone)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"not a time: {text!r}") from None


def has_offset(text: str) -> bool:
    """Written with an explicit offset such as ``+01:00`` (read as such, and said so)."""
    found = _TIME.fullmatch(text.strip())
    return bool(found and found.group(8) not in (None, "Z"))


def _offset(text: str) -> timezone:
    hours, minutes = int(text[1:3]), int(text[4:6])
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))  # ValueError past 24 h


def date_of(text: str | None) -> str | None:
    """A project date as an ISO day, or None when empty: the day as written, whatever
    time of day follows it (``2014-10-09 16:46:51``, ``...16:46:51.1234567Z`` mean
    2014-10-09). The original's page form held a .NET ``DateTime`` that starts as
    ``DateTime.Now`` and is shown as a day: a time of day is what its date picker left,
    not part of the date. ``ValueError`` for anything else (not guessed)."""
    if not text or not text.strip():
        return None
    found = _DATE.fullmatch(text.strip())
    try:
        return date.fromisoformat(found.group(1)).isoformat() if found else _not_a_date(text)
    except ValueError:
        return _not_a_date(text)


def _not_a_date(text: str) -> str:
    raise ValueError(f"not a date: {text!r}")


def phase_of(status: str | None) -> str | None:
    """``Concept`` -> ``concept`` ...; None for a status the original did not have."""
    return PHASE_BY_STATUS.get((status or "").strip().casefold())


def flag(value: Any) -> bool:
    """The wiki's booleans: 1/0, or text."""
    return str(value).strip().casefold() in {"1", "true", "yes"}


def summary_of(text: str | None, title: str) -> str:
    """The first sentence of the first paragraph that is not a heading, Markdown marks
    removed, bounded; the title if the text has none."""
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "---", "===", "```")):
            continue
        plain = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", line)  # links and images: their text
        plain = " ".join(re.sub(r"[*_`>]+", " ", plain).split()).lstrip("-+ ")
        sentence = re.split(r"(?<=[.!?])\s", plain, maxsplit=1)[0]
        if sentence:
            return sentence if len(sentence) <= SUMMARY_MAX else sentence[: SUMMARY_MAX - 1].rstrip() + "…"
    return title


def tags_of(tags: str | None, language: str | None) -> list[str]:
    """The page's comma-separated tags, then its language as one more tag (lower-cased,
    as the API stores tags); "Non-dependant" (any language) adds none."""
    found = [" ".join(t.casefold().split())[:50] for t in (tags or "").split(",")]
    lang = " ".join((language or "").casefold().split())
    if lang not in NO_LANGUAGE:
        found.append(lang[:50])
    return list(dict.fromkeys(t for t in found if t))[:20]


def migration_stamps(created: Iterable[T | None], minimum: int = MIGRATION_STAMP_MIN) -> set[T]:
    """The ``createdon`` values (texts or read times) shared by at least ``minimum`` users:
    the moment accounts were migrated into the store, not when anyone signed up."""
    counts: Counter[Any] = Counter(c.strip() if isinstance(c, str) else c for c in created)
    return {value for value, count in counts.items() if value and count >= minimum}


# ------------------------------------------------------------------ kinds of organisation
_KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "central_government",
        ("department for", "department of", "ministry", "cabinet office", "government digital service", "gds",
         "hm ", "home office", "treasury", "dclg", "office for", "scottish government", "welsh government"),
    ),
    (
        "public_body",
        ("nhs", "police", "fire", "trust", "university", "college", "commission", "public health",
         "ombudsman", "housing"),
    ),
    (
        "association",  # bodies of councils or of their officers: "London Councils", "District Councils' Network"
        ("association", "society", "federation", "institute", "lga", "cosla", "socitm", "solace", "councils",
         "network", "local authorities", "convention of", "local government", "partnership"),
    ),
    (
        "supplier",
        ("ltd", "limited", "llp", "plc", "inc", "consulting", "consultancy", "solutions", "software",
         "technologies", "technology", "studio", "labs"),
    ),
)  # fmt: skip
_COUNCIL_WORDS = ("council", "borough", "county", "district", "cc", "bc", "dc", "mbc", "lbc", "city of")


def guess_kind(name: str) -> tuple[str, str]:
    """(kind, why) for an organisation that is not in the register, from words in its
    name; ``community`` when none says otherwise."""
    padded = f" {normalise(name)} "
    for kind, words in _KIND_WORDS:
        for word in words:
            if f" {word.strip()} " in padded or (word.endswith(" ") and f" {word}" in padded):
                return kind, f"'{word.strip()}' in the name"
    return "community", "no kind word in the name: the default"


def association_of_councils(name: str) -> bool:
    """Named as a body of councils or of their people (an association, a network, a
    society): never taken for one council, whatever the register's fuzzy match says."""
    return guess_kind(name)[0] == "association"


def council_like(name: str) -> bool:
    """Named like a council ("... Borough Council", "... CC")."""
    padded = f" {normalise(name)} "
    return any(f" {word} " in padded for word in _COUNCIL_WORDS)
