"""The original Pipeline's pages as projects (every kept version an edit), and its likes
and joins as follows and contribution requests: part of ``workers.history.legacy.importer``.

A page is proposed at its ``createdon`` by ``createdby`` for its ``orgid``, with the
first kept version's fields (older versions were pruned: the first kept one is the
earliest state known); each later version is an edit at its ``editedon``, by
``editedby``, of the fields that changed, and a phase change when its status did.
Title and tags exist only on the page (its latest); the language is one more tag."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import clock
from domain import legacy as L
from domain.interest import ContributionRequest, Follow
from domain.project import Project
from workers.history.legacy.file import LegacyData


class Tally(Protocol):
    """What writing projects adds to the import's report."""

    @property
    def counts(self) -> Counter[str]: ...

    @property
    def unplaced(self) -> list[str]: ...

    @property
    def notes(self) -> list[str]: ...


class Importing(Protocol):
    """What writing projects and interest uses of the import (``importer.LegacyImport``):
    the file read, what is already placed, its report, and its pending aggregates."""

    @property
    def data(self) -> LegacyData: ...

    @property
    def orgs(self) -> dict[int, tuple[UUID, str]]: ...

    @property
    def people(self) -> dict[str, tuple[UUID, UUID]]: ...

    @property
    def projects(self) -> dict[int, UUID]: ...

    @property
    def report(self) -> Tally: ...

    @property
    def advance(self) -> Callable[[int], None]: ...

    def load(self, aggregate_id: UUID) -> Any: ...

    def add(self, at: datetime, *aggregates: Aggregate) -> None: ...

    def time(self, value: Any, what: str) -> datetime | None: ...

    def organisation_of(self, orgid: int | None, at: datetime | None) -> tuple[UUID, str] | None: ...

    def last_version(self, page: int) -> int | None: ...


class ProjectWriter:
    def __init__(self, job: Importing) -> None:
        self.job, self.report = job, job.report

    def write_all(self) -> None:
        pages = sorted(self.job.data.pages, key=lambda p: (_sort_time(p["createdon"]), int(p["id"])))
        for page in pages:
            versions = self.job.data.versions.get(int(page["id"]), [])
            self.job.advance(1 + len(versions))
            self.write(page, versions)

    def write(self, page: dict[str, Any], versions: list[dict[str, Any]]) -> None:
        legacy, what = int(page["id"]), f"page {page['id']}"
        pid = L.page_id(legacy)
        existing = self.job.load(pid)
        if existing is not None:
            self.job.projects[legacy] = pid
            self.report.counts["projects already imported"] += 1
            self._newer_versions(existing, page, versions, what)
            return
        proposer = self.job.people.get(str(page["createdby"] or "").strip().casefold())
        at = self.job.time(page["createdon"], what)
        org = self.job.organisation_of(page["orgid"], at)
        if proposer is None or org is None or at is None:
            if at is not None:
                who = "its creator was not imported" if proposer is None else "its organisation was not placed"
                self.report.unplaced.append(f"{what}: {who}")
            return
        first = versions[0] if versions else page
        self._note_first(what, page, versions, at)
        project = self._propose(pid, legacy, org[0], proposer[0], page, first, versions, at)
        last = at
        for version in versions[1:]:
            last = self._edit(project, page, version, last, what)
        self.job.add(last, project)
        self.job.projects[legacy] = pid
        self.report.counts["projects"] += 1

    def _newer_versions(self, project: Project, page: dict, versions: list, what: str) -> None:
        """Versions a later file has beyond the last an earlier file held: edits at their own times."""
        known = self.job.last_version(int(page["id"]))
        newer = [v for v in versions if known is not None and int(v["versionnumber"]) > known]
        last = project.modified_on
        for version in newer:
            last = self._edit(project, page, version, last, what)
        if project.pending_events:
            self.job.add(last, project)
        self.report.counts["versions added to projects already imported"] += len(newer)

    def _propose(
        self, pid: UUID, legacy: int, org: UUID, proposer: UUID, page: dict, first: dict, versions: list, at: datetime
    ) -> Project:
        phase = L.phase_of(first["projectstatus"])
        if phase is None:
            self.report.notes.append(f"page {legacy}: status {first['projectstatus']!r} unknown: proposed in concept")
        imported = {"origin": L.ORIGIN, "legacy_id": legacy, "first_version": _number(versions)}
        with clock.set_to(at):
            proposed = Project.Proposed
            return Project._create(
                proposed, id=pid, organisation_id=org, proposer_id=proposer, phase=phase or "concept",
                details=_details(page, first), imported=imported,
            )  # fmt: skip

    def _edit(self, project: Project, page: dict, version: dict, last: datetime, what: str) -> datetime:
        label = f"{what} version {version['versionnumber']}"
        editor = self.job.people.get(str(version["editedby"] or "").strip().casefold())
        at = self.job.time(version["editedon"], label)
        if editor is None or at is None:
            if editor is None:
                self.report.notes.append(f"{label}: its editor was not imported; its changes come with the next one")
            self.report.counts["versions not written"] += 1
            return last
        if at < last:
            self.report.notes.append(f"{label}: dated before the version it follows; recorded at that one's time")
            at = last
        phase = L.phase_of(version["projectstatus"])
        with clock.set_to(at):
            edited = project.edit(_details(page, version), actor=editor[0], moderation=False)
            moved = phase is not None and phase != project.phase
            if moved:
                project.change_phase(phase or "", actor=editor[0], moderation=False)
        self.report.counts["versions -> edits"] += edited
        self.report.counts["phase changes"] += moved
        self.report.counts["versions without a change"] += not (edited or moved)
        return at

    def _note_first(self, what: str, page: dict, versions: list, at: datetime) -> None:
        if not versions:
            self.report.notes.append(f"{what}: no version kept; proposed with the page's own fields")
            return
        number = int(versions[0]["versionnumber"])
        if number > 1:
            self.report.notes.append(f"{what}: versions before {number} were pruned; {number} is the proposal")
            self.report.counts["pages with pruned versions"] += 1
            return
        gap = versions[0]["editedon"] - at
        if gap:
            self.report.notes.append(f"{what}: version 1 is dated {gap} after createdon; proposed at createdon")


