"""The domain refuses the wrong actor on its own: every command that needs "an admin of
the organisation", "on the team", "speaks for the owner" or "their own account" checks it
inside the application, whatever the web layer checked first. Each case calls the command
directly with someone who may not, and expects NotAllowed and nothing recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.application import OrganisationRef, PipelineApplication
from domain.errors import NotAllowed
from domain.organisation import council_id
from tests.factories import PASSWORD, council_email, email
from tests.fakes import memory_application

WGN = council_id("WGN")


@dataclass
class World:
    app: PipelineApplication
    people: dict[str, UUID]
    project: UUID
    update: UUID
    request: UUID


def _person(app: PipelineApplication, code: str, address: str) -> UUID:
    person = app.sign_up(
        name=f"P {code}", email=address, job_title=None, organisation=OrganisationRef(code=code), password=PASSWORD
    ).aggregate
    app.verify_email(person.id)
    return person.id


def build_world() -> World:
    app = memory_application()
    people = {
        "ann": _person(app, "WGN", council_email("WGN")),  # the first on the domain: Wigan's admin
        "wes": _person(app, "WGN", council_email("WGN")),  # a Wigan member, not an admin, not on the team
        "pat": _person(app, "WGN", email()),  # pending at Wigan
        "kim": _person(app, "KTT", council_email("KTT")),  # Kingston's admin: an outsider to Wigan
        "dee": _person(app, "LDS", council_email("LDS")),  # asks to join the team
    }
    project = app.propose_project(people["ann"], "discovery", {"title": "Bulky waste", "summary": "Book it"})
    update = app.post_status_update(project.aggregate.id, "Kick-off done", people["ann"])
    request = app.request_contribution(project.aggregate.id, people["dee"], "We can test")
    return World(app, people, project.aggregate.id, update.aggregate.id, request.aggregate.id)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()  # shared: every case below is refused, so nothing changes it


Command = Callable[[World, UUID], Any]


def _goal(w: World) -> dict[str, Any]:
    return {"min_partners": 1, "money": "100", "days": "0", "deadline": (w.app.now() + timedelta(days=9)).isoformat()}


ORGANISATION: dict[str, Command] = {
    "update organisation": lambda w, a: w.app.update_organisation(WGN, {"description": "Ours now"}, actor=a),
    "appoint admin": lambda w, a: w.app.appoint_admin(WGN, w.people["wes"], actor=a),
    "remove member": lambda w, a: w.app.remove_member(WGN, w.people["wes"], actor=a),
    "approve member": lambda w, a: w.app.approve_member(WGN, w.people["pat"], actor=a),
    "decline member": lambda w, a: w.app.decline_member(WGN, w.people["pat"], actor=a, reason=None),
    "add domain": lambda w, a: w.app.add_domain(WGN, "waste.wigan.gov.uk", actor=a),
    "remove domain": lambda w, a: w.app.remove_domain(WGN, "wigan.gov.uk", actor=a),
}
PROJECT_EDITORS: dict[str, Command] = {
    "edit project": lambda w, a: w.app.edit_project(w.project, {"title": "Hijacked"}, a),
    "change phase": lambda w, a: w.app.change_phase(w.project, "alpha", a),
    "archive": lambda w, a: w.app.archive_project(w.project, a, restore=False),
    "restore": lambda w, a: w.app.archive_project(w.project, a, restore=True),
    "post status update": lambda w, a: w.app.post_status_update(w.project, "Not yours", a),
    "correct status update": lambda w, a: w.app.revise_status_update(w.project, w.update, "Rewritten", a),
    "retract status update": lambda w, a: w.app.revise_status_update(w.project, w.update, None, a),
}
PROJECT_TEAM: dict[str, Command] = {
    "set goal": lambda w, a: w.app.set_goal(w.project, _goal(w), a),
    "approve contribution": lambda w, a: w.app.decide_contribution(w.project, w.request, a, approve=True),
    "decline contribution": lambda w, a: w.app.decide_contribution(w.project, w.request, a, approve=False),
}
OWN_ACCOUNT: dict[str, Command] = {
    "update profile": lambda w, a: w.app.update_profile(w.people["ann"], {"name": "Someone Else"}, actor=a),
    "change password": lambda w, a: w.app.change_password(
        w.people["ann"], "another long test passphrase", reason="changed", actor=a
    ),
    "move person": lambda w, a: w.app.move_person(w.people["ann"], OrganisationRef(code="KTT"), actor=a),
    "erase": lambda w, a: w.app.erase(w.people["ann"], actor=a),
}

CASES = [
    *[(name, command, actor) for name, command in ORGANISATION.items() for actor in ("wes", "pat", "kim")],
    *[(name, command, actor) for name, command in PROJECT_EDITORS.items() for actor in ("pat", "kim", "dee")],
    *[(name, command, actor) for name, command in PROJECT_TEAM.items() for actor in ("wes", "pat", "kim")],
    *[(name, command, actor) for name, command in OWN_ACCOUNT.items() for actor in ("wes", "kim")],
]


@pytest.mark.parametrize(("name", "command", "actor"), CASES, ids=[f"{n}-by-{a}" for n, _, a in CASES])
def test_the_domain_refuses_the_wrong_actor(world: World, name: str, command: Command, actor: str) -> None:
    before = world.app.recorder.max_notification_id()
    with pytest.raises(NotAllowed):
        command(world, world.people[actor])
    assert world.app.recorder.max_notification_id() == before, f"{name} recorded something"


ALL = {**ORGANISATION, **PROJECT_EDITORS, **PROJECT_TEAM, **OWN_ACCOUNT}


@pytest.mark.parametrize("name", sorted(ALL))
def test_the_same_commands_succeed_for_wigans_admin_on_the_team(name: str) -> None:
    """So the refusals above are about the actor, not about the command or its arguments."""
    w = build_world()  # a fresh one: these change it
    if name == "restore":
        w.app.archive_project(w.project, w.people["ann"], restore=False)
    before = w.app.recorder.max_notification_id()
    ALL[name](w, w.people["ann"])
    assert w.app.recorder.max_notification_id() > before
