"""The notifier reads a project as it was before and after each pledge (the goal's 80% and
"reached" marks). Inside a batch it applies each event to the version before instead of
reading the store again: the versions it builds must be the stored versions, field for field."""

from __future__ import annotations

from typing import Any

import pytest

from domain.project import Project
from tests.factories import council_member
from workers.notify.facts import RuntimeFacts
from workers.notify.notifier import Notifier
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def state(project: Project | None) -> dict[str, Any]:
    assert project is not None
    return {
        "version": project.version,
        "pledges": project.pledges,
        "totals": project.totals(),
        "goal": project.goal,
        "modified_on": project.modified_on,
    }


@pytest.mark.parametrize("any_runtime", ["sqlite", "pg"], indirect=True)
def test_versions_built_from_the_batch_equal_the_stored_versions(any_runtime: Runtime) -> None:
    rt = any_runtime
    owner = council_member(rt.app, "KTT")
    project = rt.app.propose_project(owner.id, "alpha", {"title": "Bins", "summary": "s"}).aggregate.id
    goal = {"min_partners": 2, "money": "1000", "days": "0", "deadline": "2099-01-01T00:00:00+00:00"}
    rt.app.set_goal(project, goal, owner.id)
    pledgers = [council_member(rt.app, code) for code in ("LDS", "MAN", "BIR")]
    for round_ in range(4):
        for i, person in enumerate(pledgers):
            pledge = {"money": f"{(round_ + 1) * 100 + i}.00", "days": "0", "contributions": [], "message": None}
            rt.app.pledge_for_organisation(project, person.id, pledge)
    rt.app.withdraw_pledge(project, pledgers[0].id)

    notifications = rt.app.recorder.select_notifications(start=1, limit=100_000, topics=Notifier.topics())
    events = [rt.app.mapper.to_domain_event(n) for n in notifications]
    pledges = [e for e in events if e.originator_id == project and "Pledge" in type(e).__name__]
    assert len(pledges) == 13
    facts = RuntimeFacts(rt, lambda *_: None, events)
    for event in pledges:
        v = event.originator_version
        for version in (v - 1, v):
            assert state(facts.project_at(project, version)) == state(rt.app.repository.get(project, version=version))
    # and the store was read once (the version before the first pledge), not once per version
    read: list[Any] = []
    fresh = RuntimeFacts(rt, lambda *_: None, events)
    real = fresh._load
    fresh._load = lambda *args: read.append(args) or real(*args)  # type: ignore[method-assign]
    for event in pledges:
        fresh.project_at(project, event.originator_version - 1)
        fresh.project_at(project, event.originator_version)
    assert len(read) == 1
