"""Commands about who may act for an organisation: membership earned by a verified
email on one of its domains or approved by its admins, admins, email domains, and
the organisation's own details.

- A person whose verified address is on one of the organisation's domains becomes a
  member on verification (or on moving there); anyone else is *pending* until an
  admin of the organisation, or an operator, approves.
- The first member who joined by domain becomes the admin of an organisation that
  has none; the creator of a new non-council organisation is its admin; otherwise
  an operator appoints one.
- Someone removed or declined stays out until an admin approves them again: a
  matching domain does not let them back in by itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.base import ApplicationBase
from domain.email_domains import SEED_SOURCE, clean_domain, domain_of
from domain.errors import Conflict, NotAllowed, NotFound, RuleBroken
from domain.inputs import OrganisationChanges
from domain.names import normalise
from domain.organisation import COUNCIL, EmailDomain, Organisation, council_id
from domain.person import PENDING, Person
from domain.results import Written, position_of

ADMIN_ONLY = "Only an admin of this organisation (or an operator) may do this."


class MembershipCommands(ApplicationBase):
    """Who may act for an organisation; composed into ``PipelineApplication``."""

    # ------------------------------------------------------------- who may act
    def require_admin(self, org: Organisation, actor: UUID | None) -> list[Any]:
        """``actor`` may manage ``org``: an operator, or a verified member who is its admin.
        ``None`` is the system itself (the command line, the register seed). Returns what the
        decision read (the organisation and the actor), for the save to hold it to: a change
        saved with it commits only if neither moved meanwhile (``decided_on``)."""
        if actor is None:
            return [org]
        person = self.active_person(actor)
        if person.is_operator:
            return [org, person]
        if not (person.email_verified and person.is_member and person.organisation_id == org.id):
            raise NotAllowed(ADMIN_ONLY)
        if not org.is_admin(person.id):
            raise NotAllowed(ADMIN_ONLY)
        return [org, person]

    # --------------------------------------------------- approving and declining
    def approve_member(self, organisation_id: UUID, person_id: UUID, *, actor: UUID | None) -> Written:
        org = self.get_organisation(organisation_id)
        deciders = self.require_admin(org, actor)
        person = self._pending_of(org, person_id)
        person.admit(actor=actor, reason="approved" if actor else "approved by an operator")
        return Written(person, position_of(self.save(person, decided_on=deciders)), org)

    def decline_member(
        self,
        organisation_id: UUID,
        person_id: UUID,
        *,
        actor: UUID | None,
        reason: str | None = None,
    ) -> Written:
        org = self.get_organisation(organisation_id)
        deciders = self.require_admin(org, actor)
        person = self._pending_of(org, person_id)
        person.decline(actor=actor, reason=reason)
        return Written(person, position_of(self.save(person, decided_on=deciders)), org)

    def _pending_of(self, org: Organisation, person_id: UUID) -> Person:
        person = self.active_person(person_id)
        if person.organisation_id != org.id:
            raise NotFound("That person has not asked to join this organisation.")
        if person.membership != PENDING:
            raise Conflict("That person is already a member of this organisation.")
        return person

    # ------------------------------------------------------------------ admins
    def appoint_admin(self, organisation_id: UUID, person_id: UUID, *, actor: UUID) -> Written:
        org = self.get_organisation(organisation_id)
        deciders = self.require_admin(org, actor)
        person = self._verified_member(org, person_id)
        org.appoint_admin(person.id, actor=actor, reason="appointed")
        return Written(org, position_of(self.save(org, decided_on=[*deciders, person])), org)

    def remove_member(self, organisation_id: UUID, person_id: UUID, *, actor: UUID) -> Written:
        org = self.get_organisation(organisation_id)
        deciders = self.require_admin(org, actor)
        person = self.active_person(person_id)
        if person.organisation_id != org.id:
            raise NotFound("That person is not a member of this organisation.")
        if person.id == actor:
            raise RuleBroken("Admins cannot remove themselves; move to another organisation instead.")
        person.remove_from_organisation(actor=actor)
        successor = self.step_down(org, person.id, actor=actor, reason="removed from organisation")
        return Written(person, position_of(self.save(person, org, decided_on=[*deciders, *successor])), org)

    def remove_admin(self, organisation_id: UUID, person_id: UUID, *, actor: UUID) -> Written:
        """Take the admin role from one of the organisation's admins (an admin may step down too);
        they stay a member. Never the last admin's (``Organisation.remove_admin``): two admins
        removing each other, or both stepping down, at the same moment leave exactly one."""

        def command() -> Written:
            org = self.get_organisation(organisation_id)
            deciders = self.require_admin(org, actor)
            reason = "stepped down" if person_id == actor else "removed as admin"
            org.remove_admin(person_id, actor=actor, reason=reason)
            return Written(org, position_of(self.save(org, decided_on=deciders)), org)

        return self.retrying(command)  # no turns: racing admins meet at the store, which decides

    def hand_over(self, organisation_id: UUID, person_id: UUID, *, actor: UUID) -> Written:
        """An admin hands their role to a verified member and stops being an admin, in one save."""

        def command() -> Written:
            org = self.get_organisation(organisation_id)
            deciders = self.require_admin(org, actor)
            if not org.is_admin(actor):
                raise RuleBroken("Only an admin of this organisation can hand over their role.")
            if person_id == actor:
                raise RuleBroken("Choose another member to hand the role to.")
            successor = self._verified_member(org, person_id)
            if not org.is_admin(successor.id):
                org.appoint_admin(successor.id, actor=actor, reason="handed over")
            org.drop_admin(actor, actor=actor, reason="handed over")
            return Written(org, position_of(self.save(org, decided_on=[*deciders, successor])), org)

        return self.retrying(command)  # no turns: racing admins meet at the store, which decides

    def _verified_member(self, org: Organisation, person_id: UUID) -> Person:
        person = self.active_person(person_id)
        if person.organisation_id != org.id or not person.email_verified or not person.is_member:
            raise RuleBroken("Only a verified member of the organisation can be made its admin.")
        return person

    # ----------------------------------------------------------- email domains
    def add_domain(self, organisation_id: UUID, domain: str, *, actor: UUID | None) -> Written:
        org = self.get_organisation(organisation_id)
        deciders = self.require_admin(org, actor)
        domain = clean_domain(domain)
        self._require_control(domain, actor)
        claim = self._claim_domain(domain, org.id)
        if not org.add_domain(domain, actor=actor, source="added by an admin" if actor else "added by an operator"):
            return Written(org, None, org)
        try:
            return Written(org, position_of(self.save(org, *claim, decided_on=deciders)), org)
        except IntegrityError:
            raise Conflict(f"Another organisation claimed '{domain}' at the same moment.") from None

    def _require_control(self, domain: str, actor: UUID | None) -> None:
        """An admin lists only their own verified address's domain, a parent of it or a subdomain
        of it: evidence that they write from there. Operators (and the command line) list any
        domain, after checking it themselves."""
        if actor is None:
            return
        person = self.active_person(actor)
        if person.is_operator:
            return
        host = domain_of(self.personal.open(person.id, person.email) or "")
        related = host == domain or host.endswith("." + domain) or domain.endswith("." + host)
        if not (person.email_verified and related):
            raise NotAllowed(
                f"You can list '{domain}' only from a verified address on it; ask an operator to add it otherwise."
            )

    def remove_domain(self, organisation_id: UUID, domain: str, *, actor: UUID | None) -> Written:
        org = self.get_organisation(organisation_id)
        deciders = self.require_admin(org, actor)
        domain = domain.strip().strip(".").lower()
        org.remove_domain(domain, actor=actor)
        changed: list[Any] = [org]
        try:
            claim: EmailDomain = self.repository.get(EmailDomain.create_id(domain))
        except AggregateNotFoundError:
            pass
        else:
            if claim.organisation_id == org.id:
                claim.release()
                changed.append(claim)
        return Written(org, position_of(self.save(*changed, decided_on=deciders)), org)

    def _claim_domain(self, domain: str, organisation_id: UUID) -> list[Any]:
        try:
            claim: EmailDomain = self.repository.get(EmailDomain.create_id(domain))
        except AggregateNotFoundError:
            return [EmailDomain(domain=domain, organisation_id=organisation_id)]
        if claim.organisation_id == organisation_id:
            return []
        if claim.organisation_id is not None:
            raise Conflict(f"'{domain}' is already listed by another organisation.")
        claim.reclaim(organisation_id)
        return [claim]

    def seed_domains(self, by_council: Mapping[str, list[str]]) -> tuple[int, list[str]]:
        """List each council's seeded domains (those it lacks and nobody else has claimed).
        Returns how many were added, and the domains left out because another organisation
        holds them. Running it again adds nothing."""
        added, taken = 0, []
        for code, domains in sorted(by_council.items()):
            try:
                council = self.get_organisation(council_id(code))
            except NotFound:
                continue
            changed: list[Any] = []
            before = added
            for domain in domains:
                if domain in council.domains or domain in council.removed_domains:
                    continue  # listed already, or taken off by an admin or operator: theirs to decide
                try:
                    changed += self._claim_domain(domain, council.id)
                except Conflict:
                    taken.append(domain)
                    continue
                council.add_domain(domain, actor=None, source=SEED_SOURCE)
                added += 1
            if added > before:
                self.save(council, *changed)
        return added, taken

    # ----------------------------------------------------------------- details
    def update_organisation(self, organisation_id: UUID, changes: OrganisationChanges, *, actor: UUID) -> Written:
        org = self.get_organisation(organisation_id)
        deciders = self.require_admin(org, actor)
        if "name" in changes and org.kind == COUNCIL:
            raise RuleBroken("A council's name comes from the register and cannot be changed here.")
        extra = self.refuse_taken_name(changes["name"], org.id) if "name" in changes else []
        if "name" in changes and not normalise(changes["name"]):
            raise RuleBroken("An organisation's name needs letters or digits.")
        org.change_details(dict(changes), actor=actor)
        try:
            return Written(org, position_of(self.save(org, *extra, decided_on=deciders)), org)
        except IntegrityError:
            raise Conflict("The organisation, its name or its admins changed at the same moment.") from None
