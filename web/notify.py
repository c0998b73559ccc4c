"""Telling people what happened, as the original Pipeline did: everyone related to a
project hears of its status updates, edits and phase changes, and the key contacts of
projects sharing three or more tags hear of a new one. Messages go to the outbox and
are sent by a job; a failure here is logged and never undoes the write."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from domain.errors import NotFound
from domain.project import Project
from projections import projects as view
from web.common import runtime
from web.validation import printable

log = logging.getLogger(__name__)
SHARED_TAGS = 3


def related_people(project: Project) -> set[UUID]:
    """The team, the proposer, the key contact, every pledger and every follower."""
    people = {*project.team, project.proposer_id}
    if project.details.get("key_contact_id"):
        people.add(UUID(str(project.details["key_contact_id"])))
    people |= {UUID(p["person_id"]) for p in project.pledges.values()}
    people |= {UUID(f["person_id"]) for f in view.followers(runtime().db, str(project.id))}
    return people


def _send(recipients: Iterable[UUID], *, kind: str, subject: str, body: str, exclude: UUID | None) -> int:
    rt = runtime()
    sent = 0
    # Titles stored before text was checked at the door may hold line breaks: one header line.
    subject, body = printable(subject), printable(body)  # the outbox puts the subject on one line
    for person_id in set(recipients) - {exclude}:
        try:
            person = rt.app.get_person(person_id)
        except NotFound:  # an id from a stale view: nobody to tell
            log.info("no person %s to notify", person_id)
            continue
        if person.erased or not person.email_verified:  # never mail an address nobody proved is theirs
            continue
        me = rt.app.reveal(person)
        if not me["email"]:
            continue
        greeting = f"Hello {me['name']},\n\n"
        rt.send_email(
            rt.outbox.add(person_id=person_id, kind=kind, recipient=me["email"], subject=subject, body=greeting + body)
        )
        sent += 1
    return sent


def _link(project_id: Any) -> str:
    return f"{runtime().settings.public_url}/projects/{project_id}"


def project_changed(project_id: UUID, actor: UUID, *, what: str, detail: str) -> None:
    """Tell everyone related to the project (but the actor) that ``what`` happened."""
    try:
        project = runtime().app.get_project(project_id)
        title = project.details.get("title", "a project")
        body = f"{detail}\n\nSee {title}: {_link(project_id)}\n\nYou get this because you are related to it."
        _send(related_people(project), kind="project-news", subject=f"{title}: {what}", body=body, exclude=actor)
    except Exception:
        log.exception("could not queue notifications about project %s", project_id)


def project_proposed(project_id: UUID, actor: UUID) -> None:
    """Tell the key contacts of projects sharing three or more tags that a new one appeared."""
    try:
        rt = runtime()
        project = rt.app.get_project(project_id)
        tags = set(project.details.get("tags") or [])
        if len(tags) < SHARED_TAGS:
            return
        contacts: set[UUID] = set()
        for other_id in view.sharing_tags(rt.db, str(project_id), sorted(tags), SHARED_TAGS):
            other = rt.app.get_project(UUID(other_id))
            contacts.add(UUID(str(other.details.get("key_contact_id") or other.proposer_id)))
        title = project.details.get("title", "A project")
        body = (
            f"A new project shares three or more tags with one of yours: {title}.\n\n"
            f"{project.details.get('summary') or ''}\n\n{_link(project_id)}\n"
        )
        _send(contacts, kind="similar-project", subject=f"A project like yours: {title}", body=body, exclude=actor)
    except Exception:
        log.exception("could not queue notifications about the new project %s", project_id)