def _details(page: dict[str, Any], version: dict[str, Any]) -> dict[str, Any]:
    title = " ".join(str(page["title"] or "").split())[:200] or f"Untitled (page {page['id']})"
    text = str(version.get("text") or "")
    return {
        "title": title,
        "summary": L.summary_of(text, title),
        "description": text,
        "tags": L.tags_of(page["tags"], version["projectlanguage"]),
        "phase_start": version.get("projectstart"),  # read by workers.history.legacy.file.check
        "phase_end": version.get("projectend"),
        "phase_dates_estimated": bool(version.get("projectestimatedtime")),
    }


def _number(versions: list[dict[str, Any]]) -> int | None:
    return int(versions[0]["versionnumber"]) if versions else None


def _sort_time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.max.replace(tzinfo=clock.now().tzinfo)


# ------------------------------------------------------------------------ interest
def interest_id(data: LegacyData, row: dict[str, Any]) -> UUID | None:
    """The id of the aggregate a like or join row becomes (whether or not it is written)."""
    kind = data.relationship_types.get(int(row["reltypeid"] or 0))
    username = str(row["username"] or "").strip()
    if row["pageid"] is None or not username or kind not in ("like", "join"):
        return None
    if kind == "join":
        return L.join_id(username, int(row["pageid"]))
    user = next((u for u in data.users if str(u["username"] or "").strip().casefold() == username.casefold()), None)
    return None if user is None else Follow.id_for(L.page_id(int(row["pageid"])), L.user_id(str(user["id"])))


def write_interest(job: Importing) -> None:
    """Likes -> follows, joins -> contribution requests (comment as the message)."""
    rows = sorted(job.data.relationships, key=lambda r: (_sort_time(r["reldatetime"]), int(r["id"])))
    done: set[UUID] = set()
    for row in rows:
        job.advance(1)
        what = f"relationship {row['id']}"
        kind = job.data.relationship_types.get(int(row["reltypeid"] or 0))
        person = job.people.get(str(row["username"] or "").strip().casefold())
        project = job.projects.get(int(row["pageid"])) if row["pageid"] is not None else None
        problem = (
            f"type {row['reltypeid']} is neither Like nor Join"
            if kind not in ("like", "join")
            else "its person was not imported"
            if person is None
            else "its project was not imported"
            if project is None
            else None
        )
        at = job.time(row["reldatetime"], what)
        if problem:
            job.report.unplaced.append(f"{what}: {problem}")
        if problem or at is None or person is None or project is None:
            continue
        _write_one(job, row, kind or "", person, project, at, done)


def _write_one(
    job: Importing, row: dict, kind: str, person: tuple[UUID, UUID], project: UUID, at: datetime, done: set
) -> None:
    comment = str(row["reltext"] or "").strip() or None
    placed = None if L.no_organisation(row["orgid"]) else job.orgs.get(int(row["orgid"]))
    org = placed[0] if placed is not None else None
    if kind == "like":
        aggregate_id = Follow.id_for(project, person[0])
    else:
        aggregate_id = L.join_id(str(row["username"]).strip(), int(row["pageid"]))
    if aggregate_id in done or job.load(aggregate_id) is not None:
        job.report.counts[f"{kind}s already imported"] += 1
        return
    imported: dict[str, Any] = {"origin": L.ORIGIN, "kind": kind}
    with clock.set_to(at):
        if kind == "like":
            if comment:
                imported["comment"] = comment  # a Like had no comment box, but some carry text: kept
                job.report.counts["likes with a comment (kept in imported.comment)"] += 1
            aggregate: Any = Follow(id=aggregate_id, project_id=project, person_id=person[0], imported=imported)
        else:
            requested = ContributionRequest.Requested
            aggregate = ContributionRequest._create(
                requested, id=aggregate_id, project_id=project, person_id=person[0],
                organisation_id=org or person[1], message=comment, imported=imported,
            )  # fmt: skip
    job.add(at, aggregate)
    done.add(aggregate_id)
    job.report.counts["likes -> follows" if kind == "like" else "joins -> contribution requests"] += 1
