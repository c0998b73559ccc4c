"""Commands about projects: proposing and editing, status updates, interest,
contribution requests, pledges and goals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.base import ApplicationBase
from domain.errors import Conflict, NotAllowed, NotFound, RuleBroken
from domain.inputs import Goal, Pledge, ProjectChanges, ProjectDetails
from domain.interest import ContributionRequest, Follow, Need, StatusUpdate
from domain.project import Project
from domain.results import Written, position_of
from domain.tags import current_tags

if TYPE_CHECKING:  # pragma: no cover
    from domain.person import Person


class ProjectCommands(ApplicationBase):
    """Projects and what people do on them; composed into ``PipelineApplication``."""

    # ---------------------------------------------------------------- access
    def _claimant(self, person_id: UUID) -> Person:
        """Someone in an organisation, member or pending: enough to follow, to say "we need
        this too" and to ask to contribute, which they do as themselves."""
        person = self.acting_person(person_id)
        if person.organisation_id is None:
            raise NotAllowed("You belong to no organisation: join one first (PATCH /api/v1/me).")
        return person

    @staticmethod
    def speaks_for_owner(project: Project, person: Person) -> bool:
        """A member (not pending) of the organisation that owns the project."""
        return person.is_member and person.organisation_id == project.organisation_id

    @staticmethod
    def on_team(project: Project, person: Person) -> bool:
        """On the team, and still in the organisation they joined it from: someone removed
        from it, or gone elsewhere, no longer acts on its projects through the team."""
        joined = project.joined_team_from(person.id)
        if joined is None or person.organisation_id != joined:
            return False
        return person.is_member or joined != project.organisation_id

    def _inside(self, project: Project, person: Person) -> bool:
        """On the team, or a member of the owning organisation: may edit without moderating."""
        return self.on_team(project, person) or self.speaks_for_owner(project, person)

    def may_edit(self, project: Project, person: Person) -> bool:
        return person.is_operator or self._inside(project, person)

    def _editor(self, project: Project, person_id: UUID) -> tuple[Person, bool]:
        """The person, and whether they act as a moderator (an operator from outside)."""
        person = self.acting_person(person_id)
        if not self.may_edit(project, person):
            raise NotAllowed("Only the owning organisation's members, the team, or an operator may do this.")
        return person, not self._inside(project, person)

    def _team_member(self, project: Project, person_id: UUID) -> list[Any]:
        """The person may answer for the team; returns what that decision read (the person, and
        the owning organisation if it was their being its admin), for the save to hold it to."""
        person = self.acting_person(person_id)
        if self.on_team(project, person) or person.is_operator:
            return [person]
        owner = self.get_organisation(project.organisation_id) if self.speaks_for_owner(project, person) else None
        if owner is not None and owner.is_admin(person.id):
            return [person, owner]
        raise NotAllowed("Only the project's team (or the owning organisation's admins) may do this.")

    def _key_contact_ok(self, organisation_id: UUID, details: ProjectChanges | ProjectDetails) -> Person | None:
        """The key contact the details name, if any, once checked (the save holds it to that)."""
        contact = details.get("key_contact_id")
        if contact is None:
            return None
        try:
            person = self.active_person(contact)
        except NotFound:
            raise RuleBroken("The key contact must be a person who has signed up.") from None
        if person.organisation_id != organisation_id or not person.is_member:
            raise RuleBroken("The key contact must be a member (not pending) of the owning organisation.")
        return person

    # -------------------------------------------------------------- projects
    def _current_tags(self, details: Any) -> Any:
        """Tags renamed by an operator are taken under their new names (``domain.tags``)."""
        if not details.get("tags"):
            return details
        return {**details, "tags": current_tags(details["tags"], self.tag_alias)}

    def propose_project(self, actor: UUID, phase: str, details: ProjectDetails) -> Written:
        details = self._current_tags(details)
        person = self.acting_member(actor)
        org_id = person.belongs_to
        contact = self._key_contact_ok(org_id, details)
        project = Project(organisation_id=org_id, proposer_id=person.id, phase=phase, details=dict(details))
        return Written(project, position_of(self.save(project, decided_on=[person, contact])), None)

    def edit_project(self, project_id: UUID, changes: ProjectChanges, actor: UUID) -> Written:
        changes = self._current_tags(changes)

        def command() -> Written:
            project = self.get_project(project_id)
            person, moderation = self._editor(project, actor)
            contact = self._key_contact_ok(project.organisation_id, changes)
            project.edit(dict(changes), actor=actor, moderation=moderation)
            return Written(project, position_of(self.save(project, decided_on=[person, contact])), None)

        return self.retrying(command, key=project_id)

    def change_phase(self, project_id: UUID, phase: str, actor: UUID) -> Written:
        def command() -> Written:
            project = self.get_project(project_id)
            person, moderation = self._editor(project, actor)
            project.change_phase(phase, actor=actor, moderation=moderation)
            return Written(project, position_of(self.save(project, decided_on=[person])), None)

        return self.retrying(command, key=project_id)

    def archive_project(self, project_id: UUID, actor: UUID, *, restore: bool) -> Written:
        def command() -> Written:
            project = self.get_project(project_id)
            person, moderation = self._editor(project, actor)
            (project.restore if restore else project.archive)(actor=actor, moderation=moderation)
            return Written(project, position_of(self.save(project, decided_on=[person])), None)

        return self.retrying(command, key=project_id)

    def restore_project_field(self, project_id: UUID, field: str, version: int, actor: UUID) -> Written:
        """Give a field back the value it had at an earlier version of the project: its
        owning organisation's members, its team or an operator (as a moderator)."""

        def command() -> Written:
            project = self.get_project(project_id)
            person, moderation = self._editor(project, actor)
            project.require_unlocked()
            if not 1 <= version < project.version:
                raise RuleBroken(f"The project has no earlier version {version}.")
            earlier: Project = self.repository.get(project_id, version=version)
            value = earlier.details.get(field)
            if field == "tags":
                value = current_tags(value or [], self.tag_alias)
            contact = self._restored_contact(project, field, value)
            project.restore_field(field, value, version, actor=actor, moderation=moderation)
            return Written(project, position_of(self.save(project, decided_on=[person, contact])), None)

        return self.retrying(command, key=project_id)

    def _restored_contact(self, project: Project, field: str, value: Any) -> Person | None:
        """A key contact given back must still be a member of the owning organisation."""
        if field != "key_contact_id" or value is None:
            return None
        try:
            contact = self.active_person(value)
        except NotFound:
            raise RuleBroken("That key contact has been erased: choose another.") from None
        if contact.organisation_id != project.organisation_id or not contact.is_member:
            raise RuleBroken("That key contact is no longer a member of the owning organisation: choose another.")
        return contact

    # ------------------------------------------------------- status updates
    def post_status_update(self, project_id: UUID, body: str, actor: UUID) -> Written:
        def command() -> Written:
            project = self.get_project(project_id)
            person, _ = self._editor(project, actor)
            project.require_unlocked()
            update = StatusUpdate(project_id=project.id, author_id=actor, body=body)
            return Written(update, position_of(self.save(update, decided_on=[project, person])), None)

        return self.retrying(command, key=project_id)

    def revise_status_update(self, project_id: UUID, update_id: UUID, body: str | None, actor: UUID) -> Written:
        """Correct (``body``) or retract (None) an update posted on this project."""

        def command() -> Written:
            update = self._get(update_id, StatusUpdate, "No status update with that id.")
            if update.project_id != project_id:
                raise NotFound("No status update with that id on this project.")
            project = self.get_project(project_id)
            person, _ = self._editor(project, actor)
            project.require_unlocked()
            update.retract(actor=actor) if body is None else update.correct(body, actor=actor)
            return Written(update, position_of(self.save(update, decided_on=[project, person])), None)

        return self.retrying(command, key=project_id)

    # -------------------------------------------------------------- interest
    def follow(self, project_id: UUID, actor: UUID, *, following: bool) -> Written:
        project = self.get_project(project_id)
        person = self.acting_person(actor)
        follow_id = Follow.id_for(project.id, actor)
        try:
            follow: Follow = self.repository.get(follow_id)
        except AggregateNotFoundError:
            if not following:
                return Written(None, None, None)
            follow = Follow(id=follow_id, project_id=project.id, person_id=actor)
        else:
            changed = follow.follow() if following else follow.unfollow()
            if not changed:
                return Written(follow, None, None)
        return Written(follow, position_of(self.save(follow, decided_on=[person])), None)

    def declare_need(self, project_id: UUID, actor: UUID, comment: str | None, *, withdraw: bool = False) -> Written:
        """Say (or withdraw) that the actor's organisation needs this too; never its own project."""

        def command() -> Written:
            project = self.get_project(project_id)
            person = self._claimant(actor)
            if not withdraw:  # one said before this rule may still be withdrawn
                project.require_not_owner(person.belongs_to, 'say "we need this too" about')
            need_id = Need.id_for(project.id, person.belongs_to)
            try:
                need: Need = self.repository.get(need_id)
            except AggregateNotFoundError:
                if withdraw:
                    raise RuleBroken("Your organisation has not said it needs this.") from None
                need = Need(
                    id=need_id,
                    project_id=project.id,
                    organisation_id=person.belongs_to,
                    person_id=actor,
                    comment=comment,
                )
            else:
                if need.active and not person.is_member:  # a pending member adds; never overrules the members
                    raise NotAllowed(
                        "Your membership is pending: you cannot change or withdraw what your organisation said."
                    )
                need.withdraw(actor) if withdraw else need.declare(actor, comment)
            return Written(need, position_of(self.save(need, decided_on=[person, project])), None)

        return self.retrying(command, key=project_id)

    # --------------------------------------------------------- contributing
    def request_contribution(self, project_id: UUID, actor: UUID, message: str | None) -> Written:
        def command() -> Written:
            project = self.get_project(project_id)
            person = self._claimant(actor)
            if person.id in project.team:
                raise Conflict("You are already on the team.")
            request = ContributionRequest(
                project_id=project.id, person_id=person.id, organisation_id=person.belongs_to, message=message
            )
            return Written(request, position_of(self.save(request, decided_on=[project, person])), None)

        return self.retrying(command, key=project_id)

    def decide_contribution(
        self,
        project_id: UUID,
        request_id: UUID,
        actor: UUID,
        *,
        approve: bool,
        reason: str | None = None,
    ) -> Written:
        """Approve or decline a request to join this project's team (the team decides)."""

        def command() -> Written:
            request = self.get_contribution_request(request_id)
            if request.project_id != project_id:
                raise NotFound("No contribution request with that id on this project.")
            project = self.get_project(project_id)
            deciders = [project, *self._team_member(project, actor)]
            if not approve:
                request.decline(actor=actor, reason=reason)
                return Written(request, position_of(self.save(request, decided_on=deciders)), None)
            request.approve(actor=actor)
            if request.person_id not in project.team:
                project.add_to_team(request.person_id, request.organisation_id, actor=actor)
            return Written(request, position_of(self.save(request, project, decided_on=deciders)), None)

        return self.retrying(command)

    # ------------------------------------------------------- pledges, goal
    def make_pledge(self, project_id: UUID, actor: UUID, pledge: Pledge) -> Written:
        """The actor's organisation's first pledge to the project."""
        return self._pledging(
            project_id, actor, lambda project, org, person, now: project.make_pledge(org, person, dict(pledge), now=now)
        )

    def amend_pledge(self, project_id: UUID, actor: UUID, pledge: Pledge) -> Written:
        """Change the pledge the actor's organisation has made (position None if unchanged)."""
        return self._pledging(
            project_id,
            actor,
            lambda project, org, person, now: project.amend_pledge(org, person, dict(pledge), now=now),
        )

    def pledge_for_organisation(self, project_id: UUID, actor: UUID, pledge: Pledge) -> Written:
        """Make the actor's organisation's pledge, or amend the one it has (PUT .../pledges/mine)."""
        return self._pledging(
            project_id, actor, lambda project, org, person, now: project.pledge_for(org, person, dict(pledge), now=now)
        )

    def withdraw_pledge(self, project_id: UUID, actor: UUID) -> Written:
        """Withdraw the actor's organisation's pledge."""
        return self._pledging(
            project_id, actor, lambda project, org, person, now: project.withdraw_pledge(org, person, now=now)
        )

    def _pledging(
        self,
        project_id: UUID,
        actor: UUID,
        change: Callable[[Project, UUID, UUID, datetime], object],
    ) -> Written:
        """Apply ``change`` (project, organisation id, person id, now) for a member acting for
        their organisation; position None if it recorded nothing."""

        def command() -> Written:
            person = self.acting_member(actor)  # again on a retry: the actor may be what moved
            project = self.get_project(project_id)
            now = self.now()
            if project.decide(now):  # the deadline passed: record the outcome, then refuse
                self.save(project)
            change(project, person.belongs_to, person.id, now)
            return Written(project, position_of(self.save_command(project, decided_on=[person])), None)

        return self.retrying(command, key=project_id)

    def set_goal(self, project_id: UUID, goal: Goal, actor: UUID) -> Written:
        def command() -> Written:
            project = self.get_project(project_id)
            deciders = self._team_member(project, actor)
            project.set_goal(dict(goal), actor=actor, now=self.now())
            return Written(project, position_of(self.save(project, decided_on=deciders)), None)

        return self.retrying(command, key=project_id)

    def decide_goal(self, project_id: UUID) -> Written:
        """Decide a goal whose deadline has passed; a no-op (position None) otherwise or if
        already decided. Safe to run any number of times, from any number of places."""

        def command() -> Written:
            project = self.get_project(project_id)
            if not project.decide(self.now()):
                return Written(project, None, None)
            return Written(project, position_of(self.save(project)), None)

        return self.retrying(command, key=project_id)
