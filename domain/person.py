"""People: someone who signed up, belonging to one organisation at a time."""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import RuleBroken
from domain.organisation import NAMESPACE


def email_key(email: str) -> str:
    """Emails are unique case-insensitively and ignoring surrounding spaces."""
    return email.strip().casefold()


class Person(Aggregate):
    """A person and the organisation they act for.

    Events carry the organisation's id and kind as they were when the person
    acted, so history keeps where they were when.
    """

    @event("SignedUp")
    def __init__(
        self,
        name: str,
        email: str,
        job_title: str | None,
        organisation_id: UUID,
        organisation_kind: str,
    ) -> None:
        self.name = name
        self.email = email
        self.job_title = job_title
        self.organisation_id = organisation_id
        self.organisation_kind = organisation_kind

    def move_to(self, organisation_id: UUID, organisation_kind: str) -> None:
        """Move to another organisation (people change councils)."""
        if organisation_id == self.organisation_id:
            raise RuleBroken("The person already belongs to that organisation.")
        self._move(
            from_organisation_id=self.organisation_id,
            from_organisation_kind=self.organisation_kind,
            organisation_id=organisation_id,
            organisation_kind=organisation_kind,
        )

    @event("MovedOrganisation")
    def _move(
        self,
        from_organisation_id: UUID,
        from_organisation_kind: str,
        organisation_id: UUID,
        organisation_kind: str,
    ) -> None:
        self.organisation_id = organisation_id
        self.organisation_kind = organisation_kind


class PersonEmail(Aggregate):
    """Index aggregate: one per email address, saved with the person it belongs to."""

    @event("Claimed")
    def __init__(self, email: str, person_id: UUID) -> None:
        self.person_id = person_id

    @staticmethod
    def create_id(email: str) -> UUID:
        return uuid5(NAMESPACE, f"person-email:{email_key(email)}")
