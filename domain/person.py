"""People: someone who signed up, belonging to one organisation at a time.

Personal fields (``name``, ``email``, ``job_title``, ``password_hash``) hold values
sealed with the person's own key (see ``domain.personal``), never plain text."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from domain.addresses import mailbox
from domain.clock import Aggregate, event
from domain.errors import Conflict, NotAllowed, RuleBroken

MEMBER = "member"  # may act for the organisation: propose, edit, pledge, post, approve
PENDING = "pending"  # claims the organisation; waits for an admin (or a matching verified email)
UNDONE = "undone by the address given up"  # an address change a "this wasn't me" link made
BY_DOMAIN = "verified email on "  # how a membership earned by the address's domain gives its reason


HELD_AFTER_CHANGE = timedelta(days=7)  # as long as the undo link mailed to the address given up

# What a person's public page may show besides their name, job title and organisation, each
# their choice: the projects they proposed, are on the team of or are key contact for, the
# pledges they made for their organisation, and what they follow. Follows are a list nobody
# else shows in one place, so they are shown only when the person says so.
PAGE_SECTIONS = ("projects", "pledges", "follows", "comments")
# What is public elsewhere already (project pages) is shown unless the person chooses otherwise.
SHOWN_BY_DEFAULT = ("projects", "pledges", "comments")


def email_key(email: str) -> str:
    """Emails are unique per mailbox: case, quoting and spaces aside (``domain.addresses``)."""
    return mailbox(email)


class Person(Aggregate):
    """A person and the organisation they act for. Events carry the organisation's
    id and kind as they were when the person acted, and who acted (``actor``)."""

    page_shown: tuple[str, ...] | list[str] = SHOWN_BY_DEFAULT  # until they choose (PageSectionsChosen)

    class SignedUp(Aggregate.Created):
        name: str
        email: str
        job_title: str | None
        organisation_id: UUID
        organisation_kind: str
        password_hash: str | None
        imported: dict[str, Any] | None

    @event(SignedUp)
    def __init__(
        self,
        id: UUID,  # chosen first, so personal fields can be sealed with the person's key
        name: str,
        email: str,
        job_title: str | None,
        organisation_id: UUID,
        organisation_kind: str,
        password_hash: str | None = None,
        imported: dict[str, Any] | None = None,  # taken in from another system (domain.legacy)
    ) -> None:
        self.imported = imported
        self.name: str | None = name  # sealed, like every personal field; None once erased
        self.email: str | None = email
        self.job_title = job_title
        self.organisation_id: UUID | None = organisation_id
        self.organisation_kind: str | None = organisation_kind
        self.password_hash = password_hash
        self.email_verified = False
        self.is_operator = False
        self.is_evaluator = False  # may read the whole event log (GET /api/v1/events)
        self.erased = False
        self.membership: str | None = PENDING
        self.excluded_from: list[UUID] = []  # organisations that removed or declined this person
        # How often the address and the password changed: an emailed link carries the count of
        # its moment (``link_generation``) and works only while it is still the count of now.
        self.email_changes = 0
        self.former_emails: list[str] = []  # sealed addresses given up (an undo link names one)
        self.password_changes = 0
        self.admitted_by_domain = False  # membership earned by the address, not granted by an admin

    @property
    def is_member(self) -> bool:
        """A member of their organisation, entitled to act for it."""
        return self.organisation_id is not None and self.membership == MEMBER and not self.erased

    @property
    def belongs_to(self) -> UUID:
        """The organisation they belong to, for a command that needs one (NotAllowed if none)."""
        if self.organisation_id is None:
            raise NotAllowed("You belong to no organisation: join one first (PATCH /api/v1/me).")
        return self.organisation_id

    @property
    def verification_generation(self) -> int:
        """A verification link's generation: any change of address voids older links."""
        return self.email_changes

    @property
    def reset_generation(self) -> int:
        """A reset link's generation: any change of address or password voids older links."""
        return self.email_changes + self.password_changes

    def _require_active(self) -> None:
        if self.erased:
            raise RuleBroken("This person has been erased.")

    class EmailVerified(Aggregate.Event):
        pass

    @event(EmailVerified)
    def verify_email(self) -> None:
        self.email_verified = True

    def request_verification(self) -> None:
        """Ask for the verification email again (the notifier sends it to the address of now)."""
        self._require_active()
        if self.email_verified:
            raise Conflict("The email address is already verified.")
        self._request_verification()

    class VerificationRequested(Aggregate.Event):
        pass

    @event(VerificationRequested)
    def _request_verification(self) -> None:
        pass

    class PasswordResetRequested(Aggregate.Event):
        pass

    @event(PasswordResetRequested)
    def _request_password_reset(self) -> None:
        """Stored history only: a reset request is no longer an event (it told anyone reading
        the public log which addresses have accounts); the link goes straight to the outbox."""

    def change_password(self, password_hash: str, *, reason: str, actor: UUID | None) -> None:
        self._require_active()
        self._change_password(password_hash=password_hash, reason=reason, actor=actor)

    def remove_password(self, *, reason: str, actor: UUID | None) -> None:
        """No password signs in any more: a reset link sets a new one."""
        self._require_active()
        if self.password_hash is not None:
            self._change_password(password_hash=None, reason=reason, actor=actor)

    class PasswordChanged(Aggregate.Event):
        password_hash: str | None
        reason: str
        actor: UUID | None

    @event(PasswordChanged)
    def _change_password(self, password_hash: str | None, reason: str, actor: UUID | None) -> None:
        self.password_hash = password_hash
        self.password_changes += 1

    def change_profile(self, changes: dict[str, Any], *, actor: UUID | None) -> None:
        """``changes``: sealed ``name`` and/or ``job_title``."""
        self._require_active()
        if changes:
            self._change_profile(changes=changes, actor=actor)

    class ProfileChanged(Aggregate.Event):
        changes: dict[str, Any]
        actor: UUID | None

    @event(ProfileChanged)
    def _change_profile(self, changes: dict[str, Any], actor: UUID | None) -> None:
        for field, value in changes.items():
            setattr(self, field, value)

    def change_email(self, email: str, *, actor: UUID | None, reason: str | None = None) -> None:
        """``reason``: None for a change the person made; ``UNDONE`` when a "this wasn't me" link
        gave the account an address back (the address left then is not offered an undo)."""
        self._require_active()
        self._change_email(email=email, actor=actor, reason=reason)

    class EmailChanged(Aggregate.Event):
        email: str
        actor: UUID | None
        reason: str | None

    @event(EmailChanged)
    def _change_email(self, email: str, actor: UUID | None, reason: str | None = None) -> None:
        if self.email:
            self.former_emails.append(self.email)
        self.email = email
        self.email_verified = False
        self.email_changes += 1

    def move_to(self, organisation_id: UUID, organisation_kind: str, *, actor: UUID | None = None) -> None:
        """Move to another organisation (people change councils): a pending member there."""
        self._require_active()
        if organisation_id == self.organisation_id:
            raise RuleBroken("The person already belongs to that organisation.")
        self._move(
            from_organisation_id=self.organisation_id,
            from_organisation_kind=self.organisation_kind,
            organisation_id=organisation_id,
            organisation_kind=organisation_kind,
            actor=actor,
        )

    class MovedOrganisation(Aggregate.Event):
        from_organisation_id: UUID | None
        from_organisation_kind: str | None
        organisation_id: UUID
        organisation_kind: str
        actor: UUID | None

    @event(MovedOrganisation)
    def _move(
        self,
        from_organisation_id: UUID | None,
        from_organisation_kind: str | None,
        organisation_id: UUID,
        organisation_kind: str,
        actor: UUID | None = None,
    ) -> None:
        self.organisation_id = organisation_id
        self.organisation_kind = organisation_kind
        self.membership = PENDING
        self.admitted_by_domain = False

    def admit(self, *, actor: UUID | None, reason: str, by_domain: bool = False) -> None:
        """Make a pending member a member of their organisation (``by_domain``: earned by a
        verified address on its domains, so kept only while the address stays on them)."""
        self._require_active()
        if self.organisation_id is None:
            raise RuleBroken("The person belongs to no organisation.")
        if self.membership == MEMBER:
            raise RuleBroken("The person is already a member of the organisation.")
        self._admit(organisation_id=self.organisation_id, actor=actor, reason=reason, by_domain=by_domain)

    class MembershipApproved(Aggregate.Event):
        organisation_id: UUID
        actor: UUID | None
        reason: str
        by_domain: bool | None

    @event(MembershipApproved)
    def _admit(self, organisation_id: UUID, actor: UUID | None, reason: str, by_domain: bool | None = None) -> None:
        self.membership = MEMBER
        # events stored before ``by_domain`` existed say it in their reason
        self.admitted_by_domain = reason.startswith(BY_DOMAIN) if by_domain is None else by_domain
        if organisation_id in self.excluded_from:
            self.excluded_from.remove(organisation_id)

    def lapse_membership(self, *, actor: UUID | None, reason: str) -> None:
        """A member by domain whose address left the organisation's domains: pending again,
        until an admin approves them or they verify an address on one of its domains."""
        self._require_active()
        if self.organisation_id is None or self.membership != MEMBER or not self.admitted_by_domain:
            raise RuleBroken("Only a member admitted by their address's domain can lose membership by it.")
        self._lapse(organisation_id=self.organisation_id, actor=actor, reason=reason)

    class MembershipLapsed(Aggregate.Event):
        organisation_id: UUID
        actor: UUID | None
        reason: str

    @event(MembershipLapsed)
    def _lapse(self, organisation_id: UUID, actor: UUID | None, reason: str) -> None:
        self.membership = PENDING
        self.admitted_by_domain = False

    def decline(self, *, actor: UUID | None, reason: str | None) -> None:
        """Refuse a pending member: they leave the organisation and stay out until approved."""
        self._require_active()
        if self.organisation_id is None or self.membership != PENDING:
            raise RuleBroken("Only a pending member can be declined.")
        self._decline(
            organisation_id=self.organisation_id, organisation_kind=self.organisation_kind, actor=actor, reason=reason
        )

    class MembershipDeclined(Aggregate.Event):
        organisation_id: UUID
        organisation_kind: str | None
        actor: UUID | None
        reason: str | None

    @event(MembershipDeclined)
    def _decline(
        self, organisation_id: UUID, organisation_kind: str | None, actor: UUID | None, reason: str | None
    ) -> None:
        self.organisation_id = self.organisation_kind = self.membership = None
        self.admitted_by_domain = False
        self.excluded_from.append(organisation_id)

    def remove_from_organisation(self, *, actor: UUID | None) -> None:
        """An organisation admin removed this person; they belong nowhere until they move."""
        self._require_active()
        if self.organisation_id is None:
            raise RuleBroken("The person belongs to no organisation.")
        self._remove(organisation_id=self.organisation_id, organisation_kind=self.organisation_kind, actor=actor)

    class RemovedFromOrganisation(Aggregate.Event):
        organisation_id: UUID
        organisation_kind: str | None
        actor: UUID | None

    @event(RemovedFromOrganisation)
    def _remove(self, organisation_id: UUID, organisation_kind: str | None, actor: UUID | None) -> None:
        self.organisation_id = None
        self.organisation_kind = None
        self.membership = None
        self.admitted_by_domain = False
        if organisation_id not in self.excluded_from:
            self.excluded_from.append(organisation_id)

    def choose_page_sections(self, shown: list[str], *, actor: UUID | None) -> bool:
        """Choose what their page shows (``PAGE_SECTIONS``); False if that is what it shows already."""
        self._require_active()
        unknown = sorted(set(shown) - set(PAGE_SECTIONS))
        if unknown:
            raise RuleBroken(f"A page has no section called {', '.join(unknown)}.")
        ordered = [section for section in PAGE_SECTIONS if section in shown]
        if ordered == list(self.page_shown):
            return False
        self._choose_page_sections(shown=ordered, actor=actor)
        return True

    class PageSectionsChosen(Aggregate.Event):
        shown: list[str]
        actor: UUID | None

    @event(PageSectionsChosen)
    def _choose_page_sections(self, shown: list[str], actor: UUID | None) -> None:
        self.page_shown = list(shown)

    class OperatorGranted(Aggregate.Event):
        pass

    @event(OperatorGranted)
    def grant_operator(self) -> None:
        self.is_operator = True

    class OperatorRevoked(Aggregate.Event):
        pass

    @event(OperatorRevoked)
    def revoke_operator(self) -> None:
        self.is_operator = False

    @property
    def suspended(self) -> dict[str, Any] | None:
        """Why and by whom an operator suspended the person (None while they may sign in).
        Read with a default: a snapshot from before suspension existed lacks the attribute."""
        return self.__dict__.get("_suspension")

    def suspend(self, reason: str, *, actor: UUID) -> None:
        self._require_active()
        if self.suspended:
            raise Conflict("The person is already suspended.")
        if actor == self.id:
            raise RuleBroken("You cannot suspend yourself.")
        self._suspend(reason=reason, actor=actor)

    class Suspended(Aggregate.Event):
        reason: str
        actor: UUID

    @event(Suspended)
    def _suspend(self, reason: str, actor: UUID) -> None:
        self._suspension: dict[str, str] | None = {"reason": reason, "actor": str(actor)}

    def reinstate(self, reason: str, *, actor: UUID) -> None:
        self._require_active()
        if not self.suspended:
            raise Conflict("The person is not suspended.")
        self._reinstate(reason=reason, actor=actor)

    class Reinstated(Aggregate.Event):
        reason: str
        actor: UUID

    @event(Reinstated)
    def _reinstate(self, reason: str, actor: UUID) -> None:
        self._suspension = None

    class EvaluatorGranted(Aggregate.Event):
        actor: UUID | None

    @event(EvaluatorGranted)
    def grant_evaluator(self, actor: UUID | None) -> None:
        self.is_evaluator = True

    class EvaluatorRevoked(Aggregate.Event):
        actor: UUID | None

    @event(EvaluatorRevoked)
    def revoke_evaluator(self, actor: UUID | None) -> None:
        self.is_evaluator = False

    class Erased(Aggregate.Event):
        actor: UUID | None

    @event(Erased)
    def erase(self, actor: UUID | None) -> None:
        """Record that the person was erased: the event holds no personal data."""
        self.erased = True
        self.name = self.email = self.job_title = self.password_hash = None
        self.former_emails = []
        self.is_operator = self.is_evaluator = False


