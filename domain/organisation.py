"""Organisations: councils from the register, and other bodies created at sign-up."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4, uuid5

from domain.clock import Aggregate, event
from domain.errors import RuleBroken
from domain.names import normalise

NAMESPACE = UUID("5d0c3c52-5a4e-4c1e-9a7b-6f1f3c2d8e10")

COUNCIL = "council"
OTHER_KINDS = ("association", "central_government", "public_body", "supplier", "community")
KINDS = (COUNCIL, *OTHER_KINDS)

# The register fields a council carries, as written in its Registered event.
REGISTER_FIELDS = (
    "official_name",
    "short_name",
    "alt_names",
    "gss_code",
    "type_code",
    "type_name",
    "nation",
    "region",
    "start_date",
    "end_date",
    "replaced_by",
    "current",
)


def council_id(code: str) -> UUID:
    """The organisation id of a council, derived from its register code."""
    return uuid5(NAMESPACE, f"council:{code.upper()}")


def organisation_id(code_or_id: str) -> UUID:
    """An organisation's id from what URLs carry: its id, or a council's register code."""
    try:
        return UUID(code_or_id)
    except ValueError:
        return council_id(code_or_id)


def name_key(name: str) -> str:
    """What two organisation names must share to count as the same name."""
    key = normalise(name)
    return key[4:] if key.startswith("the ") else key


class Organisation(Aggregate):
    """A council or another body that people belong to."""

    class Registered(Aggregate.Created):
        kind: str
        name: str
        code: str | None
        register: dict[str, Any] | None
        registered_by: UUID | None

    @event(Registered)
    def __init__(
        self,
        kind: str,
        name: str,
        code: str | None = None,
        register: dict[str, Any] | None = None,
        registered_by: UUID | None = None,
    ) -> None:
        self.kind = kind
        self.name = name
        self.code = code
        self.register = dict(register or {})
        self.registered_by = registered_by
        self.admins: list[UUID] = []
        self.details: dict[str, Any] = {}
        self.domains: list[str] = []
        self.removed_domains: list[str] = []  # taken off by someone: a later seed must not put them back

    @staticmethod
    def create_id(code: str | None = None) -> UUID:
        """Councils get an id derived from their register code; others a random one."""
        return council_id(code) if code else uuid4()

    def register_changes(self, register: dict[str, Any]) -> dict[str, Any]:
        """The register fields whose values differ from ``register``."""
        return {
            key: value for key, value in register.items() if key in REGISTER_FIELDS and self.register.get(key) != value
        }

    def amend_register_entry(self, register: dict[str, Any]) -> None:
        """Record a newer version of this council's register row, if it differs."""
        changes = self.register_changes(register)
        if changes:
            self._amend_register_entry(changes=changes)

    class RegisterEntryAmended(Aggregate.Event):
        changes: dict[str, Any]

    @event(RegisterEntryAmended)
    def _amend_register_entry(self, changes: dict[str, Any]) -> None:
        self.register.update(changes)
        if "official_name" in changes:
            self.name = changes["official_name"]

    # ------------------------------------------------------------ admins
    def is_admin(self, person_id: UUID) -> bool:
        return person_id in self.admins

    def appoint_admin(self, person_id: UUID, *, actor: UUID | None, reason: str) -> None:
        if person_id in self.admins:
            raise RuleBroken("That person is already an admin of this organisation.")
        self._appoint_admin(person_id=person_id, actor=actor, reason=reason)

    class AdminAppointed(Aggregate.Event):
        person_id: UUID
        actor: UUID | None
        reason: str

    @event(AdminAppointed)
    def _appoint_admin(self, person_id: UUID, actor: UUID | None, reason: str) -> None:
        self.admins.append(person_id)

    def drop_admin(self, person_id: UUID, *, actor: UUID | None, reason: str) -> None:
        if person_id in self.admins:
            self._drop_admin(person_id=person_id, actor=actor, reason=reason)

    def remove_admin(self, person_id: UUID, *, actor: UUID | None, reason: str) -> None:
        """Take the admin role from ``person_id`` (they stay a member); never the last admin's:
        decided on this aggregate's version, so two admins removing each other at once leave one."""
        if person_id not in self.admins:
            raise RuleBroken("That person is not an admin of this organisation.")
        if self.admins == [person_id]:
            raise RuleBroken("An organisation needs an admin: appoint another admin first, or hand the role over.")
        self._drop_admin(person_id=person_id, actor=actor, reason=reason)

    class AdminDropped(Aggregate.Event):
        person_id: UUID
        actor: UUID | None
        reason: str

    @event(AdminDropped)
    def _drop_admin(self, person_id: UUID, actor: UUID | None, reason: str) -> None:
        self.admins.remove(person_id)

    # ----------------------------------------------------------- email domains
    def add_domain(self, domain: str, *, actor: UUID | None, source: str) -> bool:
        """List an email domain as this organisation's; False if it already was."""
        if domain in self.domains:
            return False
        self._add_domain(domain=domain, actor=actor, source=source)
        return True

    class DomainAdded(Aggregate.Event):
        domain: str
        actor: UUID | None
        source: str

    @event(DomainAdded)
    def _add_domain(self, domain: str, actor: UUID | None, source: str) -> None:
        self.domains.append(domain)

    def remove_domain(self, domain: str, *, actor: UUID | None) -> None:
        if domain not in self.domains:
            raise RuleBroken(f"'{domain}' is not one of this organisation's email domains.")
        self._remove_domain(domain=domain, actor=actor)

    class DomainRemoved(Aggregate.Event):
        domain: str
        actor: UUID | None

    @event(DomainRemoved)
    def _remove_domain(self, domain: str, actor: UUID | None) -> None:
        self.domains.remove(domain)
        self.removed_domains.append(domain)

    # ----------------------------------------------------------- details
    def change_details(self, changes: dict[str, Any], *, actor: UUID | None) -> None:
        """Admins maintain ``website`` and ``description``; non-councils also their ``name``."""
        if "name" in changes and self.kind == COUNCIL:
            raise RuleBroken("A council's name comes from the register and cannot be changed here.")
        current = {"name": self.name, **self.details}
        changes = {k: v for k, v in changes.items() if current.get(k) != v}
        if changes:
            self._change_details(changes=changes, actor=actor)

    class DetailsChanged(Aggregate.Event):
        changes: dict[str, Any]
        actor: UUID | None

    @event(DetailsChanged)
    def _change_details(self, changes: dict[str, Any], actor: UUID | None) -> None:
        if "name" in changes:
            self.name = changes["name"]
        self.details.update({k: v for k, v in changes.items() if k != "name"})


