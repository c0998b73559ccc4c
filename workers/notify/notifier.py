"""The notifier: a log follower that decides who is emailed about which event.

``workers.notify.policy.messages`` is the policy, a pure function of an event and what the
read side knows (``Facts``). ``Notifier`` is the process around it: it
follows the log with its own tracking position like any view, and writes the messages
(and the single-use tokens their links carry) to the outbox in the same transaction as
its new position, so each event is acted on once. It starts at the head of the log and a
rebuild moves it back there: a replay, a restore or a new deployment on an old history
sends nothing for the past. Each message also has a key made of its event, recipient and
kind, unique in the outbox, so even a follower moved back by hand sends nothing twice.
Sending is separate: the outbox's messages are sent by jobs (or inline when embedded).

Delivery follows each recipient's choices (``domain.notifications``): a kind they switched
off is dropped; if they chose a daily or weekly digest, a kind that may wait goes to
``digest_items`` instead (``workers.notify.digests`` sends those, once per period)."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any, Protocol

from eventsourcing.utils import get_topic

from domain.history import HistoryMark
from domain.notifications import IMMEDIATE, KINDS, switched_off
from projections.base import Projection, Recorded, Reveal, Statement, timestamp
from projections.context import FollowerContext
from projections.db import ReadDatabase
from workers.adapters import mail, sessions
from workers.notify import emails
from workers.notify.facts import RuntimeFacts
from workers.notify.policy import FOLLOWED_TOPICS, TOKEN_SLOT, Facts, Message, messages, reset_message

log = logging.getLogger(__name__)

# Events listed by a history mark (``domain.history``) that the notifier has not reached by
# the end of the batch holding the mark: it skips them when it gets there.
HISTORY_DDL = (
    "CREATE TABLE IF NOT EXISTS notifier_history ("
    " originator_id TEXT NOT NULL, originator_version BIGINT NOT NULL,"
    " PRIMARY KEY (originator_id, originator_version))"
)


PARTS = 2  # the notifier is split in two by aggregate, so two workers can share its work
MARK = get_topic(HistoryMark.Written)


def part_of(originator_id: Any) -> int:
    """Which part of the notifier acts on an aggregate's events: all of one aggregate's events
    go to one part, in order; messages are keyed by event and no message depends on another
    aggregate's, so the parts are independent."""
    return int(uuid.UUID(str(originator_id)).int % PARTS)


class Notifier(Projection):
    """Part 0 of the notifier (part 1 is ``SecondNotifier``)."""

    name = "notifier"
    part = 0
    version = 1
    tables = ()  # it writes to the outbox and the token store, which are not its own to empty
    ddl = (HISTORY_DDL,)
    starts_at_head = True
    reads = ("projects", "project_updates", "interests", "people")  # followers, askers, interests, members

    @classmethod
    def topics(cls) -> tuple[str, ...]:
        return tuple(sorted({*FOLLOWED_TOPICS, MARK}))

    def accepts(self, notification: Any) -> bool:
        """Its own part's events, and every history mark (each part skips its own listed events)."""
        return notification.topic == MARK or part_of(notification.originator_id) == self.part

    def owns(self, originator_id: Any) -> bool:
        return part_of(originator_id) == self.part

    def batch(self, events: list[Any], reveal: Reveal, context: FollowerContext | None) -> list[Statement]:
        """The messages for a batch; nothing for events written as history (a mark lists
        them, earlier in this batch or in one before it)."""
        if context is None:
            raise RuntimeError("The notifier needs the runtime to look people and projects up.")
        facts = RuntimeFacts(context, reveal, events)
        statements: list[Statement] = []
        history = {key for key in _history_pending(context.db) if self.owns(key[0])}
        here = {(str(e.originator_id), e.originator_version) for e in events}
        for event in events:
            key = (str(event.originator_id), event.originator_version)
            if isinstance(event, HistoryMark.Written):
                listed = {(str(i), int(v)) for i, v, topic in event.events if topic in FOLLOWED_TOPICS and self.owns(i)}
                history |= listed
                statements += [Statement(REMEMBER, _pair(k)) for k in sorted(listed - here)]
            elif key in history:
                history.discard(key)
                statements.append(Statement(FORGET, _pair(key)))
            else:
                for message in messages(event, facts):
                    statements += delivered(event, message, facts)
        return statements


class SecondNotifier(Notifier):
    """Part 1 of the notifier. Added beside part 0, it starts where part 0 was: until then
    part 0 acted on every aggregate's events."""

    name = "notifier-2"
    part = 1
    starts_beside = "notifier"


NOTIFIERS: tuple[Notifier, ...] = (Notifier(), SecondNotifier())
NAMES = frozenset(n.name for n in NOTIFIERS)


