"""The successive files of the original Pipeline taken in, one event per file.

The original's repository holds several snapshots of its database. Each file taken in is
recorded here: when it was taken (its latest time, unless told), what it held (legacy
user ids, the likes and joins as the ids of the aggregates they became, each page's last
version) and the changes found since the file before, with the times that bound them.
The next file is compared with this record, so a change between two files (an account
deleted, activated or moved, a like or join withdrawn) is written as what it was, at the
later file's time, and listed here as known only between the two. No personal data: ids only."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from domain.clock import Aggregate, event
from domain.legacy import LEGACY_NAMESPACE

SNAPSHOTS_ID = uuid5(LEGACY_NAMESPACE, "snapshots")


class LegacySnapshots(Aggregate):
    """The one record of every legacy file taken in, in the order they were imported."""

    class Started(Aggregate.Created):
        pass

    @event(Started)
    def __init__(self) -> None:
        self.files: list[dict[str, Any]] = []

    @staticmethod
    def create_id() -> UUID:
        return SNAPSHOTS_ID

    @property
    def latest(self) -> dict[str, Any] | None:
        """The file taken latest (by its own time), or None before any."""
        return max(self.files, key=lambda f: f["taken_at"], default=None)

    def has(self, taken_at: datetime, holds: dict[str, Any]) -> bool:
        """Whether a file of this time and content was taken in already."""
        return any(f["taken_at"] == taken_at.isoformat() and f["holds"] == holds for f in self.files)

    class SnapshotImported(Aggregate.Event):
        taken_at: str
        holds: dict[str, Any]
        changes: list[dict[str, Any]]

    @event(SnapshotImported)
    def record(self, taken_at: str, holds: dict[str, Any], changes: list[dict[str, Any]]) -> None:
        """``holds``: {"users": [...], "interest": [...], "versions": {page: number}};
        ``changes``: [{"change", "id", "not_before", "not_after", "recorded_at"}]."""
        self.files.append({"taken_at": taken_at, "holds": holds, "changes": changes})
