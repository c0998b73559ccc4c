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
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.email_domains import SEED_SOURCE, clean_domain, covered, domain_of
from domain.errors import Conflict, NotAllowed, NotFound, RuleBroken
from domain.lookalike import refuse_lookalike
from domain.names import normalise
from domain.organisation import COUNCIL, EmailDomain, Organisation, OrganisationName, council_id, name_key
from domain.person import BY_DOMAIN, PENDING, Person
from domain.results import Written, position_of

if TYPE_CHECKING:  # pragma: no cover
    from domain.application import PipelineApplication

ADMIN_ONLY = "Only an admin of this organisation (or an operator) may do this."


class MembershipCommands:
    """Mixed into ``PipelineApplication``."""

    # ------------------------------------------------------------- who may act
    def require_admin(self: PipelineApplication, org: Organisation, actor: UUID | None) -> list[Any]:
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

    def acting_person(self: PipelineApplication, person_id: UUID) -> Person:
        """The person, if they may act on projects at all: not erased, and their address verified
        (the API's own gate says the same; this holds for any caller of the commands). The
        request's signed-in person, loaded by that gate moments ago, is not loaded again."""
        person = self.known_person(person_id) or self.active_person(person_id)
        if not person.email_verified:
            raise NotAllowed(
                "Verify your email address first: open the link we sent you "
                "(POST /api/v1/me/verification-email sends another)."
            )
        return person

    def acting_member(self: PipelineApplication, person_id: UUID) -> Person:
        """The person, if they may act for their organisation (propose, pledge, ...)."""
        person = self.acting_person(person_id)
        if person.organisation_id is None:
            raise NotAllowed("You belong to no organisation: join one first (PATCH /api/v1/me).")
        if not person.is_member:
            raise NotAllowed(
                "Your membership of this organisation is pending: an admin of the organisation must approve it "
                "(or verify an email address on one of its domains) before you can act for it."
            )
        return person

    # ------------------------------------------------------- joining by domain
    def admit_by_domain(self: PipelineApplication, person: Person) -> list[Any]:
        """If the person's verified address is on their organisation's domains (and the
        organisation has not removed them), make them a member; the first such member of an
        organisation without admins becomes its admin. Returns the organisation if it changed
        too (the person is changed in place; the caller saves both)."""
        if not person.email_verified or person.organisation_id is None or person.membership != PENDING:
            return []
        if person.organisation_id in person.excluded_from:
            return []
        org = self.get_organisation(person.organisation_id)
        domain = covered(org.domains, self.personal.open(person.id, person.email) or "")
        if domain is None:
            return []
        person.admit(actor=None, reason=f"{BY_DOMAIN}{domain}", by_domain=True)
        if org.admins:
            return []
        org.appoint_admin(person.id, actor=None, reason=f"first verified member on {domain}")
        return [org]

    def membership_follows_address(self: PipelineApplication, person: Person, *, actor: UUID | None) -> list[Any]:
        """After an address change: a member admitted by their address's domain stays one only
        while the new address is on one of the organisation's domains; otherwise they are pending
        again and stop being its admin, in the same save. A member an admin (or an operator)
        approved, or the creator of the organisation, keeps their membership. Returns the
        organisation if it changed too (the caller saves both)."""
        if not (person.is_member and person.admitted_by_domain and person.organisation_id is not None):
            return []
        org = self.get_organisation(person.organisation_id)
        if covered(org.domains, self.personal.open(person.id, person.email) or "") is not None:
            return []
        reason = "email changed to an address off the organisation's domains"
        person.lapse_membership(actor=actor, reason=reason)
        if not org.is_admin(person.id):
            return []
        org.drop_admin(person.id, actor=actor, reason=reason)
        return [org]

    # --------------------------------------------------- approving and declining
    def approve_member(
        self: PipelineApplication, organisation_id: UUID, person_id: UUID, *, actor: UUID | None
    ) -> Written:
        org = self.get_organisation(organisation_id)
        deciders = self.require_admin(org, actor)
        person = self._pending_of(org, person_id)
        person.admit(actor=actor, reason="approved" if actor else "approved by an operator")
        return Written(person, position_of(self.save(person, decided_on=deciders)), org)

    def decline_member(
        self: PipelineApplication,
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

    def _pending_of(self: PipelineApplication, org: Organisation, person_id: UUID) -> Person:
        person = self.active_person(person_id)
        if person.organisation_id != org.id:
            raise NotFound("That person has not asked to join this organisation.")
        if person.membership != PENDING:
            raise Conflict("That person is already a member of this organisation.")
        return person

    # ------------------------------------------------------------------ admins
    def appoint_admin(self: PipelineApplication, organisation_id: UUID, person_id: UUID, *, actor: UUID) -> Written:
        org = self.get_organisation(organisation_id)
        deciders = self.require_admin(org, actor)
        person = self.active_person(person_id)
        if person.organisation_id != org.id or not person.email_verified or not person.is_member:
            raise RuleBroken("Only a verified member of the organisation can be made its admin.")
        org.appoint_admin(person.id, actor=actor, reason="appointed")
        return Written(org, position_of(self.save(org, decided_on=[*deciders, person])), org)

    def remove_member(self: PipelineApplication, organisation_id: UUID, person_id: UUID, *, actor: UUID) -> Written:
        org = self.get_organisation(organisation_id)
        deciders = self.require_admin(org, actor)
        person = self.active_person(person_id)
        if person.organisation_id != org.id:
            raise NotFound("That person is not a member of this organisation.")
        if person.id == actor:
            raise RuleBroken("Admins cannot remove themselves; move to another organisation instead.")
        person.remove_from_organisation(actor=actor)
        org.drop_admin(person.id, actor=actor, reason="removed from organisation")
        return Written(person, position_of(self.save(person, org, decided_on=deciders)), org)

    # ----------------------------------------------------------- email domains
    def add_domain(self: PipelineApplication, organisation_id: UUID, domain: str, *, actor: UUID | None) -> Written:
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

    def _require_control(self: PipelineApplication, domain: str, actor: UUID | None) -> None:
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

    def remove_domain(self: PipelineApplication, organisation_id: UUID, domain: str, *, actor: UUID | None) -> Written:
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

    def _claim_domain(self: PipelineApplication, domain: str, organisation_id: UUID) -> list[Any]:
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

    def seed_domains(self: PipelineApplication, by_council: Mapping[str, list[str]]) -> tuple[int, list[str]]:
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
    def refuse_taken_name(self: PipelineApplication, name: str, organisation_id: UUID) -> list[Any]:
        """No organisation may take the exact name (normalised) of another, council or not,
        nor one that looks the same (:mod:`domain.lookalike`). Returns the name's index
        aggregates to save with the change (empty if already ours)."""
        key = name_key(name)
        council = self.council_names.get(key)
        if council is not None and council_id(council) != organisation_id:
            raise Conflict(f"'{name}' is the name of a council in the register ({council}).")
        try:
            index: OrganisationName = self.repository.get(OrganisationName.create_id(name))
        except AggregateNotFoundError:
            return [
                OrganisationName(name=name, organisation_id=organisation_id),
                *refuse_lookalike(self, name, organisation_id),
            ]
        if index.organisation_id != organisation_id:
            raise Conflict("Another organisation already has that name.")
        return refuse_lookalike(self, name, organisation_id)

    def update_organisation(
        self: PipelineApplication, organisation_id: UUID, changes: dict[str, Any], *, actor: UUID
    ) -> Written:
        org = self.get_organisation(organisation_id)
        deciders = self.require_admin(org, actor)
        if "name" in changes and org.kind == COUNCIL:
            raise RuleBroken("A council's name comes from the register and cannot be changed here.")
        extra = self.refuse_taken_name(changes["name"], org.id) if "name" in changes else []
        if "name" in changes and not normalise(changes["name"]):
            raise RuleBroken("An organisation's name needs letters or digits.")
        org.change_details(changes, actor=actor)
        try:
            return Written(org, position_of(self.save(org, *extra, decided_on=deciders)), org)
        except IntegrityError:
            raise Conflict("The organisation, its name or its admins changed at the same moment.") from None
