"""Whether a follower has something to apply (``runner.pending``) after a span of the log was
found empty: each process remembers how far past a position it looked, and only what came
after is read again. What it remembers never hides an event written later, nor one written
after a look past the head (a client's ``min_position`` may name a position not written yet)."""

from __future__ import annotations

from typing import Any

import pytest

from projections import runner
from projections.registry import get
from tests.factories import council_member
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def pledge(money: str) -> dict[str, Any]:
    return {"money": money, "days": "1.00", "contributions": ["testing"], "message": None}


def test_a_view_found_with_nothing_to_apply_still_sees_the_next_event_it_follows(any_runtime: Runtime) -> None:
    app = any_runtime.app
    owner, backer = council_member(app, "WGN"), council_member(app, "KTT")
    project = app.propose_project(owner.id, "alpha", {"title": "Spans", "summary": "s"}).aggregate
    updates = get("project_updates")  # no pledge feeds it
    start = runner.head(app)
    for money in ("1.00", "2.00", "3.00"):
        app.pledge_for_organisation(project.id, backer.id, pledge(money))
        assert not runner.pending(app, updates, start, runner.head(app))
    assert not runner.pending(app, updates, start, runner.head(app))  # asked again: still nothing
    app.post_status_update(project.id, "Now in beta", owner.id)
    assert runner.pending(app, updates, start, runner.head(app))
    assert not runner.pending(app, updates, start, start + 3)  # the span before it is still empty


def test_a_look_past_the_head_does_not_hide_what_is_written_there_later(any_runtime: Runtime) -> None:
    app = any_runtime.app
    owner = council_member(app, "WGN")
    project = app.propose_project(owner.id, "alpha", {"title": "Ahead", "summary": "s"}).aggregate
    updates = get("project_updates")
    at = runner.head(app)
    assert not runner.pending(app, updates, at, at + 1000)  # a min_position not written yet
    app.post_status_update(project.id, "Written after the look", owner.id)
    assert runner.head(app) <= at + 1000
    assert runner.pending(app, updates, at, runner.head(app))
    assert runner.pending(app, updates, at, at + 1000)
