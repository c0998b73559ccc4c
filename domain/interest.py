"""The signals around a project: follows, "we need this too", contribution requests
and status updates. Each is its own small aggregate, so they never contend with
the project or with each other."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from domain.clock import Aggregate, event
from domain.errors import Conflict, RuleBroken
from domain.organisation import NAMESPACE


class Follow(Aggregate):
    """One per (project, person)."""

    class Followed(Aggregate.Created):
        project_id: UUID
        person_id: UUID
        imported: dict[str, Any] | None

    @event(Followed)
    def __init__(self, id: UUID, project_id: UUID, person_id: UUID, imported: dict[str, Any] | None = None) -> None:
        self.project_id, self.person_id, self.active = project_id, person_id, True
        self.imported = imported  # a like taken in from the original Pipeline (domain.legacy)

    @staticmethod
    def id_for(project_id: UUID, person_id: UUID) -> UUID:
        return uuid5(NAMESPACE, f"follow:{project_id}:{person_id}")

    def follow(self) -> bool:
        if self.active:
            return False
        self._refollow(project_id=self.project_id, person_id=self.person_id)
        return True

    class Refollowed(Aggregate.Event):
        project_id: UUID
        person_id: UUID

    @event(Refollowed)
    def _refollow(self, project_id: UUID, person_id: UUID) -> None:
        self.active = True

    def unfollow(self) -> bool:
        if not self.active:
            return False
        self._unfollow(project_id=self.project_id, person_id=self.person_id)
        return True

    class Unfollowed(Aggregate.Event):
        project_id: UUID
        person_id: UUID

    @event(Unfollowed)
    def _unfollow(self, project_id: UUID, person_id: UUID) -> None:
        self.active = False


class Need(Aggregate):
    """ "We need this too": one per (project, organisation)."""

    class Declared(Aggregate.Created):
        project_id: UUID
        organisation_id: UUID
        person_id: UUID
        comment: str | None

    @event(Declared)
    def __init__(
        self,
        id: UUID,
        project_id: UUID,
        organisation_id: UUID,
        person_id: UUID,
        comment: str | None,
    ) -> None:
        self.project_id, self.organisation_id = project_id, organisation_id
        self.comment, self.active = comment, True

    @staticmethod
    def id_for(project_id: UUID, organisation_id: UUID) -> UUID:
        return uuid5(NAMESPACE, f"need:{project_id}:{organisation_id}")

    def declare(self, person_id: UUID, comment: str | None) -> None:
        if self.active and self.comment == comment:
            return
        self._redeclare(
            project_id=self.project_id, organisation_id=self.organisation_id, person_id=person_id, comment=comment
        )

    class Redeclared(Aggregate.Event):
        project_id: UUID
        organisation_id: UUID
        person_id: UUID
        comment: str | None

    @event(Redeclared)
    def _redeclare(self, project_id: UUID, organisation_id: UUID, person_id: UUID, comment: str | None) -> None:
        self.comment, self.active = comment, True

    def withdraw(self, person_id: UUID) -> None:
        if not self.active:
            raise RuleBroken("Your organisation has not said it needs this.")
        self._withdraw(project_id=self.project_id, organisation_id=self.organisation_id, person_id=person_id)

    class Withdrawn(Aggregate.Event):
        project_id: UUID
        organisation_id: UUID
        person_id: UUID

    @event(Withdrawn)
    def _withdraw(self, project_id: UUID, organisation_id: UUID, person_id: UUID) -> None:
        self.active = False


class ContributionRequest(Aggregate):
    """Someone asks to join a project's team; the team decides."""

    class Requested(Aggregate.Created):
        project_id: UUID
        person_id: UUID
        organisation_id: UUID
        message: str | None
        imported: dict[str, Any] | None

    @event(Requested)
    def __init__(
        self,
        project_id: UUID,
        person_id: UUID,
        organisation_id: UUID,
        message: str | None,
        imported: dict[str, Any] | None = None,  # a join taken in from the original Pipeline
    ) -> None:
        self.project_id, self.person_id, self.organisation_id = project_id, person_id, organisation_id
        self.message = message
        self.imported = imported
        self.decision: str | None = None

    def _require_pending(self) -> None:
        if self.decision:
            raise Conflict(f"The request has already been {self.decision}.")

    def approve(self, *, actor: UUID) -> None:
        self._require_pending()
        self._approve(actor=actor)

    class Approved(Aggregate.Event):
        actor: UUID

    @event(Approved)
    def _approve(self, actor: UUID) -> None:
        self.decision = "approved"

    def decline(self, *, actor: UUID, reason: str | None) -> None:
        self._require_pending()
        self._decline(actor=actor, reason=reason)

    class Declined(Aggregate.Event):
        actor: UUID
        reason: str | None

    @event(Declined)
    def _decline(self, actor: UUID, reason: str | None) -> None:
        self.decision = "declined"

    def withdraw(self, *, actor: UUID, reason: str) -> None:
        """The person who asked takes it back (the original's "join" removed) before an answer."""
        self._require_pending()
        if actor != self.person_id:
            raise RuleBroken("Only the person who asked can withdraw a request.")
        self._withdraw(actor=actor, reason=reason)

    class Withdrawn(Aggregate.Event):
        actor: UUID
        reason: str

    @event(Withdrawn)
    def _withdraw(self, actor: UUID, reason: str) -> None:
        self.decision = "withdrawn"

    def remind(self) -> bool:
        """Remind the team once of a request still unanswered; False if answered or reminded."""
        if self.decision or getattr(self, "reminded", False):
            return False
        self._remind(project_id=self.project_id)
        return True

    class Reminded(Aggregate.Event):
        project_id: UUID

    @event(Reminded)
    def _remind(self, project_id: UUID) -> None:
        self.reminded = True


