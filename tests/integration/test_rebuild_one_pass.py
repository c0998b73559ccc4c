"""Rebuilding several views in one read of the log: the same views as rebuilding them one by one,
the log read once for all of them, copies left at different positions by a killed run carried on
from their own, and writes applied to the live views meanwhile still leave each equal to its log."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from typing import Any

import pytest

from projections import beside, rebuilds, runner, verify
from projections.registry import all_projections, get
from tests import support
from tests.factories import bulk_sign_ups, council_member, dump, mixed_history
from tests.integration.test_rebuild_online import Writer, leftovers
from workers.runtime import follow
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def story(rt: Runtime) -> int:
    """Sign-ups, projects with pledges, follows and status updates: every view has rows."""
    mixed_history(rt.app)
    bulk_sign_ups(rt.app, 800)
    ann = council_member(rt.app, "KTT")
    bob = council_member(rt.app, "WGN")
    for i in range(12):
        project = rt.app.propose_project(ann.id, "alpha", {"title": f"Bins {i}", "tags": ["waste"]}).aggregate.id
        rt.app.follow(project, bob.id, following=True)
        rt.app.make_pledge(project, bob.id, {"money": f"{100 + i}.00", "days": "1.5"})
        update = rt.app.post_status_update(project, f"Week {i}: going well", ann.id).aggregate.id
        if i % 3 == 0:
            rt.app.revise_status_update(project, update, f"Week {i}: going very well", ann.id)
    rt.catch_up()
    return runner.head(rt.app)


class CountingReads:
    """The real recorder, counting the events each page read of the log brought back."""

    def __init__(self, recorder: Any) -> None:
        self.recorder, self.pages = recorder, 0
        self.events = 0

    def select_notifications(self, *args: Any, **kwargs: Any) -> Sequence[Any]:
        found = self.recorder.select_notifications(*args, **kwargs)
        if len(found) > 1:  # one-row reads are `pending` checks, not pages
            self.pages += 1
            self.events += len(found)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.recorder, name)


def test_one_pass_makes_the_views_that_rebuilding_each_alone_makes(
    any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = any_runtime
    head = story(rt)
    live = dump(rt.db)
    views = all_projections()
    for view in views:
        rebuilds.rebuild(rt.app, rt.db, view, batch_size=700)
    one_by_one = dump(rt.db)
    reads = CountingReads(rt.app.recorder)
    monkeypatch.setattr(rt.app, "recorder", reads)
    reached = rebuilds.rebuild_all(rt.app, rt.db, views, batch_size=700)
    monkeypatch.undo()
    assert reached == {v.name: head for v in views}
    assert dump(rt.db) == one_by_one == live
    assert reads.events <= head, f"the log was read more than once: {reads.events} events for a log of {head}"
    assert rebuilds.in_progress(rt.db) == {} and leftovers(rt) == []


def test_a_pass_carries_each_copy_on_from_its_own_position(any_runtime: Runtime) -> None:
    """As a killed run leaves them: one copy far on, one just started, one not made yet."""
    rt = any_runtime
    head = story(rt)
    complete = dump(rt.db)
    people, activity = get("people"), get("activity")
    far, near = head * 2 // 3, head // 4
    for view, until in ((people, far), (activity, near)):
        copy, _ = rebuilds.open_copy(rt.db, view, beside.REBUILD)
        rebuilds.fill(rt.app, rt.db, copy, lambda count: None, batch_size=300, until=until)
    assert rebuilds.in_progress(rt.db) == {"people": far, "activity": near}
    steps: list[int] = []
    reached = rebuilds.rebuild_all(rt.app, rt.db, [people, activity, get("organisations")], advance=steps.append)
    assert steps[0] == 0  # organisations' copy starts at 0: the read starts at the lowest position
    assert sum(steps) == head  # and covers the log once
    assert set(reached.values()) == {head}
    assert dump(rt.db) == complete  # had a copy been given events it had, its rows would differ (or clash)


def test_a_resumed_pass_starts_reading_at_the_lowest_copy(any_runtime: Runtime) -> None:
    rt = any_runtime
    head = story(rt)
    complete = dump(rt.db)
    for view, until in ((get("people"), head // 2), (get("signups_timeline"), head // 3)):
        copy, _ = rebuilds.open_copy(rt.db, view, beside.REBUILD)
        rebuilds.fill(rt.app, rt.db, copy, lambda count: None, batch_size=300, until=until)
    steps: list[int] = []
    rebuilds.rebuild_all(rt.app, rt.db, [get("people"), get("signups_timeline")], advance=steps.append)
    assert steps[0] == head // 3 and sum(steps) == head
    assert dump(rt.db) == complete


def test_writes_applied_during_a_pass_leave_every_view_equal_to_its_log(any_runtime: Runtime) -> None:
    rt = any_runtime
    story(rt)
    with Writer(rt) as writer:
        reached = rebuilds.rebuild_all(rt.app, rt.db, all_projections(), batch_size=200)
    assert writer.written, "nothing was written during the pass: nothing was proved"
    assert all(at > 0 for at in reached.values())
    rt.catch_up()
    for view in all_projections():
        check = verify.verify(rt.app, rt.db, view, advance=lambda count: None)
        assert check.identical, verify.report(check)
    assert rebuilds.in_progress(rt.db) == {} and leftovers(rt) == []


def test_without_a_terminal_a_rebuild_writes_one_overall_line_every_few_seconds(pg_runtime: Runtime) -> None:
    rt = pg_runtime
    head = story(rt)
    env = support.pipeline_env(DATABASE_URL=rt.settings.database_url, PIPELINE_PROGRESS_SECONDS="0.1")
    done = subprocess.run(
        [str(support.BIN / "pipeline"), "projections", "rebuild", "--all"],
        env=env,
        cwd=support.ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,  # pipes, not a terminal: lines, not a bar redrawn in place
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    views = [f.name for f in follow.all_followers() if not f.starts_at_head]
    label = "rebuilding " + ", ".join(views) + ": "
    lines = [line for line in done.stderr.splitlines() if line.startswith(label)]
    assert len(lines) >= 2, done.stderr  # one overall line, repeated while it runs, and the last
    assert "\r" not in done.stderr and all("/s, " in line for line in lines)
    assert lines[-1].startswith(f"{label}{head:,}/{head:,} (100%)")
    assert all(f"{name}: rebuilt to position {head}" in done.stdout for name in views)
