"""Commands about keeping people engaged: each person's notification choices, the
one-click unsubscribe, and what the sweeps record as time passes (nudges, the quiet mark,
deadline warnings, reminders of unanswered contribution requests).

The sweeps decide *when* (from the read models); these commands decide *whether*, from the
aggregates, and record each fact once (``domain.reminders``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.base import ApplicationBase
from domain.errors import NotFound, RuleBroken, ValidationFailed
from domain.notifications import (
    DEFAULTS,
    FREQUENCIES,
    KINDS,
    NotificationPreferences,
    check_kinds,
    choices_of,
    clean_interests,
    preferences_id,
)
from domain.reminders import NUDGES_BEFORE_QUIET, DeadlineWarning, ProjectNudge, ProjectWentQuiet
from domain.results import Written, position_of

DEADLINE_WARNING = timedelta(days=7)
REQUEST_REMINDER = timedelta(days=7)
# A request still unanswered after this long was not made in this store's live life (taken in
# from the 2014 Pipeline, or the demo's history): reminding a team of it now would be noise.
REMINDER_TOO_LATE = timedelta(days=30)
# Likewise a project idle for over a year that was never nudged: its idle spell began before
# this store's live life (history taken in before history marks carried the time they were
# written), and its first nudge now would be a surprise, not a reminder.
NUDGE_TOO_LATE = timedelta(days=365)


class EngagementCommands(ApplicationBase):
    """Notification choices and what time brings; composed into ``PipelineApplication``."""

    # ---------------------------------------------------------- preferences
    def notification_preferences(self, person_id: UUID) -> dict[str, Any]:
        """The person's choices, or the defaults if they never chose."""
        return choices_of(self._preferences(person_id))

    def _preferences(self, person_id: UUID) -> NotificationPreferences | None:
        try:
            return self.repository.get(preferences_id(person_id))
        except AggregateNotFoundError:
            return None

    def choose_notifications(
        self,
        person_id: UUID,
        *,
        frequency: str | None = None,
        off: list[str] | None = None,
        switch: dict[str, bool] | None = None,
        tags: list[str] | None = None,
        words: list[str] | None = None,
    ) -> Written:
        """Set what is given; what is left out keeps its value. ``off`` is the whole list of
        kinds switched off; ``switch`` ({kind: on}) changes only the kinds it names. What is
        kept is read when the change is written (again on a retry), so a one-click unsubscribe
        landing meanwhile is never undone by a change of something else."""
        self.acting_person(person_id)
        if frequency is not None and frequency not in FREQUENCIES:
            raise ValidationFailed(f"frequency must be one of {', '.join(FREQUENCIES)}.")
        given_off = check_kinds(off) if off is not None else None
        switch = dict(switch or {})
        check_kinds(list(switch))
        clean_interests(tags, words)  # refused before anything is read

        def command() -> Written:
            person = self.acting_person(person_id)  # again on a retry: the person may be what moved
            found = self._preferences(person_id)
            now = choices_of(found)
            kept = set(given_off if given_off is not None else now["off"]) - {k for k, on in switch.items() if on}
            chosen_off = sorted(kept | {k for k, on in switch.items() if not on})
            chosen_tags, chosen_words = clean_interests(
                tags if tags is not None else now["tags"],
                words if words is not None else now["words"],
                new_words=words is not None,
            )
            chosen_frequency = frequency if frequency is not None else now["frequency"]
            if found is None:
                found = NotificationPreferences(
                    id=preferences_id(person_id),
                    person_id=person_id,
                    frequency=chosen_frequency,
                    off=chosen_off,
                    tags=chosen_tags,
                    words=chosen_words,
                )
            elif not found.choose(chosen_frequency, chosen_off, chosen_tags, chosen_words):
                return Written(found, None)
            return Written(found, position_of(self.save(found, decided_on=[person])))

        return self.retrying(command)

    def unsubscribe(self, person_id: UUID, kind: str) -> Written:
        """Switch one kind off for one person (the email link: no session, the token is the
        proof). An erased person's link does nothing."""
        if kind not in KINDS or not KINDS[kind].switchable:
            raise ValidationFailed(f"There is no notification called {kind!r} to unsubscribe from.")

        def command() -> Written:
            person = self.get_person(person_id)
            if person.erased:
                raise NotFound("No such person.")
            found = self._preferences(person_id)
            if found is None:
                found = NotificationPreferences(
                    id=preferences_id(person_id),
                    person_id=person_id,
                    frequency=DEFAULTS["frequency"],
                    off=[kind],
                    tags=[],
                    words=[],
                )
            elif not found.unsubscribe(kind):
                return Written(found, None)
            return Written(found, position_of(self.save(found, decided_on=[person])))

        return self.retrying(command)

    # ---------------------------------------------------------- what time brings
    def nudge_project(self, project_id: UUID, idle_since: datetime, number: int) -> Written:
        """Record the ``number``th nudge (1 or 2) of the project's idle spell since
        ``idle_since``, to its key contact. Nothing if it was recorded already, if the
        project is archived, or if nudge ``number - 1`` was not. ``number`` 3 marks it quiet."""
        project = self.get_project(project_id)
        if project.archived or number < 1 or (number == 1 and self.now() - idle_since > NUDGE_TOO_LATE):
            return Written(project, None)
        if number > NUDGES_BEFORE_QUIET:
            return self._once(
                ProjectWentQuiet.id_for(project_id, idle_since),
                lambda i: ProjectWentQuiet(id=i, project_id=project_id, idle_since=idle_since.isoformat()),
                project,
                after=ProjectNudge.id_for(project_id, idle_since, NUDGES_BEFORE_QUIET),
            )
        key_contact = UUID(str(project.details.get("key_contact_id") or project.proposer_id))
        return self._once(
            ProjectNudge.id_for(project_id, idle_since, number),
            lambda i: ProjectNudge(
                id=i,
                project_id=project_id,
                idle_since=idle_since.isoformat(),
                number=number,
                key_contact_id=key_contact,
            ),
            project,
            after=ProjectNudge.id_for(project_id, idle_since, number - 1) if number > 1 else None,
        )

    def warn_deadline(self, project_id: UUID) -> Written:
        """Warn the team once per deadline that it is a week (or less) away."""
        project = self.get_project(project_id)
        now = self.now()
        if project.archived or project.goal_state != "open" or project.goal is None:
            return Written(project, None)
        deadline = datetime.fromisoformat(project.goal["deadline"])
        if not now < deadline <= now + DEADLINE_WARNING:
            return Written(project, None)
        return self._once(
            DeadlineWarning.id_for(project_id, project.goal["deadline"]),
            lambda i: DeadlineWarning(id=i, project_id=project_id, deadline=project.goal["deadline"]),
            project,
        )

    def remind_request(self, request_id: UUID) -> Written:
        """Remind the team once of a contribution request unanswered for 7 days (not one older
        than 30 days: see ``REMINDER_TOO_LATE``)."""

        def command() -> Written:
            request = self.get_contribution_request(request_id)
            age = self.now() - request.created_on
            if not REQUEST_REMINDER <= age < REMINDER_TOO_LATE or not request.remind():
                return Written(request, None)
            return Written(request, position_of(self.save(request)))

        return self.retrying(command)

    def _once(self, aggregate_id: UUID, make: Any, project: Any, after: UUID | None = None) -> Written:
        if after is not None and not self._exists(after):
            raise RuleBroken("The nudge before this one has not been sent.")
        if self._exists(aggregate_id):
            return Written(project, None)
        made = make(aggregate_id)
        try:
            return Written(made, position_of(self.save(made)))
        except IntegrityError:  # another sweep recorded it first
            return Written(project, None)

    def _exists(self, aggregate_id: UUID) -> bool:
        try:
            self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True
