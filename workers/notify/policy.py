"""Who is told what: the notifier's policy, a pure function of an event and what the read
side knows (``Facts``), unit-tested without a database. ``workers.notify.notifier`` is the process
that runs it over the log and delivers what it decides (at once, in a digest, or not at all,
as each recipient chose).

``HANDLERS`` maps each event class the notifier follows to the function that decides; the
functions live by subject: the account's own messages here, a project's news and its
people in ``workers.notify.notices.project``, pledges and the goal in ``workers.notify.notices.goal``, a
new project's matches in ``workers.notify.notices.matching``. Every message is of one kind of
``domain.notifications.KINDS``; each person gets at most one message per event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.comment import Comment
from domain.interest import ContributionRequest, Follow, Need, StatusUpdate
from domain.person import UNDONE, Person
from domain.project import Project
from domain.reminders import DeadlineWarning, ProjectNudge
from workers.adapters import sessions
from workers.notify.notices import discussion, goal
from workers.notify.notices import project as around
from workers.notify.notices.base import TOKEN_SLOT, Facts, Message, ProjectFacts, Recipient, RequestFacts
from workers.notify.notices.matching import matching_interest

__all__ = ["FOLLOWED", "FOLLOWED_TOPICS", "TOKEN_SLOT", "Facts", "Message", "ProjectFacts", "Recipient", "RequestFacts"]

Decide = Callable[[Any, Facts], list[Message]]


def messages(event: Any, facts: Facts) -> list[Message]:
    """Who is told what about ``event``; [] for events nobody is told about."""
    decide = HANDLERS.get(type(event))
    return decide(event, facts) if decide is not None else []


def _edited(event: Project.Edited, facts: Facts) -> list[Message]:
    fields = ", ".join(sorted(event.changes)).replace("_", " ")
    return around.news(facts, event.originator_id, event.actor, "edited", f"Changed: {fields}.")


def _restored(event: Project.FieldRestored, facts: Facts) -> list[Message]:
    """A field restored to an earlier value is an edit to those who follow: the same kind
    (``project-news``), so the same choices and digests, naming the version it came from."""
    fields = ", ".join(sorted(event.changes)).replace("_", " ")
    detail = f"Restored as it was at version {event.restored_version}: {fields}."
    return around.news(facts, event.originator_id, event.actor, "edited", detail)


def _phase(event: Project.PhaseChanged, facts: Facts) -> list[Message]:
    detail = f"The project moved to the {event.phase} phase."
    return around.news(facts, event.originator_id, event.actor, f"now in {event.phase}", detail)


def _posted(event: StatusUpdate.Posted, facts: Facts) -> list[Message]:
    if facts.hidden_now(event.originator_id):
        return []
    return around.news(facts, event.project_id, event.author_id, "a status update", event.body)


def _signed_up(
    event: Person.SignedUp | Person.EmailChanged, facts: Facts
) -> list[Message]:  # both carry the address to verify
    return _verification(facts, event.originator_id, facts.opened(event.originator_id, event.email))


def _email_changed(event: Person.EmailChanged, facts: Facts) -> list[Message]:
    """The new address gets its verification link; the address given up is told, with a link
    that undoes the change (``POST /api/v1/email-changes/undo``)."""
    if getattr(event, "reason", None) == UNDONE:  # the owner took their address back: no undo of that
        return _signed_up(event, facts)
    return _signed_up(event, facts) + _address_given_up(facts, event.originator_id, event.originator_version)


HANDLERS: dict[type, Decide] = {
    Person.SignedUp: _signed_up,
    Person.EmailChanged: _email_changed,
    Person.VerificationRequested: lambda e, facts: _verification(facts, e.originator_id, None),
    # No longer written (a request leaves no event: see ``reset_message``); one stored by an
    # older version that the notifier has not reached yet is still mailed.
    Person.PasswordResetRequested: lambda e, facts: reset_message(facts, e.originator_id),
    Project.Proposed: matching_interest,
    Project.Edited: _edited,
    Project.FieldRestored: _restored,
    Project.PhaseChanged: _phase,
    StatusUpdate.Posted: _posted,
    Follow.Followed: around.new_follower,
    Follow.Refollowed: around.new_follower,
    Need.Declared: around.need_declared,
    Need.Redeclared: around.need_declared,
    ContributionRequest.Requested: around.contribution_requested,
    ContributionRequest.Reminded: around.request_reminded,
    ContributionRequest.Approved: around.request_answered,
    ContributionRequest.Declined: around.request_answered,
    Project.Archived: lambda e, facts: around.archived(e, facts, restored=False),
    Project.Restored: lambda e, facts: around.archived(e, facts, restored=True),
    ProjectNudge.Sent: around.nudged,
    Project.PledgeMade: goal.pledge_changed,
    Project.PledgeAmended: goal.pledge_changed,
    Project.PledgeWithdrawn: goal.pledge_changed,
    Project.GoalSet: goal.goal_set,
    Project.GoalDecided: goal.goal_decided,
    DeadlineWarning.Given: goal.deadline_soon,
    Comment.Posted: discussion.comment_posted,
}
FOLLOWED = tuple(HANDLERS)
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
    purpose, generation = sessions.VERIFY_EMAIL, person.verification_generation
    return [Message(person.id, purpose, person.email, subject, body, purpose, generation=generation)]


def _address_given_up(facts: Facts, person_id: UUID, version: int) -> list[Message]:
    """Tell the address the account just left, with a "this wasn't me" link bound to it. Sent
    whether or not it was verified (it was the account's address), never to an erased person."""
    person = facts.person(person_id)
    former = facts.former_address(person_id, version)
    if person is None or person.erased or not former:
        return []
    # Told even if the account holds that address again by now (a thief's A -> B -> A done before
    # the notifier got here): the owner must still hear of it, and their link must exist.
    body = (
        "Hello,\n\nThe email address of your Pipeline account was just changed from this address to "
        "another one.\n\nIf that was you, there is nothing to do.\n\n"
        "If it was not you, open this link: it signs every session of the account out, gives the "
        "account this address back (if nobody else has taken it meanwhile) and removes its password, "
        "so that you can choose a new one with a reset link:\n\n"
        f"{facts.public_url}/undo-email-change?token={TOKEN_SLOT}\n\n"
        "It works once and expires in 7 days.\n"
    )
    subject = "The email address of your Pipeline account was changed"
    purpose = sessions.UNDO_EMAIL_CHANGE
    return [Message(person.id, EMAIL_CHANGED, former, subject, body, purpose)]


EMAIL_CHANGED = "email-changed"


def reset_message(facts: Facts, person_id: UUID) -> list[Message]:
    """The link goes to the address the account holds, never to one typed in a request."""
    person = facts.person(person_id)
    if person is None or person.erased or not person.email:
        return []
    body = (
        "Someone asked to reset the password of your Pipeline account. To choose a new one, open:\n\n"
        f"{facts.public_url}/reset-password?token={TOKEN_SLOT}\n\n"
        "It works once and expires in an hour. If it was not you, ignore this message.\n"
    )
    purpose, generation = sessions.RESET_PASSWORD, person.reset_generation
    subject = "Reset your Pipeline password"
    return [Message(person.id, purpose, person.email, subject, body, purpose, generation=generation)]