class EmailDomain(Aggregate):
    """Index aggregate: one per email domain, naming the organisation that lists it, so
    that a domain is evidence for one organisation only."""

    class Claimed(Aggregate.Created):
        domain: str
        organisation_id: UUID

    @event(Claimed)
    def __init__(self, domain: str, organisation_id: UUID) -> None:
        self.domain = domain
        self.organisation_id: UUID | None = organisation_id

    @staticmethod
    def create_id(domain: str) -> UUID:
        return uuid5(NAMESPACE, f"email-domain:{domain}")

    class Reclaimed(Aggregate.Event):
        organisation_id: UUID

    @event(Reclaimed)
    def reclaim(self, organisation_id: UUID) -> None:
        self.organisation_id = organisation_id

    class Released(Aggregate.Event):
        pass

    @event(Released)
    def release(self) -> None:
        self.organisation_id = None


class OrganisationName(Aggregate):
    """Index aggregate: one per normalised name of a non-council organisation.

    Saved in the same transaction as the organisation it names, so two sign-ups
    that create "Acme Ltd" and "ACME LTD." at once cannot both succeed.
    """

    class Claimed(Aggregate.Created):
        name: str
        organisation_id: UUID

    @event(Claimed)
    def __init__(self, name: str, organisation_id: UUID) -> None:
        self.name = name
        self.organisation_id = organisation_id

    @staticmethod
    def create_id(name: str) -> UUID:
        return uuid5(NAMESPACE, f"organisation-name:{name_key(name)}")
