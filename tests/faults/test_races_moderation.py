"""Races around moderation: an owner's edit (and status update) against an operator's lock
of the same project, and a person's command against their suspension.

Invariants: nothing changes a project between its Locked and Unlocked events, whichever
command the store took first; an edit that lost is refused (409), never half-applied; a
person suspended first acts no more."""

from __future__ import annotations

from functools import partial
from uuid import UUID

import pytest

from tests.faults.races import Answer, Api, at_once, log_order, name_of, officer
from workers.runtime.bootstrap import Runtime

pytestmark = [pytest.mark.races, pytest.mark.faults]
TRIES = 6
CHANGES = ("Edited", "Posted")


def _operator(runtime: Runtime) -> str:
    person, token = officer(runtime, "LDS")
    runtime.app.set_operator(runtime.app.personal.open(person.id, person.email) or "", True)
    return token


def test_an_edit_racing_a_lock_never_lands_after_the_lock(race_runtime: Runtime) -> None:
    api, app = Api(race_runtime), race_runtime.app
    owner, owner_token = officer(race_runtime, "WGN")
    operator = _operator(race_runtime)
    project = app.propose_project(owner.id, "alpha", {"title": "Bins", "summary": "Bin days"}).aggregate.id
    url = f"/api/v1/projects/{project}"
    for attempt in range(TRIES):
        edited, posted, locked = at_once(
            partial(api.call, "PATCH", url, {"title": f"Bins {attempt}"}, token=owner_token),
            partial(api.call, "POST", f"{url}/status-updates", {"body": f"Update {attempt}"}, token=owner_token),
            partial(api.call, "POST", f"{url}/lock", {"reason": "Under review."}, token=operator),
        )
        assert isinstance(locked, Answer) and locked.status == 200, locked
        for answer in (edited, posted):
            assert isinstance(answer, Answer) and answer.status in (200, 201, 409), answer
            if answer.status == 409:
                assert "locked this project" in answer.body["detail"]
        _nothing_changed_while_locked(race_runtime, project, [posted.body.get("id")] if posted.status == 201 else [])
        assert api.call("POST", f"{url}/unlock", {"reason": "Reviewed."}, token=operator).status == 200


def _nothing_changed_while_locked(runtime: Runtime, project: UUID, updates: list[str]) -> None:
    """In log order, no change to the project (nor a status update on it) follows its Locked."""
    ids = [project, *(UUID(u) for u in updates)]
    names = [name_of(event) for event in log_order(runtime, *ids)]
    last_lock = len(names) - 1 - names[::-1].index("Locked")
    assert not [n for n in names[last_lock:] if n in CHANGES], names
    assert runtime.app.get_project(project).locked is not None


def test_a_person_suspended_while_acting_acts_no_more(race_runtime: Runtime) -> None:
    api, app = Api(race_runtime), race_runtime.app
    operator = _operator(race_runtime)
    for _ in range(TRIES):
        person, token = officer(race_runtime, "WGN")
        proposed, suspended = at_once(
            partial(
                api.call, "POST", "/api/v1/projects", {"title": "T", "summary": "S", "phase": "alpha"}, token=token
            ),
            partial(api.call, "POST", f"/api/v1/people/{person.id}/suspend", {"reason": "Spam."}, token=operator),
        )
        assert isinstance(suspended, Answer) and suspended.status == 200, suspended
        assert isinstance(proposed, Answer) and proposed.status in (201, 401, 403, 409), proposed
        if proposed.status == 201:  # decided on the person's version: saved before the suspension
            names = [name_of(e) for e in log_order(race_runtime, person.id, UUID(proposed.body["id"]))]
            assert names.index("Proposed") < names.index("Suspended"), names
        after = api.call("POST", "/api/v1/projects", {"title": "T", "summary": "S", "phase": "alpha"}, token=token)
        assert after.status == 401, after
        assert app.get_person(person.id).suspended is not None
