"""Carrying out ``pipeline demo``'s story (``workers.history.demo.story``): each step is one of the
application's ordinary commands, run with the clock at the step's time and inside
``history.writing_history(DEMO)``, so every event carries its 2014-15 time and the notifier
emails nobody about it."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from domain import clock, history
from domain.application import OrganisationRef, PipelineApplication
from domain.errors import DomainError
from domain.inputs import ProjectDetails, checked
from domain.organisation import council_id
from domain.person import Person
from domain.results import Written
from workers.adapters import secret_key
from workers.history.demo.story import START, Plan, Step
from workers.runtime import follow
from workers.runtime.bootstrap import Runtime, build_runtime, initialise
from workers.runtime.settings import Settings

Advance = Callable[[int], None]
NEW_DATABASE = (
    "Run it on a new, empty database, which it initialises itself with the council register as of"
    " 1 September 2014, e.g. DATABASE_URL=sqlite:///demo.sqlite3 pipeline demo"
)


class Refused(Exception):
    """The store cannot take the demo's history (the message says why and what to do)."""


class StepFailed(Exception):
    """A command of the story was refused: a bug in the story, reported with its step."""


@dataclass
class Ids:
    """What the steps' plan indexes became once written."""

    orgs: dict[int, UUID] = field(default_factory=dict)
    people: dict[int, UUID] = field(default_factory=dict)
    projects: dict[int, UUID] = field(default_factory=dict)
    requests: dict[int, UUID] = field(default_factory=dict)


@dataclass
class Summary:
    seed: int
    steps: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)  # goals met / missed, requests approved / declined
    organisations: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None
    positions: tuple[int, int] = (0, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "steps": dict(sorted(self.steps.items())),
            "outcomes": dict(sorted(self.outcomes.items())),
            "organisations": dict(sorted(self.organisations.items())),
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "events": self.positions[1] - self.positions[0],
            "positions": list(self.positions),
        }


# ---------------------------------------------------------------- the store
def refuse_mail(settings: Settings) -> None:
    if settings.smtp_url:
        raise Refused(
            "SMTP_URL is set. The demo's people have made-up addresses on real council domains, and a store"
            " that can send mail would write to them as soon as anyone acts on their projects. Run the demo"
            " (and serve its store) without SMTP_URL: mail then goes to files in PIPELINE_OUTBOX_DIR."
        )


def prepare(settings: Settings, story: Plan) -> Path | None:
    """Make sure the store can take the story, then initialise it with the clock at the story's
    start, so the councils are recorded before anyone joins them. Returns the key-encryption
    key file if it made one (embedded mode, new database)."""
    refuse_mail(settings)
    made = secret_key.ensure_key(settings)
    rt = build_runtime(settings, create_tables=True)
    try:
        if rt.app.recorder.max_notification_id():
            _refuse_unless_ready(rt.app, story)
    finally:
        rt.close()
    with clock.set_to(START):
        initialise(settings)
    return made


def _refuse_unless_ready(app: PipelineApplication, story: Plan) -> None:
    if app.recorder.select_notifications(None, 1, topics=[get_topic(Person.SignedUp)]):
        raise Refused(
            "This store already holds people. The demo writes a whole history of its own: it must not mix with"
            f" real sign-ups, nor be written twice. {NEW_DATABASE}"
        )
    for org in story.orgs:
        try:
            recorded = app.repository.get(council_id(org.code)).created_on if org.code else START
        except AggregateNotFoundError:
            continue
        if recorded > START:
            raise Refused(
                f"This store's council register was recorded on {recorded:%Y-%m-%d} (by `pipeline init`), after"
                " the demo's story begins (1 September 2014): its councils would gain members before they"
                f" existed. {NEW_DATABASE}"
            )


# ---------------------------------------------------------------- the story
def write(rt: Runtime, story: Plan, advance: Advance) -> Summary:
    """Carry out every step in time order. Followers are caught up once, afterwards
    (``catch_up``), as ``pipeline init`` does, rather than after each of thousands of saves."""
    app, ids = rt.app, Ids()
    summary = Summary(story.options.seed)
    start = app.recorder.max_notification_id() or 0
    heard, app.log_moved = app.log_moved, None
    try:
        with history.writing_history(history.DEMO), clock.set_to(START) as now:
            for step in story.ordered():
                now.move_to(step.at)
                _run(app, ids, story, step, summary)
                advance(1)
    finally:
        app.log_moved = heard
    summary.positions = (start, app.recorder.max_notification_id() or 0)
    for org_index in ids.orgs:
        summary.organisations[story.orgs[org_index].kind] += 1
    return summary


def catch_up(rt: Runtime, advance: Advance) -> list[str]:
    """Bring every view and process up to the head; the names of those failing."""
    failing: set[str] = set()
    for name in follow.names():
        failing.update(rt.catch_up([name]))
        advance(1)
    return sorted(failing)