class StatusUpdate(Aggregate):
    """A dated progress note from the team; corrections keep every revision."""

    class Posted(Aggregate.Created):
        project_id: UUID
        author_id: UUID
        body: str

    @event(Posted)
    def __init__(self, project_id: UUID, author_id: UUID, body: str) -> None:
        self.project_id, self.author_id, self.body = project_id, author_id, body
        self.retracted = False

    def correct(self, body: str, *, actor: UUID) -> None:
        if self.retracted:
            raise Conflict("The update has been retracted.")
        if body != self.body:
            self._correct(body=body, actor=actor)

    class Corrected(Aggregate.Event):
        body: str
        actor: UUID

    @event(Corrected)
    def _correct(self, body: str, actor: UUID) -> None:
        self.body = body

    def retract(self, *, actor: UUID) -> None:
        if self.retracted:
            raise Conflict("The update has already been retracted.")
        self._retract(actor=actor)

    class Retracted(Aggregate.Event):
        actor: UUID

    @event(Retracted)
    def _retract(self, actor: UUID) -> None:
        self.retracted = True

    @property
    def hidden(self) -> dict[str, Any] | None:
        """Why and by whom an operator hid the update (kept in the log, shown to nobody)."""
        return self.__dict__.get("_hidden")

    def hide(self, reason: str, *, actor: UUID) -> None:
        if self.hidden:
            raise Conflict("The update is already hidden.")
        self._hide(reason=reason, actor=actor)

    class Hidden(Aggregate.Event):
        reason: str
        actor: UUID

    @event(Hidden)
    def _hide(self, reason: str, actor: UUID) -> None:
        self._hidden: dict[str, str] | None = {"reason": reason, "actor": str(actor)}

    def unhide(self, reason: str, *, actor: UUID) -> None:
        if not self.hidden:
            raise Conflict("The update is not hidden.")
        self._unhide(reason=reason, actor=actor)

    class Unhidden(Aggregate.Event):
        reason: str
        actor: UUID

    @event(Unhidden)
    def _unhide(self, reason: str, actor: UUID) -> None:
        self._hidden = None
