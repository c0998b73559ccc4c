"""Sign-ups timeline: how many people signed up each day, by kind of organisation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from domain.person import Person
from projections.base import Projection, Reveal, Statement, handles, reads, timestamp
from projections.context import FollowerContext
from projections.db import Reader

COUNT = (
    "INSERT INTO signups_daily (day, organisation_kind, signups) VALUES (:day, :kind, :n)"
    " ON CONFLICT (day, organisation_kind) DO UPDATE SET signups = signups_daily.signups + excluded.signups"
)


class SignupsTimelineProjection(Projection):
    name = "signups_timeline"
    tables = ("signups_daily",)
    ddl = (
        """CREATE TABLE IF NOT EXISTS signups_daily (
            day TEXT NOT NULL,
            organisation_kind TEXT NOT NULL,
            signups INTEGER NOT NULL,
            PRIMARY KEY (day, organisation_kind))""",
    )

    @handles(Person.SignedUp)
    def signed_up(self, event: Person.SignedUp, reveal: Reveal) -> Iterator[Statement]:
        if migrated(event):
            return  # the moment accounts were moved into the original's store, not a sign-up
        yield Statement(COUNT, {"day": timestamp(event.timestamp)[:10], "kind": event.organisation_kind, "n": 1})

    def batch(self, events: list[Any], reveal: Reveal, context: FollowerContext | None) -> list[Statement]:
        """One statement per day and kind for the whole batch, adding its sign-ups together: a
        busy day's row changes once per batch, not once per sign-up (PostgreSQL keeps every
        version of a row changed in a transaction until it commits)."""
        counts: dict[tuple[str, str], int] = {}
        for statement in super().batch(events, reveal, context):
            key = (statement.params["day"], statement.params["kind"])
            counts[key] = counts.get(key, 0) + statement.params["n"]
        return [Statement(COUNT, {"day": day, "kind": kind, "n": n}) for (day, kind), n in counts.items()]


def migrated(event: Person.SignedUp) -> bool:
    """A sign-up taken in from the original Pipeline whose time is its migration stamp
    (``domain.legacy``), or a bound because its file had no sign-up times: the person
    signed up some time before, nobody knows when."""
    imported = getattr(event, "imported", None) or {}
    return bool(imported.get("created_on_is_migration_stamp") or imported.get("created_on_unknown"))


# ------------------------------------------------------------------ queries
@reads("signups_timeline")
def daily(db: Reader, *, since: str | None = None, until: str | None = None, kind: str | None = None) -> list[dict]:
    where, params = [], {}
    if since:
        where.append("day >= :since")
        params["since"] = since
    if until:
        where.append("day <= :until")
        params["until"] = until
    if kind:
        where.append("organisation_kind = :kind")
        params["kind"] = kind
    sql = "SELECT day, organisation_kind, signups FROM signups_daily"
    sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY day, organisation_kind"
    return db.query(sql, params)