class PersonEmail(Aggregate):
    """Index aggregate: one per email address, saved with the person it belongs to.

    Its id is a keyed hash of the address (``PersonalData.email_index_id``), so that
    nobody holding only the stored events can tell whose address it is; the address
    itself is not stored."""

    held_for: UUID | None = None  # who gave the address up by an email change (see give_up)

    class Claimed(Aggregate.Created):
        person_id: UUID

    @event(Claimed)
    def __init__(self, id: UUID, person_id: UUID) -> None:
        self.person_id: UUID | None = person_id

    class Released(Aggregate.Event):
        pass

    @event(Released)
    def release(self) -> None:
        self.person_id = None
        self.held_for = None

    class GivenUp(Aggregate.Event):
        person_id: UUID

    @event(GivenUp)
    def give_up(self, person_id: UUID) -> None:
        """The account changed to another address. For ``HELD_AFTER_CHANGE`` it alone may take
        this one back (the "this wasn't me" link mailed here works that long): nobody else can
        squat it meanwhile to stop the owner's undo."""
        self.person_id = None
        self.held_for = person_id

    def free_for(self, person_id: UUID, moment: datetime) -> bool:
        """Whether ``person_id`` may claim the address at ``moment``."""
        if self.person_id is not None:
            return False
        held = self.held_for not in (None, person_id)
        return not (held and self.modified_on is not None and moment < self.modified_on + HELD_AFTER_CHANGE)

    class Reclaimed(Aggregate.Event):
        person_id: UUID

    @event(Reclaimed)
    def reclaim(self, person_id: UUID) -> None:
        self.person_id = person_id
