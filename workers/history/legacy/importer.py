"""``pipeline import legacy FILE``: the original Pipeline's database written as history.

Every fact is written with the clock at its original time, inside
``history.writing_history(LEGACY_2014)`` (so nobody is emailed about 2014), as the
aggregates themselves, bypassing today's command rules (a 2014 user proposed without a
verified address). Ids derive from legacy ids and an aggregate that exists is left
alone, so a second run writes nothing. What cannot be placed is reported, never guessed;
people are named by their legacy row id only (the file is personal data)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain import clock, history
from domain import legacy as L
from domain.errors import RegisterNotLoaded
from domain.legacy_orgs import AMBIGUOUS
from domain.lookalike import OrganisationLookalike, lookalike_keys, looks_like
from domain.names import normalise
from domain.organisation import COUNCIL, Organisation, OrganisationName, council_id, name_key
from domain.person import Person, email_key
from workers.history.legacy.file import LegacyData
from workers.history.legacy.planned import council_register, placement_of
from workers.history.legacy.projects import ProjectWriter, write_interest
from workers.history.legacy.snapshots import Snapshots

BATCH_EVENTS = 500  # events per save: one transaction each, a history mark listing them


@dataclass
class Report:
    counts: Counter[str] = field(default_factory=Counter)
    resolutions: list[tuple[str, str]] = field(default_factory=list)  # (name as typed, how it was placed)
    unplaced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stamps: list[tuple[datetime, int]] = field(default_factory=list)  # migration stamp, users sharing it
    head_before: int = 0
    head_after: int = 0

    @property
    def nothing_new(self) -> bool:
        return self.head_after == self.head_before


class LegacyImport:
    def __init__(self, app: Any, data: LegacyData, advance: Callable[[int], None] = lambda n: None) -> None:
        self.app, self.data, self.advance = app, data, advance
        self.report = Report(unplaced=list(data.unplaced), notes=list(data.notes))
        self.pending: list[Aggregate] = []
        self.pending_at: datetime | None = None
        self.orgs: dict[int, tuple[UUID, str]] = {}  # legacy org id -> (organisation id, kind)
        self.people: dict[str, tuple[UUID, UUID]] = {}  # username (case-folded) -> (person id, organisation id)
        self.projects: dict[int, UUID] = {}  # legacy page id -> project id
        self.lookalikes: dict[str, str] = {}  # look-alike key -> name of an organisation created in this run
        self.unknown: dict[UUID, tuple[UUID, str]] = {}  # the "unknown organisation", once registered
        self.snapshots = Snapshots(self)

    def run(self) -> Report:
        self.report.head_before = int(self.app.recorder.max_notification_id() or 0)
        with history.writing_history(history.LEGACY_2014):
            for step in (self._organisations, self._people, self._projects, self._interest, self.snapshots.finish):
                step()
                self.flush()
        self.report.head_after = int(self.app.recorder.max_notification_id() or 0)
        return self.report

    # ------------------------------------------------------------------ plumbing
    def load(self, aggregate_id: UUID) -> Any:
        try:
            return self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def add(self, at: datetime, *aggregates: Aggregate) -> None:
        self.pending += aggregates
        self.pending_at = max(at, self.pending_at or at)
        if sum(len(a.pending_events) for a in self.pending) >= BATCH_EVENTS:
            self.flush()

    def flush(self) -> None:
        if self.pending and self.pending_at is not None:
            with clock.set_to(self.pending_at):  # the history mark's own time
                self.app.save(*self.pending)
        self.pending, self.pending_at = [], None

    def time(self, value: Any, what: str) -> datetime | None:
        """A time read by ``workers.history.legacy.file.check`` (rows without one were left out)."""
        if isinstance(value, datetime):
            return value
        self.report.unplaced.append(f"{what}: no time")
        return None

    # ------------------------------------------------------------- organisations
    def _organisations(self) -> None:
        official = {r.code: normalise(r.official_name) for r in council_register()}
        first_seen = self._first_seen()
        created: dict[str, UUID] = {}  # name key -> organisation created in this run
        for row in self.data.orgs:
            self.advance(1)
            legacy, name = int(row["id"]), " ".join(str(row["orgname"] or "").split())
            if not name:
                self.report.unplaced.append(f"organisation {legacy}: no name")
                continue
            placement = placement_of(name, self.app, official)
            if placement.code is not None:
                self._council(legacy, placement.code)
                self.report.resolutions.append((name, placement.describe()))
                self.report.counts["organisations resolved to the register"] += 1
                continue
            self._other(legacy, name, placement, first_seen.get(legacy), created)

    def _council(self, legacy: int, code: str) -> None:
        if self.load(council_id(code)) is None:
            raise RegisterNotLoaded("The council register has not been loaded: run `pipeline init` first.")
        self.orgs[legacy] = (council_id(code), COUNCIL)

    def _other(self, legacy: int, name: str, placement: Any, at: datetime | None, created: dict[str, UUID]) -> None:
        kind, why = L.guess_kind(name)
        if (placement.how == AMBIGUOUS or L.council_like(name)) and kind != "association":
            kind, why = "public_body", f"council-like name, {placement.describe()}: not merged into a council"
        existing = self.load(L.org_id(legacy))
        if existing is None and name_key(name) in created:
            existing = self.load(created[name_key(name)]) or self._pending_org(created[name_key(name)])
        if existing is None:
            index = self.load(OrganisationName.create_id(name))
            existing = self.load(index.organisation_id) if index is not None else None
        if existing is not None:
            self.orgs[legacy] = (existing.id, existing.kind)
            self.report.resolutions.append((name, f"already known: {existing.kind} '{existing.name}'"))
            self.report.counts["organisations already known"] += 1
            return
        if at is None:
            self.report.unplaced.append(f"organisation {legacy} '{name}': no member, project or interest dates it")
            return
        lookalike = self._lookalike(name)
        if lookalike is not None:  # an impostor's name: never created, and the operator is told
            self.report.unplaced.append(f"organisation {legacy} '{name}': looks the same as {lookalike}; not created")
            return
        with clock.set_to(at):
            registered = Organisation.Registered
            org = Organisation._create(
                registered, id=L.org_id(legacy), kind=kind, name=name, code=None, register=None, registered_by=None
            )
            claims = [OrganisationLookalike(key=key, organisation_id=org.id) for key in sorted(lookalike_keys(name))]
            self.add(at, org, OrganisationName(name=name, organisation_id=org.id), *claims)
        created[name_key(name)] = org.id
        self.lookalikes.update(dict.fromkeys(lookalike_keys(name), name))
        self.orgs[legacy] = (org.id, kind)
        self.report.resolutions.append((name, f"created as {kind} ({why})"))
        self.report.counts["organisations created"] += 1

    def _lookalike(self, name: str) -> str | None:
        """What ``name`` looks like: a council, an organisation already stored, or one
        this file creates under another name (:mod:`domain.lookalike`)."""
        found = looks_like(self.app, name, None)
        if found is not None:
            return found[0]
        earlier = next((self.lookalikes[key] for key in lookalike_keys(name) if key in self.lookalikes), None)
        return None if earlier is None else f"'{earlier}', created earlier in this file"

    def last_version(self, page: int) -> int | None:
        return self.snapshots.last_version(page)

    def _pending_org(self, organisation_id: UUID) -> Any:
        return next((a for a in self.pending if a.id == organisation_id), None)

    def organisation_of(self, orgid: int | None, at: datetime | None) -> tuple[UUID, str] | None:
        """Where a row's ``orgid`` was placed; NULL or 0 (no organisation chosen) is the
        import's one "unknown organisation", registered the first time it is needed."""
        if not L.no_organisation(orgid):
            return self.orgs.get(int(orgid or 0))
        if L.UNKNOWN_ORG_ID not in self.unknown and at is not None:
            self._register_unknown(at)
        return self.unknown.get(L.UNKNOWN_ORG_ID)

    def _register_unknown(self, at: datetime) -> None:
        existing = self.load(L.UNKNOWN_ORG_ID)
        if existing is None:
            with clock.set_to(at):
                org = Organisation._create(
                    Organisation.Registered, id=L.UNKNOWN_ORG_ID, kind=L.UNKNOWN_ORG_KIND, name=L.UNKNOWN_ORG_NAME,
                    code=None, register=None, registered_by=None,
                )  # fmt: skip
                self.add(at, org, OrganisationName(name=L.UNKNOWN_ORG_NAME, organisation_id=org.id))
            self.report.counts["organisations created"] += 1
            self.report.resolutions.append(("(orgid NULL or 0)", f"created as '{L.UNKNOWN_ORG_NAME}'"))
        self.unknown[L.UNKNOWN_ORG_ID] = (L.UNKNOWN_ORG_ID, L.UNKNOWN_ORG_KIND)

    def _first_seen(self) -> dict[int, datetime]:
        """Each legacy organisation's earliest dated fact: when it is created, if it is."""
        seen: dict[int, datetime] = {}
        facts = [(u["orgid"], u["createdon"]) for u in self.data.users]
        facts += [(p["orgid"], p["createdon"]) for p in self.data.pages]
        facts += [(r["orgid"], r["reldatetime"]) for r in self.data.relationships]
        for legacy, at in facts:
            if not L.no_organisation(legacy) and isinstance(at, datetime) and (legacy not in seen or at < seen[legacy]):
                seen[legacy] = at
        return seen

    # -------------------------------------------------------------------- people
    def _people(self) -> None:
        stamps = L.migration_stamps(u["createdon"] for u in self.data.users if not u.get("createdon_unknown"))
        for stamp in sorted(stamps):
            self.report.stamps.append((stamp, sum(1 for u in self.data.users if u["createdon"] == stamp)))
        claimed: dict[str, UUID] = {}
        for row in sorted(self.data.users, key=self._user_order):
            self.advance(1)
            self._person(row, stamps, claimed)

    def _user_order(self, row: dict[str, Any]) -> tuple[Any, str]:
        return (row["createdon"], str(row["id"]))

    def _person(self, row: dict[str, Any], stamps: set[datetime], claimed: dict[str, UUID]) -> None:
        what, pid = f"user {row['id']}", L.user_id(str(row["id"]))
        username = str(row["username"] or "").strip().casefold()
        existing = self.load(pid)
        if existing is not None:
            self.snapshots.person_changed(row, existing)
            self.people[username] = (pid, existing.organisation_id)
            self.report.counts["people already imported"] += 1
            return
        email = str(row["email"] or "").strip()
        at = self.time(row["createdon"], what)
        org = self.organisation_of(row["orgid"], at)
        problem = self._person_problem(row, org, email, claimed)
        if problem:
            self.report.unplaced.append(f"{what}: {problem}")
        if problem or at is None or org is None:
            return
        stamped = row["createdon"] in stamps
        self._write_person(pid, row, org, email, at, stamped)
        claimed[email_key(email)] = pid
        self.people[username] = (pid, org[0])

    def _person_problem(
        self, row: dict[str, Any], org: tuple[UUID, str] | None, email: str, claimed: dict[str, UUID]
    ) -> str | None:
        if org is None:
            return f"its organisation {row['orgid']} was not placed"
        if "@" not in email:
            return "no email address"
        if email_key(email) in claimed or self.app.email_owner(email) is not None:
            return "its email address already belongs to another person: not imported"
        return None

    def _write_person(
        self, pid: UUID, row: dict[str, Any], org: tuple[UUID, str], email: str, at: datetime, stamped: bool
    ) -> None:
        personal = self.app.personal
        _new_key(personal, pid)
        name = " ".join(f"{row['firstname'] or ''} {row['lastname'] or ''}".split()) or str(row["username"])
        imported = {"origin": L.ORIGIN, "legacy_id": str(row["id"]), "created_on_is_migration_stamp": stamped}
        if row.get("createdon_unknown"):  # the file had no createdon: ``at`` is a bound (no later than)
            imported["created_on_unknown"] = True
        with clock.set_to(at):
            person = Person(
                id=pid, name=personal.seal(pid, name), email=personal.seal(pid, email), job_title=None,
                organisation_id=org[0], organisation_kind=org[1], password_hash=None, imported=imported,
            )  # fmt: skip
            verified = L.flag(row["isactivated"])
            if verified:
                person.verify_email()
            person.admit(actor=None, reason="imported")
            self.add(at, person, self.app._claim_email(email, pid))
        counts = self.report.counts
        counts["people"] += 1
        counts["people verified"] += verified
        counts["people members"] += 1
        counts["people with a migration stamp"] += stamped
        counts["people whose sign-up time is unknown"] += bool(row.get("createdon_unknown"))

    # ---------------------------------------------------------- projects, interest
    def _projects(self) -> None:
        ProjectWriter(self).write_all()

    def _interest(self) -> None:
        write_interest(self)


def _new_key(personal: Any, pid: UUID) -> None:
    """A key for the person; one left by an import that stopped before its save is reused."""
    try:
        personal.new_key(pid)
    except Exception as error:
        try:
            personal.seal(pid, "probe")  # works only if the key is there
        except Exception:
            raise error from None


def import_legacy(rt: Any, data: LegacyData, advance: Callable[[int], None] = lambda n: None) -> Report:
    """Write ``data`` into the runtime's store, then bring every follower up to date once
    (rather than after each save); their marks keep the notifier from mailing anyone."""
    heard, rt.app.log_moved = rt.app.log_moved, None
    try:
        report = LegacyImport(rt.app, data, advance).run()
    finally:
        rt.app.log_moved = heard
    if not report.nothing_new:
        rt.catch_up()
    return report
