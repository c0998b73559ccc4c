"""Commands about people and their accounts: sign-up, verification, passwords,
profile, organisation membership and admins, operators, and erasure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain import clock
from domain import passwords as policy
from domain.base import ApplicationBase, held_apart
from domain.errors import Conflict, DuplicateEmail, LinkExpired, NotAllowed, NotFound, RuleBroken
from domain.inputs import OrganisationRef, ProfileChanges
from domain.person import UNDONE, Person, PersonEmail, email_key
from domain.results import Written, position_of

if TYPE_CHECKING:  # pragma: no cover
    from domain.organisation import Organisation


UNDO_REASON = "email change undone"  # why an undo removes the password


@dataclass(frozen=True)
class Undone:
    written: Written
    restored: bool  # the account has the address back (False: someone else holds it now)


class AccountCommands(ApplicationBase):
    """People and their accounts; composed into ``PipelineApplication``."""

    # ------------------------------------------------------------------ sign-up
    def sign_up(
        self,
        *,
        name: str,
        email: str,
        job_title: str | None,
        organisation: OrganisationRef,
        password: str,
    ) -> Written:
        """Sign a person up under an organisation, creating the organisation if new."""
        email = email.strip()
        policy.check(password, email=email, name=name)
        password_hash = self.passwords.hash(password)
        for _attempt in range(3):
            self._refuse_taken_email(email)
            org, created = self.resolve_organisation(organisation, create=True)
            try:
                extra = [org, *self.refuse_taken_name(org.name, org.id)] if created else []
            except Conflict:
                continue  # another sign-up created an organisation of that name a moment ago: resolve again
            person_id = uuid4()
            self.personal.new_key(person_id)
            try:
                person = self._new_person(person_id, name, email, job_title, org, password_hash)
                if created:  # whoever creates an organisation is its first member and admin
                    person.admit(actor=None, reason="created the organisation")
                    org.appoint_admin(person.id, actor=None, reason="created the organisation")
                recordings = self.save(*extra, person, self._claim_email(email, person_id))
            except IntegrityError:
                owner = self.email_owner(email)
                if owner == person_id:  # our commit landed; only its acknowledgement was lost
                    return Written(self.get_person(person_id), self.recorder.max_notification_id(), org)
                self.personal.forget(person_id)
                if owner is not None:
                    raise DuplicateEmail("Someone has already signed up with that email.") from None
                continue  # another sign-up created the same organisation: resolve again
            except BaseException:
                self.personal.forget(person_id)  # nothing was saved: leave no key behind
                raise
            return Written(person, position_of(recordings), org)
        raise RuleBroken("The organisation changed while signing up; please try again.")

    def _new_person(
        self,
        person_id: UUID,
        name: str,
        email: str,
        job_title: str | None,
        org: Organisation,
        password_hash: str,
    ) -> Person:
        seal = self.personal.seal
        return Person(
            id=person_id,
            name=seal(person_id, name),
            email=seal(person_id, email),
            job_title=seal(person_id, job_title),
            organisation_id=org.id,
            organisation_kind=org.kind,
            password_hash=seal(person_id, password_hash),
        )

    def _refuse_taken_email(self, email: str) -> None:
        if self.email_owner(email) is not None:
            raise DuplicateEmail("Someone has already signed up with that email.")

    def _claim_email(self, email: str, person_id: UUID) -> PersonEmail:
        index_id = self.personal.email_index_id(email)
        try:
            index: PersonEmail = self.repository.get(index_id)
        except AggregateNotFoundError:
            return PersonEmail(id=index_id, person_id=person_id)
        if not index.free_for(person_id, clock.now()):  # held, or given up by another account lately
            raise DuplicateEmail("Someone has already signed up with that email.")
        index.reclaim(person_id)  # released by an erasure, or given up by an email change
        return index

    def email_owner(self, email: str) -> UUID | None:
        try:
            return self.repository.get(self.personal.email_index_id(email)).person_id
        except AggregateNotFoundError:
            return None

    # ------------------------------------------------------------------ reading
    @staticmethod
    def require_own_account(person_id: UUID, actor: UUID | None) -> None:
        """People change only their own account. ``None`` is the system itself: the command
        line, or a reset link that proved who is asking."""
        if actor is not None and actor != person_id:
            raise NotAllowed("You may change only your own account.")

    def reveal(self, person: Person) -> dict[str, Any]:
        """The person's own view of their account, personal fields opened."""
        opened = self.personal.open
        return {
            "id": person.id,
            "name": opened(person.id, person.name),
            "email": opened(person.id, person.email),
            "job_title": opened(person.id, person.job_title),
            "organisation_id": person.organisation_id,
            "email_verified": person.email_verified,
            "is_operator": person.is_operator,
            "is_evaluator": person.is_evaluator,
        }

    def authenticate(self, email: str, password: str) -> Person | None:
        """The person whose email and password these are, or None (never says which was wrong)."""
        owner = self.email_owner(email)
        person = self.get_person(owner) if owner else None
        hashed = self.personal.open(person.id, person.password_hash) if person and not person.erased else None
        if not hashed:
            self.passwords.hash(password)  # spend the same time either way
            return None
        return person if self.passwords.verify(hashed, password) else None

    # ------------------------------------------------------- verification, passwords
    def verify_email(self, person_id: UUID, *, address: str | None = None, generation: int | None = None) -> Written:
        """Mark the address verified; on one of the organisation's domains, the person becomes
        a member (and, if the organisation has no admin yet, its admin).

        ``address`` and ``generation`` say what a link was mailed to and when (the person's
        count of address changes then): it verifies only if the person still holds that very
        address, unchanged since, in the version this saves; a concurrent write makes the save
        fail and the retry checks everything again (``LinkExpired`` once the address moved).
        Without them the system itself vouches for the address on file (command line, demo)."""
        for _attempt in range(3):
            person = self.active_person(person_id)
            if address is not None:
                self._require_link_fits(person, address, generation, person.verification_generation)
            if person.email_verified:
                return Written(person, None, None)
            org = self.organisation_of(person)  # read before deciding on its domains; held to at the save
            person.verify_email()
            changed: list[Any] = [person, *self.admit_by_domain(person)]
            try:
                return Written(person, position_of(self.save(*changed, decided_on=[org])), org)
            except IntegrityError:
                continue  # the person or the organisation changed at the same moment: decide again
        raise RuleBroken("Could not verify the email; please try again.")

    def _require_link_fits(self, person: Person, address: str, generation: int | None, current: int) -> None:
        """An emailed link works only for the address it was mailed to, while the person holds
        it, and while nothing that voids links (``Person.*_generation``) happened since."""
        on_file = self.personal.open(person.id, person.email) or ""
        if generation != current or not on_file or email_key(on_file) != email_key(address):
            raise LinkExpired()

    def request_verification(self, person_id: UUID) -> Written:
        """Send the verification email again (409 once verified)."""
        person = self.active_person(person_id)
        person.request_verification()
        return Written(person, position_of(self.save(person)), None)

    def reset_recipient(self, email: str) -> Person | None:
        """The account a password reset for ``email`` is mailed to, or None. Reading only: a
        reset request leaves no event (positions and histories are public, so one would tell
        which addresses have accounts); the link goes straight to the outbox."""
        owner = self.email_owner(email)
        person = self.get_person(owner) if owner is not None else None
        return person if person is not None and not person.erased and person.email else None

    def check_new_password(self, person_id: UUID, new_password: str) -> None:
        person = self.active_person(person_id)
        policy.check(
            new_password,
            email=self.personal.open(person.id, person.email) or "",
            name=self.personal.open(person.id, person.name) or "",
        )

    def change_password(self, person_id: UUID, new_password: str, *, reason: str, actor: UUID | None) -> Written:
        self.require_own_account(person_id, actor)
        self.check_new_password(person_id, new_password)
        person = self.active_person(person_id)
        person.change_password(
            self.personal.seal(person.id, self.passwords.hash(new_password)), reason=reason, actor=actor
        )
        return Written(person, position_of(self.save(person)), None)

    def reset_password(self, person_id: UUID, new_password: str, *, address: str, generation: int | None) -> Written:
        """Choose a new password with a reset link mailed to ``address`` at ``generation``
        (``Person.reset_generation``): refused (``LinkExpired``) once the address or the
        password changed since, checked against the version saved."""
        self.check_new_password(person_id, new_password)
        hashed = self.passwords.hash(new_password)
        for _attempt in range(3):
            person = self.active_person(person_id)
            self._require_link_fits(person, address, generation, person.reset_generation)
            sealed = self.personal.seal(person.id, hashed)
            person.change_password(sealed, reason="reset", actor=person_id)
            try:
                return Written(person, position_of(self.save(person)), None)
            except IntegrityError:
                again = self.active_person(person_id)
                if again.password_hash == sealed:  # it committed; only the acknowledgement was lost
                    return Written(again, self.recorder.max_notification_id(), None)
        raise RuleBroken("Could not change the password; please try again.")

    # ------------------------------------------------------- "this wasn't me"
    def former_addresses(self, person_id: UUID) -> list[str]:
        """Every address the person gave up, opened (the one an undo link was mailed to is among them)."""
        return self._former(self.active_person(person_id))

    def _former(self, person: Person) -> list[str]:
        """The addresses an undo link may still give back: every address given up, except one
        given up after the address an undo restored was given up, and before that undo (a
        thief's: the first address given up wins, whenever the thief's notice was mailed).
        Read from the person's events up to the version loaded, so decided on what is saved."""
        opened = lambda sealed: email_key(self.personal.open(person.id, sealed) or "")  # noqa: E731
        signed_up, changed, password = (getattr(Person, n) for n in ("SignedUp", "EmailChanged", "PasswordChanged"))
        given_up: list[str] = []  # the mailbox of each address given up, in order
        void: set[int] = set()
        current = ""
        for event in self.repository.event_store.get(person.id, lte=person.version):
            if isinstance(event, signed_up):
                current = opened(event.email) if event.email else ""
                continue
            if isinstance(event, changed):
                if current:
                    given_up.append(current)
                current = opened(event.email)
            undone = isinstance(event, changed) and event.reason == UNDONE
            undone = undone or isinstance(event, password) and event.reason == UNDO_REASON
            kept = [i for i, box in enumerate(given_up) if box == current and i not in void]
            if undone and kept:  # an undo gave ``current`` back: later give-ups were the thief's
                void.update(range(kept[-1] + 1, len(given_up)))
        live = {box for i, box in enumerate(given_up) if i not in void}
        addresses = [self.personal.open(person.id, sealed) for sealed in person.former_emails]
        return [a for a in addresses if a and email_key(a) in live]

    def undo_email_change(self, person_id: UUID, *, address: str) -> Undone:
        """Someone holding ``address``, which the account gave up, says the change was not theirs.
        The password goes (whoever changed the address knew it; a reset link sets a new one); the
        account takes ``address`` back, verified (the link mailed to it proves it), and with it a
        membership by its domain, unless someone else holds it now. Decided against the version
        saved; a concurrent write makes it decide again."""
        for _attempt in range(3):
            person = self.active_person(person_id)
            if email_key(address) not in {email_key(a) for a in self._former(person)}:
                raise LinkExpired()
            changed: list[Any] = [person]
            org = self.organisation_of(person)  # its domains decide a membership: held to at the save
            restored = email_key(self.personal.open(person.id, person.email) or "") == email_key(address)
            if not restored:
                try:
                    changed += self._change_email(person, address, actor=None, reason=UNDONE)
                    restored = True
                    # like any address change: a membership earned by the address left may end
                    changed += self.membership_follows_address(person, actor=None)
                except DuplicateEmail:
                    pass  # someone else took it meanwhile: the account keeps the address it has
            person.remove_password(reason=UNDO_REASON, actor=None)
            if restored and not person.email_verified:
                person.verify_email()
                changed += self.admit_by_domain(person)
            try:
                changed, read = held_apart(changed, person)
                saved = self.save(*changed, decided_on=[org, *read])
                return Undone(Written(person, position_of(saved), None), restored)
            except IntegrityError:
                continue
        raise RuleBroken("Could not undo the change; please try again.")

    # ------------------------------------------------------------------ profile
    def update_profile(self, person_id: UUID, changes: ProfileChanges, *, actor: UUID | None) -> Written:
        """``changes`` may hold ``name``, ``job_title``, ``email`` and ``organisation`` (a ref)."""
        self.require_own_account(person_id, actor)
        person = self.active_person(person_id)
        seal = lambda value: self.personal.seal(person.id, value)  # noqa: E731
        profile: dict[str, Any] = {field: seal(changes[field]) for field in ("name", "job_title") if field in changes}
        person.change_profile(profile, actor=actor)
        changed: list[Any] = [person]
        org = self.organisation_of(person)  # its domains decide whether a membership lapses: held to at the save
        indexes = self._change_email(person, changes["email"].strip(), actor=actor) if "email" in changes else []
        changed += indexes
        if "organisation" in changes:
            changed += self._move(person, changes["organisation"], actor=actor)
        elif indexes:  # a new address, same organisation: a membership earned by the old one may end
            changed += self.membership_follows_address(person, actor=actor)
        changed, read = held_apart(changed, person)
        try:
            return Written(person, position_of(self.save(*changed, decided_on=[org, *read])), None)
        except IntegrityError:
            raise Conflict("Your account or organisation changed at the same moment; please try again.") from None

    def _change_email(self, person: Person, email: str, *, actor: UUID | None, reason: str | None = None) -> list[Any]:
        old = self.personal.open(person.id, person.email) or ""
        if email_key(old) == email_key(email):  # another spelling of the same mailbox
            return []
        new_index = self._claim_email(email, person.id)
        old_index: PersonEmail = self.repository.get(self.personal.email_index_id(old))
        old_index.give_up(person.id)  # held for this account while its undo link works
        person.change_email(self.personal.seal(person.id, email), actor=actor, reason=reason)
        return [new_index, old_index]

    def _move(self, person: Person, ref: OrganisationRef, *, actor: UUID | None) -> list[Any]:
        org, _ = self.resolve_organisation(ref, create=False)
        changed: list[Any] = []
        if person.organisation_id is not None:
            old = self.get_organisation(person.organisation_id)
            if old.is_admin(person.id) and old.id != org.id:
                changed += [old, *self.step_down(old, person.id, actor=actor, reason="moved organisation")]
        person.move_to(org.id, org.kind, actor=actor)
        return changed + self.admit_by_domain(person)

    def move_person(self, person_id: UUID, ref: OrganisationRef, *, actor: UUID | None = None) -> Written:
        self.require_own_account(person_id, actor)
        person = self.active_person(person_id)
        changed, read = held_apart(self._move(person, ref, actor=actor), person)
        org = self.get_organisation(person.organisation_id)  # type: ignore[arg-type]
        return Written(person, position_of(self.save(person, *changed, decided_on=read)), org)

    def choose_page_sections(self, person_id: UUID, shown: list[str], *, actor: UUID | None) -> Written:
        """What the person's public page shows (``domain.person.PAGE_SECTIONS``); their choice alone."""
        self.require_own_account(person_id, actor)
        person = self.active_person(person_id)
        if not person.choose_page_sections(shown, actor=actor):
            return Written(person, None, None)
        return Written(person, position_of(self.save(person)), None)

    # ------------------------------------------------------------------ operators
    def set_operator(self, email: str, grant: bool) -> Written:
        owner = self.email_owner(email)
        if owner is None:
            raise NotFound("Nobody has signed up with that email.")
        person = self.active_person(owner)
        if person.is_operator == grant:
            return Written(person, None, None)
        person.grant_operator() if grant else person.revoke_operator()
        return Written(person, position_of(self.save(person)), None)

    def set_evaluator(self, person_id: UUID, grant: bool, *, actor: UUID | None) -> Written:
        """Grant or revoke the evaluator role (reading the whole event log); granting it twice
        (or revoking it from someone without it) records nothing."""
        person = self.active_person(person_id)
        if person.is_evaluator == grant:
            return Written(person, None, None)
        person.grant_evaluator(actor=actor) if grant else person.revoke_evaluator(actor=actor)
        return Written(person, position_of(self.save(person)), None)

    # ------------------------------------------------------------------- erasure
    def _held_addresses_freed(self, person: Person) -> list[PersonEmail]:
        """Addresses the person gave up that are still held for them (``PersonEmail.give_up``):
        nobody will undo anything once they are erased, so each is released with the erasure."""
        freed = []
        opened = (self.personal.open(person.id, sealed) for sealed in person.former_emails)
        for index_id in {self.personal.email_index_id(address) for address in opened if address}:
            try:
                index: PersonEmail = self.repository.get(index_id)
            except AggregateNotFoundError:
                continue
            if index.person_id is None and index.held_for == person.id:
                index.release()
                freed.append(index)
        return freed

    def erase(self, person_id: UUID, *, actor: UUID | None) -> Written:
        """Erase a person: record it (without their data), free their email, destroy their key."""
        self.require_own_account(person_id, actor)
        person = self.get_person(person_id)
        if person.erased:
            self.personal.forget(person.id)  # finish an erasure interrupted after its event
            return Written(person, None, None)
        email = self.personal.open(person.id, person.email)
        changed: list[Any] = [person]
        if email:
            index: PersonEmail = self.repository.get(self.personal.email_index_id(email))
            if index.person_id == person.id:
                index.release()
                changed.append(index)
        changed += self._held_addresses_freed(person)
        decided: list[Any] = []  # whoever takes the admin role on: held to at the save
        if person.organisation_id is not None:
            org = self.get_organisation(person.organisation_id)
            if org.is_admin(person.id):
                successor = self.step_down(org, person.id, actor=actor, reason="erased")
                changed.append(org)
                decided += successor
        changed += self.released_on_erasure(person, actor=actor)
        person.erase(actor=actor)
        recordings = self.save(*changed, decided_on=decided)
        self.personal.forget(person.id)
        return Written(person, position_of(recordings), None)
