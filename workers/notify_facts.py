"""``Facts`` for the notifier's policy, from the application (aggregates, personal keys)
and the read side."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.errors import NotFound
from projections import projects as projects_view
from projections.base import Reveal
from workers.adapters import unsubscribe
from workers.notify_policy import ProjectFacts, Recipient


class RuntimeFacts:
    """``Facts`` from the application (aggregates, personal keys) and the read side."""

    def __init__(self, runtime: Any, reveal: Reveal) -> None:
        self.rt, self.reveal = runtime, reveal  # ``reveal`` holds the keys of the batch's people
        self.public_url: str = runtime.settings.public_url
        self._people: dict[UUID, Recipient | None] = {}
        self._choices: dict[UUID, dict[str, Any]] = {}

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
        return Recipient(
            person.id, reveal(person.id, person.name), reveal(person.id, person.email), person.email_verified, False
        )

    def project(self, project_id: UUID) -> ProjectFacts | None:
        try:
            project = self.rt.app.get_project(project_id)
        except NotFound:
            return None
        details = project.details
        key_contact = UUID(str(details.get("key_contact_id") or project.proposer_id))
        related = {*project.team, project.proposer_id, key_contact}
        related |= {UUID(p["person_id"]) for p in project.pledges.values()}
        related |= {UUID(f["person_id"]) for f in projects_view.followers(self.rt.db, str(project.id))}
        return ProjectFacts(
            project.id,
            str(details.get("title") or "a project"),
            str(details.get("summary") or ""),
            frozenset(details.get("tags") or ()),
            key_contact,
            frozenset(related),
        )

    def projects_sharing_tags(self, project_id: UUID, tags: frozenset[str], at_least: int) -> list[ProjectFacts]:
        others = projects_view.sharing_tags(self.rt.db, str(project_id), sorted(tags), at_least)
        return [facts for other in others if (facts := self.project(UUID(other))) is not None]

    def preferences(self, person_id: UUID) -> dict[str, Any]:
        if person_id not in self._choices:
            self._choices[person_id] = self.rt.app.notification_preferences(person_id)
        return self._choices[person_id]

    def unsubscribe_url(self, person_id: UUID, kind: str) -> str:
        secret = self.rt.keys.server_secret(unsubscribe.PURPOSE)
        return unsubscribe.url(self.public_url, unsubscribe.make(secret, person_id, kind))

    def opened(self, person_id: UUID, sealed: Any) -> str | None:
        return self.reveal(person_id, sealed) or self.rt.keys.open(person_id, sealed)
