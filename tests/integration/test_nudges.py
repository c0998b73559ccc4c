"""A project with no status update or edit for PIPELINE_NUDGE_DAYS is nudged; 14 days later,
still idle, nudged again; 14 more and it is marked quiet (no third nudge). An update starts
over. Each is recorded once, whatever runs the sweep how often; history taken in today is
not idle since 2014. Both modes: embedded (SQLite) and production (PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.utils import get_topic

from domain import clock, history
from domain.reminders import ProjectNudge, ProjectWentQuiet
from projections import projects as projects_view
from projections import rebuilds
from tests.factories import council_member
from web.app import create_app
from workers.processes import engagement
from workers.runtime import follow
from workers.runtime.bootstrap import Runtime, build_runtime

pytestmark = pytest.mark.integration

DAY = timedelta(days=1)


def recorded(rt: Runtime, event_class: type) -> list[Any]:
    notifications = rt.app.recorder.select_notifications(start=1, limit=100_000, topics=[get_topic(event_class)])
    return [rt.app.mapper.to_domain_event(n) for n in notifications]


def view_row(rt: Runtime, project_id: uuid.UUID) -> dict[str, Any]:
    row = projects_view.get(rt.db, str(project_id))
    assert row is not None
    return row


def sweep_at(rt: Runtime, moment: clock.Clock, at: datetime) -> dict[str, int]:
    moment.move_to(at)
    done = engagement.sweep(rt)
    rt.catch_up()
    return done


@pytest.fixture
def t0() -> Iterator[clock.Clock]:
    with clock.set_to(datetime.now(UTC)) as moment:
        yield moment


def proposed(rt: Runtime, title: str = "Potholes") -> tuple[Any, uuid.UUID]:
    owner = council_member(rt.app, "WGN")
    project = rt.app.propose_project(owner.id, "alpha", {"title": title, "summary": "Report them"}).aggregate
    rt.catch_up()
    return owner, project.id


def test_an_idle_project_is_nudged_twice_then_marked_quiet_and_nothing_more(
    any_runtime: Runtime, t0: clock.Clock
) -> None:
    rt, start = any_runtime, t0.now()
    _, project = proposed(rt)

    assert sweep_at(rt, t0, start + 59 * DAY)["nudges"] == 0
    assert sweep_at(rt, t0, start + 60 * DAY)["nudges"] == 1
    assert sweep_at(rt, t0, start + 60 * DAY + timedelta(hours=1))["nudges"] == 0  # a second sweep: nothing
    assert view_row(rt, project)["nudges"] == 1
    assert sweep_at(rt, t0, start + 73 * DAY)["nudges"] == 0  # 13 days to answer: not yet
    assert sweep_at(rt, t0, start + 74 * DAY)["nudges"] == 1
    assert sweep_at(rt, t0, start + 87 * DAY)["nudges"] == 0
    assert view_row(rt, project)["quiet"] is False
    assert sweep_at(rt, t0, start + 88 * DAY)["nudges"] == 1  # the quiet mark, not a third nudge
    for later in (89, 120, 400):
        assert sweep_at(rt, t0, start + later * DAY)["nudges"] == 0

    nudges = recorded(rt, ProjectNudge.Sent)
    assert [(n.project_id, n.number) for n in nudges] == [(project, 1), (project, 2)]
    assert {n.idle_since for n in nudges} == {start.isoformat()}
    assert len(recorded(rt, ProjectWentQuiet.Marked)) == 1
    row = view_row(rt, project)
    assert row["quiet"] is True and row["nudges"] == 2


def test_a_status_update_or_an_edit_ends_the_quiet_and_starts_a_new_idle_spell(
    any_runtime: Runtime, t0: clock.Clock
) -> None:
    rt, start = any_runtime, t0.now()
    owner, project = proposed(rt)
    for day in (60, 74, 88):
        sweep_at(rt, t0, start + day * DAY)
    assert view_row(rt, project)["quiet"] is True

    t0.move_to(start + 90 * DAY)
    rt.app.post_status_update(project, "Alpha is live", owner.id)
    rt.catch_up()
    row = view_row(rt, project)
    assert (row["quiet"], row["nudges"]) == (False, 0)
    assert row["active_at"].startswith((start + 90 * DAY).strftime("%Y-%m-%dT%H:%M:%S"))

    assert sweep_at(rt, t0, start + 149 * DAY)["nudges"] == 0  # 59 days after the update
    assert sweep_at(rt, t0, start + 150 * DAY)["nudges"] == 1  # a new spell: nudge 1 again
    t0.move_to(start + 151 * DAY)
    rt.app.edit_project(project, {"summary": "Report potholes online"}, owner.id)
    rt.catch_up()
    assert view_row(rt, project)["nudges"] == 0
    assert sweep_at(rt, t0, start + 165 * DAY)["nudges"] == 0  # nudge 1 of the old spell is forgotten

    firsts = [n for n in recorded(rt, ProjectNudge.Sent) if n.number == 1]
    assert len(firsts) == 2 and len({n.idle_since for n in firsts}) == 2


def test_an_archived_project_is_not_nudged(any_runtime: Runtime, t0: clock.Clock) -> None:
    rt, start = any_runtime, t0.now()
    owner, project = proposed(rt)
    rt.app.archive_project(project, owner.id, restore=False)
    rt.catch_up()
    assert sweep_at(rt, t0, start + 100 * DAY)["nudges"] == 0
    assert recorded(rt, ProjectNudge.Sent) == []


def test_history_taken_in_today_is_not_idle_since_it_happened(any_runtime: Runtime) -> None:
    rt = any_runtime
    with clock.set_to(datetime(2014, 9, 1, 9, tzinfo=UTC)), history.writing_history(history.DEMO):
        owner = council_member(rt.app, "WGN")
        project = rt.app.propose_project(owner.id, "beta", {"title": "Old", "summary": "From 2014"}).aggregate
    rt.catch_up()
    assert view_row(rt, project.id)["created_at"].startswith("2014-09-01")
    arrived = datetime.now(UTC)

    with clock.set_to(arrived + DAY) as moment:
        assert sweep_at(rt, moment, arrived + DAY)["nudges"] == 0
        assert sweep_at(rt, moment, arrived + 61 * DAY)["nudges"] == 1  # idle since it arrived, not since 2014


def test_the_quiet_filter_finds_quiet_projects_and_refuses_a_bad_value(sqlite_runtime: Runtime) -> None:
    rt = sqlite_runtime
    with clock.set_to(datetime.now(UTC)) as moment:
        start = moment.now()
        _, quiet = proposed(rt, "Quiet one")
        t_owner = council_member(rt.app, "KTT")
        lively = rt.app.propose_project(t_owner.id, "alpha", {"title": "Lively one", "summary": "Busy"}).aggregate.id
        for day in (60, 74):
            sweep_at(rt, moment, start + day * DAY)
        moment.move_to(start + 80 * DAY)
        rt.app.post_status_update(lively, "Still here", t_owner.id)
        sweep_at(rt, moment, start + 88 * DAY)
    client = create_app(runtime=rt).test_client()

    found = client.get("/api/v1/projects?quiet=true")
    assert found.status_code == 200
    assert [(p["id"], p["quiet"]) for p in found.json["items"]] == [(str(quiet), True)]
    others = client.get("/api/v1/projects?quiet=false").json["items"]
    assert [(p["id"], p["quiet"]) for p in others] == [(str(lively), False)]
    assert client.get(f"/api/v1/projects/{quiet}").json["quiet"] is True
    exported = list(csv.DictReader(io.StringIO(client.get("/api/v1/projects.csv?quiet=true").get_data(as_text=True))))
    assert [(r["id"], r["quiet"]) for r in exported] == [(str(quiet), "true")]
    bad = client.get("/api/v1/projects?quiet=perhaps")
    assert bad.status_code in (400, 422) and bad.headers["Content-Type"].startswith("application/problem+json")
    assert "quiet" in bad.get_data(as_text=True)


def test_two_workers_sweeping_at_once_record_each_nudge_once(pg_runtime: Runtime) -> None:
    rt = pg_runtime
    with clock.set_to(datetime.now(UTC)) as moment:
        start = moment.now()
        for title in ("One", "Two", "Three"):
            proposed(rt, title)
        moment.move_to(start + 61 * DAY)
        other = build_runtime(rt.settings)
        barrier = threading.Barrier(2)
        done: list[dict[str, int]] = []

        def sweep(runtime: Runtime) -> None:
            with clock.set_to(start + 61 * DAY):
                barrier.wait()
                done.append(engagement.sweep(runtime))

        threads = [threading.Thread(target=sweep, args=(r,)) for r in (rt, other)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        finally:
            other.close()
        rt.catch_up()
        assert sweep_at(rt, moment, start + 62 * DAY)["nudges"] == 0  # and a restart finds nothing to do

    assert sum(d["nudges"] for d in done) == 3
    assert len(recorded(rt, ProjectNudge.Sent)) == 3


def test_a_rebuild_of_the_views_brings_back_the_quiet_mark_and_records_nothing_again(
    any_runtime: Runtime, t0: clock.Clock
) -> None:
    rt, start = any_runtime, t0.now()
    _, project = proposed(rt)
    for day in (60, 74, 88):
        sweep_at(rt, t0, start + day * DAY)
    for name in ("projects", "reminders"):
        rebuilds.rebuild(rt.app, rt.db, follow.follower(name))
    row = view_row(rt, project)
    assert (row["quiet"], row["nudges"]) == (True, 2)
    assert sweep_at(rt, t0, start + 120 * DAY) == {"nudges": 0, "reminders": 0, "deadline_warnings": 0}
    assert len(recorded(rt, ProjectNudge.Sent)) == 2 and len(recorded(rt, ProjectWentQuiet.Marked)) == 1


def test_no_email_is_about_the_quiet_mark_and_the_report_counts_the_nudges(
    any_runtime: Runtime, t0: clock.Clock
) -> None:
    rt, start = any_runtime, t0.now()
    _, project = proposed(rt)
    for day in (60, 74, 88, 120):
        sweep_at(rt, t0, start + day * DAY)
    [quiet] = recorded(rt, ProjectWentQuiet.Marked)
    nudge_mail = rt.db.query("SELECT events FROM outbox WHERE kind = 'nudge'")
    assert len(nudge_mail) <= 2  # one per nudge at most (the policy's texts say who and what)
    mentioned = {key for row in rt.db.query("SELECT events FROM outbox") for key in json.loads(row["events"] or "[]")}
    assert not any(key.startswith(str(quiet.originator_id)) for key in mentioned)

    figures = create_app(runtime=rt).test_client().get("/api/v1/reports/engagement").json["nudges"]
    # the period ends at the last event the report reads, nudge 2: its 14 days are still to come
    assert {k: figures["nudged"][k] for k in ("count", "answered", "unanswered", "pending")} == {
        "count": 2,
        "answered": 0,
        "unanswered": 1,
        "pending": 1,
    }
    assert figures["idle_days"] == 60
