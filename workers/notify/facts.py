"""``Facts`` for the notifier's policy, from the application (aggregates, personal keys)
and the read side."""

from __future__ import annotations

from collections.abc import Iterable
from copy import copy, deepcopy
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.comment import Comment
from domain.errors import NotFound
from domain.interest import StatusUpdate
from domain.person import Person
from domain.project import Project
from projections import interests as interests_view
from projections import people as people_view
from projections import project_updates as updates_view
from projections import projects as projects_view
from projections.base import Reveal
from projections.context import FollowerContext
from workers.adapters import unsubscribe
from workers.notify.notices.base import ProjectFacts, Recipient, RequestFacts


class RuntimeFacts:
    """``Facts`` from the application (aggregates, personal keys) and the read side."""

    def __init__(self, context: FollowerContext, reveal: Reveal, events: Iterable[Any] = ()) -> None:
        self.rt, self.reveal = context, reveal  # ``reveal`` holds the keys of the batch's people
        # the batch's events: a project's next version is the one before with its event applied
        self._events = {(e.originator_id, e.originator_version): e for e in events}
        self.public_url: str = context.public_url
        self._people: dict[UUID, Recipient | None] = {}
        self._choices: dict[UUID, dict[str, Any]] = {}
        self._organisations: dict[UUID, str | None] = {}
        self._versions: dict[tuple[UUID, int], Project | None] = {}
        self._projects: dict[UUID, ProjectFacts | None] = {}

    def person(self, person_id: UUID) -> Recipient | None:
        if person_id not in self._people:
            self._people[person_id] = self._person(person_id)
        return self._people[person_id]

    def _person(self, person_id: UUID) -> Recipient | None:
        try:
            person = self.rt.app.get_person(person_id)
        except NotFound:  # an id from a stale view: nobody to tell
            return None
        if person.erased:
            return Recipient(person.id, None, None, person.email_verified, True)
        email = self.reveal(person.id, person.email)
        reveal = self.reveal if email is not None else self.rt.keys.revealer([person.id])  # not the batch's
        name, address = reveal(person.id, person.name), reveal(person.id, person.email)
        return Recipient(
            person.id,
            name,
            address,
            person.email_verified,
            False,
            person.organisation_id,
            person.verification_generation,
            person.reset_generation,
        )

    def project(self, project_id: UUID) -> ProjectFacts | None:
        """As the project stands now, read once per batch (several of its events, and the
        projects a new one resembles, ask again)."""
        if project_id not in self._projects:
            self._projects[project_id] = self._project(project_id)
        return self._projects[project_id]

    def _project(self, project_id: UUID) -> ProjectFacts | None:
        try:
            project = self.rt.app.get_project(project_id)
        except NotFound:
            return None
        details = project.details
        key_contact = UUID(str(details.get("key_contact_id") or project.proposer_id))
        followers = projects_view.followers(self.rt.db, str(project.id))
        requests = updates_view.contribution_requests(self.rt.db, str(project.id))
        return ProjectFacts(
            project.id,
            str(details.get("title") or "a project"),
            str(details.get("summary") or ""),
            frozenset(details.get("tags") or ()),
            key_contact,
            owners=frozenset({*project.team, project.proposer_id, key_contact}),
            followers=frozenset(UUID(str(f["person_id"])) for f in followers),
            pledgers=frozenset(UUID(str(p["person_id"])) for p in project.pledges.values()),
            askers=frozenset(UUID(str(r["person_id"])) for r in requests if r["decision"] != "declined"),
            organisation_id=project.organisation_id,
            description=str(details.get("description") or ""),
            archived=bool(project.archived),
        )

    def project_at(self, project_id: UUID, version: int | None) -> Project | None:
        """The project as it was at ``version`` (None: now). Kept for the batch: consecutive
        pledges each ask for the version before them, which the one before asked for. A
        version whose event is in the batch, and whose version before is known, is that one
        with the event applied: read from the store once per project and batch, not replayed
        from its snapshot for every pledge (that was nine tenths of the notifier's time)."""
        if version is None:
            return self._load(project_id, None)
        key = (project_id, version)
        if key not in self._versions:
            before, event = self._versions.get((project_id, version - 1)), self._events.get(key)
            if before is not None and event is not None:
                self._versions[key] = event.mutate(_copy_for(before, event))
            else:
                self._versions[key] = self._load(project_id, version)
        return self._versions[key]

    def _load(self, project_id: UUID, version: int | None) -> Project | None:
        try:
            found: object = self.rt.app.repository.get(project_id, version=version)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Project) else None

    def organisation_name(self, organisation_id: UUID) -> str | None:
        if organisation_id not in self._organisations:
            try:
                self._organisations[organisation_id] = self.rt.app.get_organisation(organisation_id).name
            except NotFound:
                self._organisations[organisation_id] = None
        return self._organisations[organisation_id]

    def organisation_members(self, organisation_id: UUID) -> frozenset[UUID]:
        rows = people_view.list_page(self.rt.db, organisation_id=str(organisation_id), membership="member", limit=500)
        return frozenset(UUID(str(row["id"])) for row in rows)

    def contribution_request(self, request_id: UUID) -> RequestFacts | None:
        try:
            request = self.rt.app.get_contribution_request(request_id)
        except NotFound:
            return None
        return RequestFacts(request.id, request.project_id, request.person_id, request.organisation_id, request.message)

    def people_interested(self, tags: frozenset[str], words: frozenset[str]) -> list[tuple[UUID, str, str]]:
        found = interests_view.people_interested(self.rt.db, tags, words)
        return [(UUID(person), kind, term) for person, kind, term in found]

    def projects_resembling(
        self, project: ProjectFacts, tags: frozenset[str], words: frozenset[str], limit: int, before: datetime
    ) -> list[ProjectFacts]:
        org = str(project.organisation_id)
        others = interests_view.projects_resembling(self.rt.db, str(project.id), org, tags, words, limit, before)
        return [facts for other in others if (facts := self.project(UUID(other))) is not None]

    def preferences(self, person_id: UUID) -> dict[str, Any]:
        if person_id not in self._choices:
            self._choices[person_id] = self.rt.app.notification_preferences(person_id)
        return self._choices[person_id]

    def unsubscribe_url(self, person_id: UUID, kind: str) -> str:
        return unsubscribe.link(self.rt.keys, self.public_url, person_id, kind)

    def hidden_now(self, text_id: UUID) -> bool:
        """An operator has hidden the comment or status update since it was posted: its text
        is not mailed (the notifier may read the post long after it was hidden)."""
        try:
            found: Any = self.rt.app.repository.get(text_id)
        except AggregateNotFoundError:
            return False
        if isinstance(found, Comment):
            return found.hidden_reason is not None
        return isinstance(found, StatusUpdate) and found.hidden is not None

    def opened(self, person_id: UUID, sealed: Any) -> str | None:
        return self.reveal(person_id, sealed) or self.rt.keys.open(person_id, sealed)

    def former_address(self, person_id: UUID, version: int) -> str | None:
        """The address the person held just before their event at ``version`` (an address
        change): None if there was none, or it can no longer be opened (erased)."""
        if version <= 1:
            return None
        try:
            before: Person = self.rt.app.repository.get(person_id, version=version - 1)
        except AggregateNotFoundError:
            return None
        return self.opened(person_id, getattr(before, "email", None)) if not before.erased else None


# A pledge event replaces or removes one entry of ``pledges`` and changes nothing else in place
# (``domain.project``): a copy of the project with its own ``pledges`` dict is enough for it,
# at a tenth of the cost of copying everything the project holds.
SHALLOW = (Project.PledgeMade, Project.PledgeAmended, Project.PledgeWithdrawn)


def _copy_for(before: Project, event: Any) -> Project:
    if isinstance(event, SHALLOW):
        after = copy(before)
        after.pledges = dict(before.pledges)
        return after
    return deepcopy(before)
