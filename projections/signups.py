"""Sign-ups timeline: how many people signed up each day, by kind of organisation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from domain.person import Person
from projections.base import Projection, Reveal, Statement, handles, reads, timestamp
from projections.db import Reader


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
    def signed_up(self, event: Any, reveal: Reveal) -> Iterator[Statement]:
        if migrated(event):
            return  # the moment accounts were moved into the original's store, not a sign-up
        yield Statement(
            "INSERT INTO signups_daily (day, organisation_kind, signups) VALUES (:day, :kind, 1)"
            " ON CONFLICT (day, organisation_kind) DO UPDATE SET signups = signups_daily.signups + 1",
            {"day": timestamp(event.timestamp)[:10], "kind": event.organisation_kind},
        )


def migrated(event: Any) -> bool:
    """A sign-up taken in from the original Pipeline whose time is its migration stamp
    (``domain.legacy``): the person signed up some time before, nobody knows when."""
    imported = getattr(event, "imported", None) or {}
    return bool(imported.get("created_on_is_migration_stamp"))


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
