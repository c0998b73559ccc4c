"""Operators' moderation commands: lock and unlock a project, hide and un-hide a status update,
suspend and reinstate a person, rename (or merge) a tag. (Restoring a project's field to
an earlier version, which the project's own people may do too, is in ``domain.projects``.)

Each is an event with a reason and the operator who gave it; each decides against the
versions it saves (the operator included, so a revoked operator's command fails)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from domain.base import ApplicationBase
from domain.errors import NotAllowed, NotFound, RuleBroken
from domain.interest import StatusUpdate
from domain.person import Person
from domain.results import Written, position_of
from domain.tags import TagAlias

OPERATORS_ONLY = "Only an operator may do this."


class ModerationCommands(ApplicationBase):
    """Composed into ``PipelineApplication``."""

    def acting_operator(self, actor: UUID) -> Person:
        person = self.acting_person(actor)
        if not person.is_operator:
            raise NotAllowed(OPERATORS_ONLY)
        return person

    # ------------------------------------------------------------- projects
    def lock_project(self, project_id: UUID, reason: str, actor: UUID, *, lock: bool) -> Written:
        def command() -> Written:
            operator = self.acting_operator(actor)
            project = self.get_project(project_id)
            (project.lock if lock else project.unlock)(reason, actor=actor)
            return Written(project, position_of(self.save(project, decided_on=[operator])), None)

        return self.retrying(command, key=project_id)

    def hide_status_update(
        self, project_id: UUID, update_id: UUID, reason: str, actor: UUID, *, hide: bool = True
    ) -> Written:
        """Hide the update (or, ``hide=False``, show it again); refused when it is so already."""

        def command() -> Written:
            operator = self.acting_operator(actor)
            update = self._get(update_id, StatusUpdate, "No status update with that id.")
            if update.project_id != project_id:
                raise NotFound("No status update with that id on this project.")
            if hide:
                update.hide(reason, actor=actor)
            else:
                update.unhide(reason, actor=actor)
            return Written(update, position_of(self.save(update, decided_on=[operator])), None)

        return self.retrying(command, key=project_id)

    # --------------------------------------------------------------- people
    def suspend_person(self, person_id: UUID, reason: str, actor: UUID, *, suspend: bool) -> Written:
        """Suspend (no sign-in; the web ends their sessions) or reinstate; what they wrote stays."""

        def command() -> Written:
            operator = self.acting_operator(actor)
            person = self.active_person(person_id)
            (person.suspend if suspend else person.reinstate)(reason, actor=actor)
            return Written(person, position_of(self.save(person, decided_on=[operator])), None)

        return self.retrying(command)

    # ----------------------------------------------------------------- tags
    def rename_tag(
        self, old: str, new: str, reason: str, actor: UUID, *, projects: Iterable[UUID]
    ) -> tuple[Written, int]:
        """Rename ``old`` to ``new`` (a merge when ``new`` is in use) on every project listed
        that has it (``projects``: those a view says have it; each is decided on as saved),
        and record the alias that renames it on projects proposed or edited later."""
        project_ids = list(dict.fromkeys(projects))

        def command() -> tuple[Written, int]:
            operator = self.acting_operator(actor)
            if new == old:
                raise RuleBroken("A tag cannot be renamed to itself.")
            renamed = [
                p for p in map(self.get_project, project_ids) if p.rename_tag(old, new, actor=actor, reason=reason)
            ]
            changed: list[Any] = list(renamed)
            alias = self.tag_alias(old)
            if alias is None:
                alias = TagAlias(old=old, new=new, actor=actor, reason=reason)
                changed.append(alias)
            elif alias.point_to(new, actor=actor, reason=reason):
                changed.append(alias)
            target = self.tag_alias(new)
            if target is not None and target.active:  # the new name is a live tag again
                target.retire(actor=actor, reason=reason)
                changed.append(target)
            if not changed:
                return Written(alias, None), 0
            return Written(alias, position_of(self.save(*changed, decided_on=[operator]))), len(renamed)

        return self.retrying(command)