def _run(app: PipelineApplication, ids: Ids, story: Plan, step: Step, summary: Summary) -> None:
    """One step; every step must record something (a command that found nothing to change
    would mean the story and the store disagree)."""
    try:
        written = HANDLERS[step.kind](app, ids, story, step.args)
    except DomainError as error:
        raise StepFailed(f"{step.kind} at {step.at:%Y-%m-%d %H:%M} ({step.args}): {error}") from error
    if written.position is None:
        raise StepFailed(f"{step.kind} at {step.at:%Y-%m-%d %H:%M} ({step.args}) recorded nothing")
    summary.steps[step.kind] += 1
    if step.kind == "decide_goal":
        summary.outcomes[f"goal {written.aggregate.outcome}"] += 1
    elif step.kind == "decide_request":
        summary.outcomes["request approved" if step.args["approve"] else "request declined"] += 1
    summary.first = summary.first or step.at
    summary.last = step.at


# -------------------------------------------------------------- the commands
Handler = Callable[[PipelineApplication, Ids, Plan, dict[str, Any]], Written]


def _sign_up(app: PipelineApplication, ids: Ids, story: Plan, a: dict[str, Any]) -> Written:
    person = story.people[a["person"]]
    org = person.org
    if org.code:
        ref = OrganisationRef(code=org.code)
    elif org.index in ids.orgs:
        ref = OrganisationRef(id=ids.orgs[org.index])
    else:
        ref = OrganisationRef(name=org.name, kind=org.kind)
    password = secrets.token_urlsafe(24)  # kept nowhere: a demo person can only get in by a reset
    written = app.sign_up(
        name=person.name, email=person.email, job_title=person.job_title, organisation=ref, password=password
    )
    ids.people[person.index] = written.aggregate.id
    ids.orgs.setdefault(org.index, written.organisation.id)
    return written


def _approve(app: PipelineApplication, ids: Ids, story: Plan, a: dict[str, Any]) -> Written:
    org = story.people[a["person"]].org
    return app.approve_member(ids.orgs[org.index], ids.people[a["person"]], actor=ids.people[a["admin"]])


def _propose(app: PipelineApplication, ids: Ids, story: Plan, a: dict[str, Any]) -> Written:
    actor = ids.people[a["person"]]
    written = app.propose_project(actor, a["phase"], checked(ProjectDetails, {**a["details"], "key_contact_id": actor}))
    ids.projects[a["project"]] = written.aggregate.id
    return written


def _request(app: PipelineApplication, ids: Ids, story: Plan, a: dict[str, Any]) -> Written:
    written = app.request_contribution(ids.projects[a["project"]], ids.people[a["person"]], a["message"])
    ids.requests[a["request"]] = written.aggregate.id
    return written


def _decide_request(app: PipelineApplication, ids: Ids, story: Plan, a: dict[str, Any]) -> Written:
    project, request, actor = ids.projects[a["project"]], ids.requests[a["request"]], ids.people[a["person"]]
    return app.decide_contribution(project, request, actor, approve=a["approve"], reason=a["reason"])


def _on_project(command: Callable[[PipelineApplication, UUID, UUID, dict[str, Any]], Written]) -> Handler:
    """A step by a person on a project: ``command(app, project id, person id, args)``."""

    def handler(app: PipelineApplication, ids: Ids, story: Plan, a: dict[str, Any]) -> Written:
        return command(app, ids.projects[a["project"]], ids.people[a["person"]], a)

    return handler


HANDLERS: dict[str, Handler] = {
    "sign_up": _sign_up,
    "verify": lambda app, ids, story, a: app.verify_email(ids.people[a["person"]]),
    "approve": _approve,
    "propose": _propose,
    "edit": _on_project(lambda app, project, actor, a: app.edit_project(project, a["changes"], actor)),
    "phase": _on_project(lambda app, project, actor, a: app.change_phase(project, a["phase"], actor)),
    "status": _on_project(lambda app, project, actor, a: app.post_status_update(project, a["body"], actor)),
    "follow": _on_project(lambda app, project, actor, a: app.follow(project, actor, following=True)),
    "need": _on_project(lambda app, project, actor, a: app.declare_need(project, actor, a["comment"])),
    "request": _request,
    "decide_request": _decide_request,
    "goal": _on_project(lambda app, project, actor, a: app.set_goal(project, a["goal"], actor)),
    "pledge": _on_project(lambda app, project, actor, a: app.make_pledge(project, actor, a["pledge"])),
    "withdraw": _on_project(lambda app, project, actor, a: app.withdraw_pledge(project, actor)),
    "decide_goal": lambda app, ids, story, a: app.decide_goal(ids.projects[a["project"]]),
}
