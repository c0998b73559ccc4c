"""Successive files of the original Pipeline: part of ``workers.history.legacy.importer``.

Every file taken in is recorded in ``domain.legacy_snapshot.LegacySnapshots`` with what
it holds. A file later than the latest one recorded is compared with it: an account that
is gone (deleted in the original) leaves its organisation, one activated since is
verified, one in another organisation moves there, a like or join gone is withdrawn.
Each is written at the later file's time (the change is known to have happened by then,
and after the earlier file's time) and listed in the record with both bounds. New
people, versions, likes and joins are written by the other steps at their own times."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain import clock
from domain import legacy as L
from domain.interest import ContributionRequest, Follow
from domain.legacy_snapshot import SNAPSHOTS_ID, LegacySnapshots
from workers.history.legacy.projects import Importing, interest_id

REASON = "taken back in the original Pipeline, between two of its files"


class Snapshots:
    def __init__(self, job: Importing) -> None:
        self.job = job
        self.record: LegacySnapshots | None = job.load(SNAPSHOTS_ID)
        self.latest = self.record.latest if self.record is not None else None
        self.taken_at = job.data.taken_at
        self.changes: list[dict[str, Any]] = []

    @property
    def later(self) -> bool:
        """This file is later than every one taken in before (so changes can be read from it)."""
        if self.latest is None or self.taken_at is None:
            return False
        return self.taken_at > datetime.fromisoformat(self.latest["taken_at"])

    def last_version(self, page: int) -> int | None:
        """The last version of ``page`` an earlier file held; None when no file recorded it."""
        if self.latest is None:
            return None
        found = self.latest["holds"]["versions"].get(str(page))
        return None if found is None else int(found)

    def holds(self) -> dict[str, Any]:
        data = self.job.data
        versions = {str(page): int(rows[-1]["versionnumber"]) for page, rows in data.versions.items() if rows}
        interest = [str(i) for i in (interest_id(data, r) for r in data.relationships) if i is not None]
        return {"users": sorted(str(u["id"]) for u in data.users), "interest": sorted(interest), "versions": versions}

    # ------------------------------------------------------------------ changes
    def person_changed(self, row: dict[str, Any], person: Any) -> None:
        """An account imported from an earlier file, as this later file has it."""
        if not self.later or person.erased or self.taken_at is None:
            return
        with clock.set_to(self.taken_at):
            if L.flag(row["isactivated"]) and not person.email_verified:
                person.verify_email()
                self._note("account activated", person.id)
            org = self.job.organisation_of(row["orgid"], self.taken_at)
            if org is not None and person.organisation_id is not None and org[0] != person.organisation_id:
                person.move_to(org[0], org[1], actor=None)
                person.admit(actor=None, reason="imported")
                self._note("moved to another organisation", person.id)
        if person.pending_events:
            self.job.add(self.taken_at, person)

    def finish(self) -> None:
        """What an earlier file held and this one has not; then the record of this file."""
        if self.taken_at is None:
            return
        holds = self.holds()
        if self.record is not None and self.record.has(self.taken_at, holds):
            return  # this very file again
        if self.later and self.latest is not None:
            self._gone_accounts(set(self.latest["holds"]["users"]) - set(holds["users"]))
            self._gone_interest(set(self.latest["holds"]["interest"]) - set(holds["interest"]))
        with clock.set_to(self.taken_at):
            record = self.record or LegacySnapshots()
            record.record(taken_at=self.taken_at.isoformat(), holds=holds, changes=self.changes)
        self.job.add(self.taken_at, record)
        self.job.report.counts["changes between files (times are bounds)"] += len(self.changes)

    def _gone_accounts(self, gone: set[str]) -> None:
        for legacy in sorted(gone):
            person = self.job.load(L.user_id(legacy))
            if person is None or person.erased or person.organisation_id is None:
                continue
            with clock.set_to(self.taken_at or clock.now()):
                person.remove_from_organisation(actor=None)
            self._note("account deleted", person.id)
            self.job.add(self.taken_at or clock.now(), person)

    def _gone_interest(self, gone: set[str]) -> None:
        for aggregate_id in sorted(gone):
            found = self.job.load(UUID(aggregate_id))
            with clock.set_to(self.taken_at or clock.now()):
                if isinstance(found, Follow) and found.unfollow():
                    self._note("like withdrawn", found.id)
                elif isinstance(found, ContributionRequest) and found.decision is None:
                    found.withdraw(actor=found.person_id, reason=REASON)
                    self._note("join withdrawn", found.id)
            if found is not None and found.pending_events:
                self.job.add(self.taken_at or clock.now(), found)

    def _note(self, change: str, aggregate_id: UUID) -> None:
        after = self.latest["taken_at"] if self.latest is not None else None
        until = self.taken_at.isoformat() if self.taken_at is not None else None
        self.changes.append(
            {"change": change, "id": str(aggregate_id), "not_before": after, "not_after": until,
             "recorded_at": until, "time_is_bound": True}
        )  # fmt: skip
        self.job.report.notes.append(
            f"{change} ({aggregate_id}): between {after} and {until}; recorded at the later time, a bound"
        )
