"""Group commit on the real PostgreSQL: commands of one process running at once share a
transaction, each is answered with its own position, and a command that lost a race to
another process is redone without failing the commands saved beside it."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.utils import get_topic

from domain import history
from domain.project import Project
from tests.factories import council_member
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration
COUNCILS = ["KTT", "KHL", "BNH", "CMD", "LDS", "MAN", "SHF", "BST", "BIR", "NET", "LIV", "YOR"]


def pledge(money: str) -> dict[str, Any]:
    return {"money": money, "days": "1.00", "contributions": ["testing"], "message": None}


def test_concurrent_pledges_in_one_process_are_each_saved_once_with_their_own_position(
    pg_runtime: Runtime, pg_settings: Settings
) -> None:
    app = pg_runtime.app
    assert app.group_commit
    owner, outsider = council_member(app, "WGN"), council_member(app, "ASH")  # not among COUNCILS
    pledgers = [council_member(app, code) for code in COUNCILS if code in app.council_codes]
    projects = [
        app.propose_project(owner.id, "alpha", {"title": f"Shared {i}", "summary": "s"}).aggregate.id
        for i in range(len(pledgers))
    ]
    rival = build_runtime(pg_settings)  # another process, racing on the first project
    barrier, answers, errors = threading.Barrier(len(pledgers) + 1), {}, []

    def command(i: int) -> None:
        barrier.wait()
        try:
            for round_ in range(3):
                written = app.pledge_for_organisation(projects[i], pledgers[i].id, pledge(f"{100 * (round_ + 1) + i}"))
                answers[(i, round_)] = written.position
        except Exception as error:  # asserted below
            errors.append(error)

    def race() -> None:
        barrier.wait()
        for round_ in range(3):
            rival.app.pledge_for_organisation(projects[0], outsider.id, pledge(f"{7 + round_}"))

    threads = [threading.Thread(target=command, args=(i,)) for i in range(len(pledgers))]
    threads.append(threading.Thread(target=race))
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        rival.close()
    assert errors == []
    positions = list(answers.values())
    assert len(set(positions)) == len(positions) == 3 * len(pledgers)
    notes = app.recorder.select_notifications(
        start=min(positions), limit=10_000, topics=[get_topic(Project.PledgeMade), get_topic(Project.PledgeAmended)]
    )
    events = {n.id: app.mapper.to_domain_event(n) for n in notes}
    for (i, _round), position in answers.items():  # each answer names its own event
        assert events[position].originator_id == projects[i]
    for i, project_id in enumerate(projects):
        expected = Decimal(300 + i) + (Decimal(9) if i == 0 else 0)
        assert app.get_project(project_id).totals()["money"] == expected


def test_a_pledge_written_as_history_is_saved_alone_under_its_mark(pg_runtime: Runtime) -> None:
    app = pg_runtime.app
    owner, pledger = council_member(app, "WGN"), council_member(app, "MAN")
    project_id = app.propose_project(owner.id, "alpha", {"title": "Shared", "summary": "s"}).aggregate.id
    with history.writing_history(history.DEMO):
        position = app.pledge_for_organisation(project_id, pledger.id, pledge("100")).position
    assert position is not None
    marks = app.recorder.select_notifications(start=1, limit=10_000, topics=[get_topic(history.HistoryMark.Written)])
    (mark,) = [app.mapper.to_domain_event(n) for n in marks]
    assert mark.events[0][:2] == [str(project_id), app.get_project(project_id).version]
