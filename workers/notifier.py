"""The notifier: a log follower that decides who is emailed about which event.

``messages`` is the policy, a pure function of an event and what the read side knows
(``Facts``): unit-tested without a database. ``Notifier`` is the process around it: it
follows the log with its own tracking position like any view, and writes the messages
(and the single-use tokens their links carry) to the outbox in the same transaction as
its new position, so each event is acted on once. It starts at the head of the log and a
rebuild moves it back there: a replay, a restore or a new deployment on an old history
sends nothing for the past. Each message also has a key made of its event, recipient and
kind, unique in the outbox, so even a follower moved back by hand sends nothing twice.
Sending is separate: the outbox's messages are sent by jobs (or inline when embedded)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.errors import NotFound
from domain.history import HistoryMark
from domain.interest import StatusUpdate
from domain.person import Person
from domain.project import Project
from projections import projects as projects_view
from projections.base import Projection, Reveal, Statement
from workers.adapters import mail, sessions

log = logging.getLogger(__name__)

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


class Facts(Protocol):
    """What the policy may know besides the event."""

    public_url: str

    def person(self, person_id: UUID) -> Recipient | None: ...

    def project(self, project_id: UUID) -> ProjectFacts | None: ...

    def projects_sharing_tags(self, project_id: UUID, tags: frozenset[str], at_least: int) -> list[ProjectFacts]: ...

    def opened(self, person_id: UUID, sealed: Any) -> str | None: ...


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
# Events listed by a history mark (``domain.history``) that the notifier has not reached by
# the end of the batch holding the mark: it skips them when it gets there.
HISTORY_DDL = (
    "CREATE TABLE IF NOT EXISTS notifier_history ("
    " originator_id TEXT NOT NULL, originator_version BIGINT NOT NULL,"
    " PRIMARY KEY (originator_id, originator_version))"
)


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
    body = f"{detail}\n\nSee {project.title}: {link}\n\nYou get this because you are related to it."
    return _to_people(facts, project.related, actor, "project-news", f"{project.title}: {what}", body)


def _similar_project(facts: Facts, project_id: UUID, actor: UUID) -> list[Message]:
    """The key contacts of projects sharing three or more tags hear of a new one."""
    project = facts.project(project_id)
    if project is None or len(project.tags) < SHARED_TAGS:
        return []
    contacts = {other.key_contact for other in facts.projects_sharing_tags(project.id, project.tags, SHARED_TAGS)}
    body = (
        f"A new project shares three or more tags with one of yours: {project.title}.\n\n"
        f"{project.summary}\n\n{facts.public_url}/projects/{project.id}\n"
    )
    return _to_people(facts, contacts, actor, "similar-project", f"A project like yours: {project.title}", body)


def _to_people(
    facts: Facts, people: Iterable[UUID], actor: UUID | None, kind: str, subject: str, body: str
) -> list[Message]:
    """One message each, only to verified addresses of people not erased. Titles stored before
    text was checked at the door may hold line breaks: the outbox puts the subject on one line."""
    sent = []
    for person_id in sorted(set(people) - {actor}, key=str):
        person = facts.person(person_id)
        if person is None or person.erased or not person.verified or not person.email:
            continue
        greeting = f"Hello {person.name},\n\n" if person.name else "Hello,\n\n"
        sent.append(Message(person.id, kind, person.email, subject, greeting + body))
    return sent


# ------------------------------------------------------------------ the process
class RuntimeFacts:
    """``Facts`` from the application (aggregates, personal keys) and the read side."""

    def __init__(self, runtime: Any, reveal: Reveal) -> None:
        self.rt, self.reveal = runtime, reveal  # ``reveal`` holds the keys of the batch's people
        self.public_url: str = runtime.settings.public_url
        self._people: dict[UUID, Recipient | None] = {}

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

    def opened(self, person_id: UUID, sealed: Any) -> str | None:
        return self.reveal(person_id, sealed) or self.rt.keys.open(person_id, sealed)


class Notifier(Projection):
    name = "notifier"
    version = 1
    tables = ()  # it writes to the outbox and the token store, which are not its own to empty
    ddl = (HISTORY_DDL,)
    starts_at_head = True
    reads = ("projects",)  # a project's followers, and the projects sharing its tags

    @classmethod
    def topics(cls) -> tuple[str, ...]:
        return tuple(sorted({*FOLLOWED_TOPICS, get_topic(HistoryMark.Written)}))

    def batch(self, events: list[Any], reveal: Reveal, context: Any) -> list[Statement]:
        """The messages for a batch; nothing for events written as history (a mark lists
        them, earlier in this batch or in one before it)."""
        if context is None:
            raise RuntimeError("The notifier needs the runtime to look people and projects up.")
        facts = RuntimeFacts(context, reveal)
        statements: list[Statement] = []
        history = _history_pending(context.db)
        here = {(str(e.originator_id), e.originator_version) for e in events}
        for event in events:
            key = (str(event.originator_id), event.originator_version)
            if isinstance(event, HistoryMark.Written):
                listed = {(str(i), int(v)) for i, v, topic in event.events if topic in FOLLOWED_TOPICS}
                history |= listed
                statements += [Statement(REMEMBER, _pair(k)) for k in sorted(listed - here)]
            elif key in history:
                history.discard(key)
                statements.append(Statement(FORGET, _pair(key)))
            else:
                for message in messages(event, facts):
                    statements += _stored(event, message)
        return statements


REMEMBER = (
    "INSERT INTO notifier_history (originator_id, originator_version) VALUES (:id, :version)"
    " ON CONFLICT (originator_id, originator_version) DO NOTHING"
)
FORGET = "DELETE FROM notifier_history WHERE originator_id = :id AND originator_version = :version"


def _pair(key: tuple[str, int]) -> dict[str, Any]:
    return {"id": key[0], "version": key[1]}


def _history_pending(db: Any) -> set[tuple[str, int]]:
    rows = db.query("SELECT originator_id, originator_version FROM notifier_history")
    return {(str(r["originator_id"]), int(r["originator_version"])) for r in rows}


def _stored(event: Any, message: Message) -> list[Statement]:
    """The message's outbox row and, if its link carries one, the token it mails."""
    dedupe = f"{event.originator_id}:{event.originator_version}:{message.kind}:{message.person_id}"
    message_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"pipeline-outbox:{dedupe}"))
    body, stored = message.body, []
    if message.token_purpose:
        token, (sql, params) = sessions.new_token(message.token_purpose, message.person_id, message.recipient)
        body = body.replace(TOKEN_SLOT, token)
        stored.append(Statement(sql, params))
    sql, params = mail.new_message(
        message_id, message.person_id, message.kind, message.recipient, message.subject, body, dedupe=dedupe
    )
    return [Statement(sql, params), *stored]
