"""What the notifier's policy works with: the facts it may ask for (``Facts``, a Protocol the
runtime and the unit tests' fake both implement), the message it decides on, and ``tell``,
which turns audiences into one message per person."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from domain.project import Project
from workers.notify import emails

TOKEN_SLOT = "{{token}}"  # noqa: S105 - where the link's single-use token goes (never in user text)


@dataclass(frozen=True)
class Recipient:
    id: UUID
    name: str | None
    email: str | None
    verified: bool
    erased: bool
    organisation_id: UUID | None = None
    verification_generation: int = 0  # what a link mailed now carries (``Person.*_generation``)
    reset_generation: int = 0

    @property
    def reachable(self) -> bool:
        """Mail goes only to verified addresses of people not erased."""
        return self.verified and not self.erased and bool(self.email)


@dataclass(frozen=True)
class ProjectFacts:
    id: UUID
    title: str
    summary: str
    tags: frozenset[str]
    key_contact: UUID
    owners: frozenset[UUID]  # the proposer, the key contact and the team
    followers: frozenset[UUID] = frozenset()
    pledgers: frozenset[UUID] = frozenset()  # the people who made the live pledges
    askers: frozenset[UUID] = frozenset()  # people whose contribution request was not declined
    organisation_id: UUID | None = None
    description: str = ""
    archived: bool = False  # now, when the notifier reads the event (it may be behind the log)

    @property
    def related(self) -> frozenset[UUID]:
        """Who hears the project's news: team, followers and pledgers."""
        return self.owners | self.followers | self.pledgers

    @property
    def concerned(self) -> frozenset[UUID]:
        """Who hears of an archive, a restore or the goal decided: the related and the askers."""
        return self.related | self.askers


@dataclass(frozen=True)
class RequestFacts:
    id: UUID
    project_id: UUID
    person_id: UUID
    organisation_id: UUID
    message: str | None


@dataclass(frozen=True)
class Message:
    person_id: UUID
    kind: str
    recipient: str
    subject: str
    body: str
    token_purpose: str | None = None  # a token of this purpose replaces TOKEN_SLOT in the body
    generation: int = 0  # the account's generation the token is bound to (see TokenStore.redeem)
    html: str | None = None  # the body as an HTML fragment (escaped); None: made from the text
    project_id: UUID | None = None  # what the message is about: a digest groups by it
    project_title: str | None = None
    summary: str | None = None  # one line for a digest ("Ann Smith followed it"); None: the subject
    events: tuple[str, ...] = field(default=())  # more events it stands for ("id:version"), beside its own


class Facts(Protocol):
    """What the policy may know besides the event."""

    public_url: str

    def person(self, person_id: UUID) -> Recipient | None: ...

    def project(self, project_id: UUID) -> ProjectFacts | None: ...

    def project_at(self, project_id: UUID, version: int | None) -> Project | None: ...  # None: now

    def organisation_name(self, organisation_id: UUID) -> str | None: ...

    def organisation_members(self, organisation_id: UUID) -> frozenset[UUID]: ...  # members, not pending

    def contribution_request(self, request_id: UUID) -> RequestFacts | None: ...

    def people_interested(self, tags: frozenset[str], words: frozenset[str]) -> list[tuple[UUID, str, str]]: ...

    def projects_resembling(  # other organisations' live projects proposed before ``before``
        self, project: ProjectFacts, tags: frozenset[str], words: frozenset[str], limit: int, before: datetime
    ) -> list[ProjectFacts]: ...

    def opened(self, person_id: UUID, sealed: Any) -> str | None: ...

    def hidden_now(self, text_id: UUID) -> bool: ...  # a comment or status update an operator has hidden

    def former_address(self, person_id: UUID, version: int) -> str | None: ...  # before that version's event

    def preferences(self, person_id: UUID) -> dict[str, Any]: ...  # domain.notifications: frequency, off, ...

    def unsubscribe_url(self, person_id: UUID, kind: str) -> str: ...


@dataclass(frozen=True)
class Notice:
    """What one audience is told: its kind, template and the template's values."""

    kind: str
    people: Iterable[UUID]
    subject: str
    summary: str
    context: dict[str, Any]
    template: str | None = None  # default: the kind's name


def tell(facts: Facts, project: ProjectFacts | None, actor: UUID | None, *notices: Notice) -> list[Message]:
    """One message per person, from the first notice that names them (list the most specific
    first), only to verified addresses of people not erased, never to the ``actor``. Titles
    stored before text was checked at the door may hold line breaks: the outbox puts the
    subject on one line."""
    seen: set[UUID] = {actor} if actor is not None else set()
    sent = []
    for notice in notices:
        for person_id in sorted(set(notice.people) - seen, key=str):
            seen.add(person_id)
            person = facts.person(person_id)
            if person is None or not person.reachable:
                continue
            text, html = emails.render(notice.template or notice.kind, name=person.name, **notice.context)
            sent.append(
                Message(
                    person.id,
                    notice.kind,
                    str(person.email),
                    notice.subject,
                    text,
                    html=html,
                    project_id=project.id if project else None,
                    project_title=project.title if project else None,
                    summary=notice.summary,
                )
            )
    return sent


def project_link(facts: Facts, project_id: UUID, path: str = "") -> str:
    return f"{facts.public_url}/projects/{project_id}{path}"


def name_of(facts: Facts, person_id: UUID | None) -> str:
    """How a message names someone: their name, or "Someone" once it is gone."""
    person = facts.person(person_id) if person_id is not None else None
    return (person.name if person is not None and not person.erased else None) or "Someone"


def organisation(facts: Facts, organisation_id: UUID | None) -> str:
    return (facts.organisation_name(organisation_id) if organisation_id else None) or "an organisation"


def money(value: Any) -> str:
    return f"£{Decimal(str(value or 0)):,.2f}"


def days(value: Any) -> str:
    amount = Decimal(str(value or 0)).normalize()
    return f"{amount:f} person-day" + ("" if amount == 1 else "s")


def listed(items: Iterable[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
