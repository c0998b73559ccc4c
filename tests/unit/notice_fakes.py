"""A fake ``Facts`` for the notifier's policy: people, organisations and projects held in
memory, projects as real aggregates (kept at each version, as the repository can load
them), and the interests read model's answers given by the test."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from domain.project import Project
from workers.notify.notices.base import ProjectFacts, Recipient, RequestFacts


@dataclass
class FakeFacts:
    people: dict[UUID, Recipient] = field(default_factory=dict)
    projects: dict[UUID, ProjectFacts] = field(default_factory=dict)
    versions: dict[tuple[UUID, int], Project] = field(default_factory=dict)
    organisations: dict[UUID, str] = field(default_factory=dict)
    requests: dict[UUID, RequestFacts] = field(default_factory=dict)
    interested: list[tuple[UUID, str, str]] = field(default_factory=list)  # people_interested's answer
    resembling: list[ProjectFacts] = field(default_factory=list)  # projects_resembling's answer
    asked: list[tuple[frozenset[str], frozenset[str]]] = field(default_factory=list)  # what the policy asked
    former: dict[tuple[UUID, int], str] = field(default_factory=dict)  # (person, version) -> address before
    hidden: set[UUID] = field(default_factory=set)  # comments and status updates hidden since
    public_url: str = "https://pipeline.example"

    # ------------------------------------------------------------ Facts
    def person(self, person_id: UUID) -> Recipient | None:
        return self.people.get(person_id)

    def project(self, project_id: UUID) -> ProjectFacts | None:
        return self.projects.get(project_id)

    def hidden_now(self, text_id: UUID) -> bool:
        return text_id in self.hidden

    def project_at(self, project_id: UUID, version: int | None) -> Project | None:
        if version is None:
            known = [v for (p, v) in self.versions if p == project_id]
            version = max(known, default=-1)
        return self.versions.get((project_id, version))

    def organisation_name(self, organisation_id: UUID) -> str | None:
        return self.organisations.get(organisation_id)

    def organisation_members(self, organisation_id: UUID) -> frozenset[UUID]:
        return frozenset(p.id for p in self.people.values() if p.organisation_id == organisation_id)

    def contribution_request(self, request_id: UUID) -> RequestFacts | None:
        return self.requests.get(request_id)

    def people_interested(self, tags: frozenset[str], words: frozenset[str]) -> list[tuple[UUID, str, str]]:
        self.asked.append((tags, words))
        return self.interested

    def projects_resembling(
        self, project: ProjectFacts, tags: frozenset[str], words: frozenset[str], limit: int, before: datetime
    ) -> list[ProjectFacts]:
        return self.resembling[:limit]

    def opened(self, person_id: UUID, sealed: Any) -> str | None:
        return str(sealed)  # the fake "seals" nothing

    def former_address(self, person_id: UUID, version: int) -> str | None:
        return self.former.get((person_id, version))

    def preferences(self, person_id: UUID) -> dict[str, Any]:
        return {"frequency": "immediate", "off": [], "tags": [], "words": []}

    def unsubscribe_url(self, person_id: UUID, kind: str) -> str:
        return f"{self.public_url}/unsubscribe?token={person_id}:{kind}"

    # ------------------------------------------------------------ makers
    def organisation(self, name: str) -> UUID:
        org = uuid4()
        self.organisations[org] = name
        return org

    def add_person(
        self,
        email: str,
        *,
        verified: bool = True,
        erased: bool = False,
        name: str = "Ann",
        organisation: UUID | None = None,
    ) -> UUID:
        person_id = uuid4()
        self.people[person_id] = Recipient(person_id, name, email, verified, erased, organisation)
        return person_id

    def add_project(
        self,
        owners: list[UUID],
        *,
        followers: tuple[UUID, ...] = (),
        pledgers: tuple[UUID, ...] = (),
        askers: tuple[UUID, ...] = (),
        tags: tuple[str, ...] = (),
        title: str = "Bins",
        summary: str = "Better bins",
        description: str = "",
        organisation: UUID | None = None,
    ) -> tuple[Project, ProjectFacts]:
        """A project proposed by ``owners[0]`` (the key contact), its other owners on the team."""
        org = organisation or (self.people[owners[0]].organisation_id if owners[0] in self.people else None) or uuid4()
        details = {"title": title, "summary": summary, "description": description, "tags": list(tags)}
        project = Project(organisation_id=org, proposer_id=owners[0], phase="alpha", details=details)
        facts = ProjectFacts(
            project.id,
            title,
            summary,
            frozenset(tags),
            owners[0],
            owners=frozenset(owners),
            followers=frozenset(followers),
            pledgers=frozenset(pledgers),
            askers=frozenset(askers),
            organisation_id=org,
            description=description,
        )
        self.projects[project.id] = facts
        self.keep(project)
        return project, facts

    def keep(self, project: Project) -> None:
        """Remember the project as it is now, at its version (as the event store would)."""
        self.versions[(project.id, project.version)] = deepcopy(project)


def goal(money: str = "1000", days: str = "0", partners: int = 0, in_days: int = 30) -> dict[str, Any]:
    deadline = (datetime.now(UTC) + timedelta(days=in_days)).isoformat()
    return {"money": money, "days": days, "min_partners": partners, "deadline": deadline}


def pledge(money: str = "0", days: str = "0", *contributions: str, message: str | None = None) -> dict[str, Any]:
    return {"money": money, "days": days, "contributions": list(contributions), "message": message}


def now() -> datetime:
    return datetime.now(UTC)
