"""Who is told what: the notifier's policy, a pure function of an event and what the read
side knows (``Facts``), unit-tested without a database. ``workers.notifier`` is the process
that runs it over the log and delivers what it decides (at once, in a digest, or not at all,
as each recipient chose)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.interest import StatusUpdate
from domain.person import Person
from domain.project import Project
from workers import emails
from workers.adapters import sessions

SHARED_TAGS = 3  # a new project with this many tags in common with yours is worth a message
TOKEN_SLOT = "{{token}}"  # noqa: S105 - where the link's single-use token goes (never in user text)


@dataclass(frozen=True)
class Recipient:
    id: UUID
    name: str | None
    email: str | None
    verified: bool
    erased: bool


@dataclass(frozen=True)
class ProjectFacts:
    id: UUID
    title: str
    summary: str
    tags: frozenset[str]
    key_contact: UUID
    related: frozenset[UUID]  # team, proposer, key contact, pledgers and followers


@dataclass(frozen=True)
class Message:
    person_id: UUID
    kind: str
    recipient: str
    subject: str
    body: str
    token_purpose: str | None = None  # a token of this purpose replaces TOKEN_SLOT in the body
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

    def projects_sharing_tags(self, project_id: UUID, tags: frozenset[str], at_least: int) -> list[ProjectFacts]: ...

    def opened(self, person_id: UUID, sealed: Any) -> str | None: ...

    def preferences(self, person_id: UUID) -> dict[str, Any]: ...  # domain.notifications: frequency, off, ...

    def unsubscribe_url(self, person_id: UUID, kind: str) -> str: ...


# ------------------------------------------------------------------ the policy
def messages(event: Any, facts: Facts) -> list[Message]:
    """Who is told what about ``event``; [] for events nobody is told about."""
    if isinstance(event, (Person.SignedUp, Person.EmailChanged)):  # both carry the address to verify
        return _verification(facts, event.originator_id, facts.opened(event.originator_id, event.email))
    if isinstance(event, Person.VerificationRequested):
        return _verification(facts, event.originator_id, None)
    if isinstance(event, Person.PasswordResetRequested):
        return _reset(facts, event.originator_id)
    if isinstance(event, Project.Proposed):
        return _similar_project(facts, event.originator_id, event.proposer_id)
    if isinstance(event, Project.Edited):
        fields = ", ".join(sorted(event.changes)).replace("_", " ")
        return _project_news(facts, event.originator_id, event.actor, "edited", f"Changed: {fields}.")
    if isinstance(event, Project.PhaseChanged):
        detail = f"The project moved to the {event.phase} phase."
        return _project_news(facts, event.originator_id, event.actor, f"now in {event.phase}", detail)
    if isinstance(event, StatusUpdate.Posted):
        return _project_news(facts, event.project_id, event.author_id, "a status update", event.body)
    return []


FOLLOWED = (
    Person.SignedUp,
    Person.EmailChanged,
    Person.VerificationRequested,
    Person.PasswordResetRequested,
    Project.Proposed,
    Project.Edited,
    Project.PhaseChanged,
    StatusUpdate.Posted,
)
FOLLOWED_TOPICS = frozenset(get_topic(event_class) for event_class in FOLLOWED)


def _verification(facts: Facts, person_id: UUID, address: str | None) -> list[Message]:
    """A link that verifies the address of now: nothing if it is verified already, or if the
    address in the event has been changed since (that change sends its own). No greeting by
    name: the address may not be theirs, and must not receive text someone else chose."""
    person = facts.person(person_id)
    if person is None or person.erased or person.verified or not person.email:
        return []
    if address is not None and address != person.email:
        return []
    body = (
        "Hello,\n\nPlease confirm your email address for Pipeline by opening this link:\n\n"
        f"{facts.public_url}/verify-email?token={TOKEN_SLOT}\n\n"
        "It works once and expires in 48 hours. If you did not ask for this, ignore this message.\n"
    )
    subject = "Confirm your email address for Pipeline"
    return [Message(person.id, sessions.VERIFY_EMAIL, person.email, subject, body, sessions.VERIFY_EMAIL)]


def _reset(facts: Facts, person_id: UUID) -> list[Message]:
    """The link goes to the address the account holds, never to one typed in a request."""
    person = facts.person(person_id)
    if person is None or person.erased or not person.email:
        return []
    body = (
        "Someone asked to reset the password of your Pipeline account. To choose a new one, open:\n\n"
        f"{facts.public_url}/reset-password?token={TOKEN_SLOT}\n\n"
        "It works once and expires in an hour. If it was not you, ignore this message.\n"
    )
    purpose = sessions.RESET_PASSWORD
    return [Message(person.id, purpose, person.email, "Reset your Pipeline password", body, purpose)]


def _project_news(facts: Facts, project_id: UUID, actor: UUID | None, what: str, detail: str) -> list[Message]:
    """Everyone related to the project but the actor hears that ``what`` happened."""
    project = facts.project(project_id)
    if project is None:
        return []
    link = f"{facts.public_url}/projects/{project.id}"
    subject = f"{project.title}: {what}"
    return _to_people(
        facts, project.related, actor, "project-news", subject, project, detail=detail, title=project.title, link=link
    )


def _similar_project(facts: Facts, project_id: UUID, actor: UUID) -> list[Message]:
    """The key contacts of projects sharing three or more tags hear of a new one."""
    project = facts.project(project_id)
    if project is None or len(project.tags) < SHARED_TAGS:
        return []
    contacts = {other.key_contact for other in facts.projects_sharing_tags(project.id, project.tags, SHARED_TAGS)}
    reasons = ["it shares three or more tags with one of your projects"]
    return _to_people(
        facts,
        contacts,
        actor,
        "matching-interest",
        f"A project like yours: {project.title}",
        project,
        title=project.title,
        summary=project.summary,
        link=f"{facts.public_url}/projects/{project.id}",
        reasons=reasons,
    )


def _to_people(
    facts: Facts,
    people: Iterable[UUID],
    actor: UUID | None,
    kind: str,
    subject: str,
    project: ProjectFacts | None,
    template: str | None = None,
    **context: Any,
) -> list[Message]:
    """One message each from template ``template`` (default: the kind's name), only to verified
    addresses of people not erased, never to the ``actor``. Titles stored before text was
    checked at the door may hold line breaks: the outbox puts the subject on one line."""
    sent = []
    for person_id in sorted(set(people) - {actor}, key=str):
        person = facts.person(person_id)
        if person is None or person.erased or not person.verified or not person.email:
            continue
        text, html = emails.render(template or kind, name=person.name, **context)
        sent.append(
            Message(
                person.id,
                kind,
                person.email,
                subject,
                text,
                html=html,
                project_id=project.id if project else None,
                project_title=project.title if project else None,
            )
        )
    return sent