REMEMBER = (
    "INSERT INTO notifier_history (originator_id, originator_version) VALUES (:id, :version)"
    " ON CONFLICT (originator_id, originator_version) DO NOTHING"
)
FORGET = "DELETE FROM notifier_history WHERE originator_id = :id AND originator_version = :version"


def _pair(key: tuple[str, int]) -> dict[str, Any]:
    return {"id": key[0], "version": key[1]}


def _history_pending(db: ReadDatabase) -> set[tuple[str, int]]:
    rows = db.query("SELECT originator_id, originator_version FROM notifier_history")
    return {(str(r["originator_id"]), int(r["originator_version"])) for r in rows}


def delivered(event: Recorded, message: Message, facts: Facts) -> list[Statement]:
    """Where ``message`` goes, as its recipient chose: nowhere, their digest, or the outbox."""
    kind = KINDS.get(message.kind)
    choices = facts.preferences(message.person_id)
    if switched_off(message.kind, choices["off"]):
        return []
    dedupe = f"{event.originator_id}:{event.originator_version}:{message.kind}:{message.person_id}"
    events = [f"{event.originator_id}:{event.originator_version}", *message.events]
    if kind is not None and kind.digestible and choices["frequency"] != IMMEDIATE:
        return [Statement(DIGEST_ITEM, _digest_item(dedupe, message, events, event))]
    return _stored(dedupe, message, events, facts)


DIGEST_ITEM = (
    "INSERT INTO digest_items (dedupe, person_id, kind, project_id, project_title, subject, body, events, created_at)"
    " VALUES (:dedupe, :person, :kind, :project, :title, :subject, :body, :events, :at) ON CONFLICT DO NOTHING"
)


def _digest_item(dedupe: str, message: Message, events: list[str], event: Recorded) -> dict[str, Any]:
    return {
        "dedupe": dedupe,
        "person": str(message.person_id),
        "kind": message.kind,
        "project": str(message.project_id) if message.project_id else None,
        "title": message.project_title,
        "subject": mail.one_line(message.subject),
        "body": message.summary or message.subject,
        "events": json.dumps(events),
        "at": timestamp(event.timestamp),
    }


def _stored(dedupe: str, message: Message, events: list[str], facts: Facts) -> list[Statement]:
    """The message's outbox row (its body framed with the footer and, for a kind one may
    switch off, the one-click unsubscribe link) and, if its link carries one, the token it mails."""
    message_id = mail.message_id_for(dedupe)
    kind = KINDS.get(message.kind)
    switchable = kind is not None and kind.switchable
    unsubscribe_url = facts.unsubscribe_url(message.person_id, message.kind) if switchable else None
    text, html = emails.framed(
        message.body,
        message.html,
        subject=message.subject,
        unsubscribe_url=unsubscribe_url,
        kind_label=message.kind.replace("-", " "),
        preferences_url=emails.preferences_url(facts.public_url),
    )
    stored = []
    if message.token_purpose:
        purpose, person, recipient = message.token_purpose, message.person_id, message.recipient
        token, (sql, params) = sessions.new_token(purpose, person, recipient, message.generation)
        text, html = text.replace(TOKEN_SLOT, token), html.replace(TOKEN_SLOT, token)
        stored.append(Statement(sql, params))
    sql, params = mail.new_message(
        message_id,
        message.person_id,
        message.kind,
        message.recipient,
        message.subject,
        text,
        dedupe=dedupe,
        html=html,
        unsubscribe_url=unsubscribe_url,
        events=events,
        project_id=str(message.project_id) if message.project_id else None,
    )
    return [Statement(sql, params), *stored]


class Resetting(FollowerContext, Protocol):
    """What mailing a reset link uses: a follower's lookups, and the dispatcher to send it."""

    @property
    def dispatcher(self) -> mail.SendRequests: ...


def send_password_reset(rt: Resetting, email: str) -> str | None:
    """Mail a reset link to the account with ``email``, if there is one: its message and token
    go straight to the outbox in one transaction, then to the dispatcher (sent inline when
    embedded, by a job otherwise). No event is written, so nothing public (the log's head, the
    person's history) moves: a request tells nobody whether the address has an account.
    Returns the outbox id, or None if there is no such account."""
    person = rt.app.reset_recipient(email)
    if person is None:
        return None
    facts = RuntimeFacts(rt, rt.keys.revealer([person.id]))
    found = None
    for message in reset_message(facts, person.id):
        dedupe = f"password-reset:{uuid.uuid4()}"  # each request is its own message
        with rt.db.transaction() as tx:
            for statement in _stored(dedupe, message, [], facts):
                tx.execute(statement.sql, dict(statement.params))
        found = mail.message_id_for(dedupe)
        rt.dispatcher.request_email(found)
    return found
