"""Red team (issue 11): matching emails about a project that is no longer live.

The notifier follows the log and may be behind (a burst, a worker restarting). A project
proposed and archived before it catches up was still mailed, title and summary, as "a new
project you may find useful" to everyone whose interests matched: the matching query leaves
archived projects out on the other side, and nudges and reminders skip them."""

from __future__ import annotations

import pytest

from tests.factories import council_member
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def matching_mail(runtime: Runtime) -> list[str]:
    rows = runtime.db.query("SELECT person_id FROM outbox WHERE kind = 'matching-interest'")
    return [r["person_id"] for r in rows]


def test_a_project_archived_before_the_notifier_reads_its_proposal_is_not_mailed_as_new(pg_runtime: Runtime) -> None:
    app = pg_runtime.app
    reader = council_member(app, "KTT", name="Reader")
    app.choose_notifications(reader.id, words=["potholes"])
    proposer = council_member(app, "WGN", name="Proposer")
    pg_runtime.catch_up()
    live = app.propose_project(proposer.id, "idea", {"title": "Pothole reporting", "summary": "Report potholes"})
    pg_runtime.catch_up()
    assert matching_mail(pg_runtime) == [str(reader.id)]  # the match works while the project is live

    gone = app.propose_project(proposer.id, "idea", {"title": "Pothole mapping", "summary": "Posted by mistake"})
    app.archive_project(gone.aggregate.id, proposer.id, restore=False)
    pg_runtime.catch_up()  # the notifier reads the proposal only now
    assert matching_mail(pg_runtime) == [str(reader.id)], "an archived project was mailed as new"
    assert live.aggregate.id != gone.aggregate.id


def test_a_nudge_recorded_before_the_project_was_archived_is_not_mailed_after(pg_runtime: Runtime) -> None:
    """The same class for what time brings: the sweep records a nudge (the project is live),
    the owner archives it, then the notifier reads the nudge and asked for an update on an
    archived project ("how is it going?"), which nudges never do."""
    from datetime import timedelta

    app = pg_runtime.app
    owner = council_member(app, "WGN", name="Owner")
    pg_runtime.catch_up()
    project = app.propose_project(owner.id, "idea", {"title": "Gritting", "summary": "Grit roads"}).aggregate
    assert app.nudge_project(project.id, app.now() - timedelta(days=70), 1).position is not None
    app.archive_project(project.id, owner.id, restore=False)
    pg_runtime.catch_up()
    rows = pg_runtime.db.query("SELECT person_id FROM outbox WHERE kind = 'nudge'")
    assert rows == [], "a nudge about an archived project was mailed"
