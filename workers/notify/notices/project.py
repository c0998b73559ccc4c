"""Who hears of what happens around a project: its owners and team (a follower, "we need
this too", a contribution request and its reminder), the person who asked (the answer), the
project's people (news, an archive or restore) and its key contact (a nudge). Pledges and
the goal are in ``workers.notify.notices.goal``; a new project's matches in ``workers.notify.notices.matching``."""

from __future__ import annotations

from uuid import UUID

from domain.interest import ContributionRequest, Follow, Need
from domain.project import Project
from domain.reminders import NUDGES_BEFORE_QUIET, ProjectNudge
from workers.notify.notices.base import (
    Facts,
    Message,
    Notice,
    name_of,
    organisation,
    project_link,
    tell,
)

NUDGES = NUDGES_BEFORE_QUIET  # the key contact hears "1 of 2", "2 of 2"


def who_from(facts: Facts, person_id: UUID, organisation_id: UUID | None = None) -> str:
    """ "Ann Smith of Leeds City Council" (the organisation they acted for, else their own)."""
    person = facts.person(person_id)
    org = organisation_id or (person.organisation_id if person is not None else None)
    name = name_of(facts, person_id)
    return f"{name} of {facts.organisation_name(org)}" if org and facts.organisation_name(org) else name


def new_follower(event: Follow.Followed | Follow.Refollowed, facts: Facts) -> list[Message]:
    project = facts.project(event.project_id)
    if project is None or getattr(event, "imported", None):
        return []
    who = who_from(facts, event.person_id)
    context = {"title": project.title, "who": who, "link": project_link(facts, project.id)}
    subject = f"{project.title}: {who} is following it"
    return tell(
        facts, project, event.person_id, Notice("new-follower", project.owners, subject, f"{who} followed it", context)
    )


def need_declared(event: Need.Declared | Need.Redeclared, facts: Facts) -> list[Message]:
    project = facts.project(event.project_id)
    if project is None:
        return []
    org = organisation(facts, event.organisation_id)
    context = {
        "title": project.title,
        "organisation": org,
        "who": name_of(facts, event.person_id),
        "comment": event.comment or "",
        "link": project_link(facts, project.id),
    }
    subject = f"{project.title}: {org} needs this too"
    notice = Notice("need-declared", project.owners, subject, f"{org} needs this too", context)
    return tell(facts, project, event.person_id, notice)


def request_link(facts: Facts, project_id: UUID, request_id: UUID) -> str:
    return project_link(facts, project_id, f"/contribution-requests/{request_id}")


def contribution_requested(event: ContributionRequest.Requested, facts: Facts) -> list[Message]:
    project = facts.project(event.project_id)
    if project is None or getattr(event, "imported", None):
        return []
    who = who_from(facts, event.person_id, event.organisation_id)
    context = {
        "title": project.title,
        "who": who,
        "message": event.message or "",
        "link": request_link(facts, project.id, event.originator_id),
    }
    subject = f"{project.title}: {who} asks to contribute"
    notice = Notice("contribution-request", project.owners, subject, f"{who} asked to contribute", context)
    return tell(facts, project, event.person_id, notice)


def request_reminded(event: ContributionRequest.Reminded, facts: Facts) -> list[Message]:
    project, request = facts.project(event.project_id), facts.contribution_request(event.originator_id)
    if project is None or project.archived or request is None:  # archived since: time brings nothing
        return []
    who = who_from(facts, request.person_id, request.organisation_id)
    context = {"title": project.title, "who": who, "link": request_link(facts, project.id, request.id)}
    subject = f"{project.title}: {who} is still waiting for an answer"
    notice = Notice("request-reminder", project.owners, subject, f"{who}'s request is still unanswered", context)
    return tell(facts, project, request.person_id, notice)


def request_answered(event: ContributionRequest.Approved | ContributionRequest.Declined, facts: Facts) -> list[Message]:
    request = facts.contribution_request(event.originator_id)
    project = facts.project(request.project_id) if request is not None else None
    if request is None or project is None:
        return []
    approved = isinstance(event, ContributionRequest.Approved)
    decision = "approved" if approved else "declined"
    context = {
        "title": project.title,
        "approved": approved,
        "reason": (event.reason or "") if isinstance(event, ContributionRequest.Declined) else "",
        "link": project_link(facts, project.id),
    }
    subject = f"{project.title}: your request to contribute was {decision}"
    summary = f"Your request to contribute was {decision}"
    return tell(facts, project, event.actor, Notice("request-answered", [request.person_id], subject, summary, context))


def archived(event: Project.Archived | Project.Restored, facts: Facts, *, restored: bool) -> list[Message]:
    """Its people hear that it was archived or restored: owners (but the one who did it),
    followers, pledgers and those who asked to contribute."""
    project = facts.project(event.originator_id)
    if project is None:
        return []
    what = "restored" if restored else "archived"
    context = {"title": project.title, "restored": restored, "link": project_link(facts, project.id)}
    notice = Notice(
        "project-archived", project.concerned, f"{project.title}: {what}", f"The project was {what}", context
    )
    return tell(facts, project, event.actor, notice)


def news(facts: Facts, project_id: UUID, actor: UUID | None, what: str, detail: str) -> list[Message]:
    """Everyone related to the project but the actor hears that ``what`` happened."""
    project = facts.project(project_id)
    if project is None:
        return []
    context = {"detail": detail, "title": project.title, "link": project_link(facts, project.id)}
    summary = _one_line(detail) if what == "a status update" else what[:1].upper() + what[1:]
    notice = Notice("project-news", project.related, f"{project.title}: {what}", summary, context)
    return tell(facts, project, actor, notice)


def _one_line(text: str, limit: int = 100) -> str:
    line = " ".join(text.split())
    return f"Status update: {line if len(line) <= limit else line[: limit - 1] + '…'}"


def nudged(event: ProjectNudge.Sent, facts: Facts) -> list[Message]:
    """The key contact alone, with one link: post an update."""
    project = facts.project(event.project_id)
    if project is None or project.archived:  # archived since the sweep recorded it
        return []
    context = {
        "title": project.title,
        "number": event.number,
        "of": NUDGES,
        "last": event.number >= NUDGES,
        "link": project_link(facts, project.id, "/status-updates/new"),
    }
    subject = f"{project.title}: how is it going?"
    summary = f"Reminder {event.number} of {NUDGES} to post an update"
    return tell(facts, project, None, Notice("nudge", [event.key_contact_id], subject, summary, context))
