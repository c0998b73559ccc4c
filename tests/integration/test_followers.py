"""Side effects follow the log: the notifier and the goal decider are followers with their
own positions; a rebuild, a replay or a follower started late sends nothing twice; a read
never writes an event; a write asks only the followers its events feed."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain import clock
from projections import rebuilds, runner
from tests.factories import council_member
from web.app import create_app
from workers.notify.notifier import NOTIFIERS, Notifier
from workers.runtime import follow
from workers.runtime.bootstrap import Runtime, initialise

pytestmark = pytest.mark.integration


@pytest.fixture
def t0() -> Iterator[clock.Clock]:
    """The settable clock, set to now: a test moves it past a deadline instead of sleeping."""
    with clock.set_to(datetime.now(UTC)) as moment:
        yield moment


def outbox(rt: Runtime) -> list[tuple[str, str]]:
    return sorted((r["kind"], r["person_id"]) for r in rt.db.query("SELECT kind, person_id FROM outbox"))


def member(rt: Runtime, code: str, *, verified: bool = True) -> uuid.UUID:
    return council_member(rt.app, code, verified=verified).id


def a_story(rt: Runtime) -> uuid.UUID:
    """Sign-ups (verification mail), a project with a phase change, an edit and a status
    update heard by a follower, a reset request: every kind of mail the notifier writes."""
    ann, bob = member(rt, "WGN"), member(rt, "LDS")
    member(rt, "KTT", verified=False)
    project = rt.app.propose_project(ann, "alpha", {"title": "Bins", "summary": "s"}).aggregate.id
    rt.app.follow(project, bob, following=True)
    rt.app.change_phase(project, "beta", ann)
    rt.app.edit_project(project, {"summary": "Better bins"}, ann)
    rt.app.post_status_update(project, "Shipped", ann)
    return project


def test_rebuilding_the_notifier_and_replaying_the_log_sends_no_email_twice(any_runtime: Runtime) -> None:
    rt = any_runtime
    a_story(rt)
    rt.catch_up()  # in production the worker's job; inline already when embedded
    sent = outbox(rt)
    kinds = {kind for kind, _ in sent}
    assert kinds == {"verify-email", "project-news", "new-follower"} and len(sent) >= 5

    for follower in follow.all_followers():  # `pipeline projections rebuild --all`, then the catch-up
        rebuilds.rebuild(rt.app, rt.db, follower)
    rt.catch_up()
    assert outbox(rt) == sent

    heard, rt.app.log_moved = rt.app.log_moved, None  # a sign-up the notifier has not seen yet
    late = member(rt, "MAN", verified=False)
    rt.app.log_moved = heard
    behind = runner.position(rt.db, "notifier")
    assert rebuilds.rebuild(rt.app, rt.db, Notifier()) == behind  # left where it is: nothing skipped
    rt.catch_up()
    sent = sorted([*sent, ("verify-email", str(late))])
    assert outbox(rt) == sent

    with rt.db.transaction() as tx:  # even moved back to the start by hand, it sends nothing twice
        tx.execute("UPDATE projection_positions SET position = 0 WHERE name = 'notifier'")
    rt.catch_up()
    assert runner.position(rt.db, "notifier") == runner.head(rt.app)
    assert outbox(rt) == sent


def test_a_notifier_started_on_an_old_history_sends_nothing_for_the_past(any_runtime: Runtime) -> None:
    rt = any_runtime
    heard, rt.app.log_moved = rt.app.log_moved, None  # as if written before the notifier existed
    a_story(rt)
    with rt.db.transaction() as tx:
        tx.execute("DELETE FROM projection_positions WHERE name IN ('notifier', 'notifier-2')")
        tx.execute("DELETE FROM outbox")
    runner.create_tables(rt.db, list(NOTIFIERS), head=runner.head(rt.app))  # what `pipeline init` does
    rt.catch_up()
    assert outbox(rt) == []
    rt.app.log_moved = heard
    carol = member(rt, "MAN", verified=False)  # after its start: mailed
    rt.catch_up()
    assert outbox(rt) == [("verify-email", str(carol))]


def test_a_read_never_writes_an_event_and_the_sweep_decides_a_goal_past_its_deadline(
    sqlite_runtime: Runtime, t0: clock.Clock
) -> None:
    rt = sqlite_runtime
    client = create_app(runtime=rt).test_client()
    owner = member(rt, "WGN")
    project = rt.app.propose_project(owner, "alpha", {"title": "Soon", "summary": "s"}).aggregate.id
    deadline = t0.now() + timedelta(seconds=1)
    rt.app.set_goal(project, {"min_partners": 1, "money": "0", "days": "0", "deadline": deadline.isoformat()}, owner)
    t0.advance(timedelta(seconds=1.2))  # the deadline passes (the settable clock: no sleep)

    head = runner.head(rt.app)
    reads = [
        f"/api/v1/projects/{project}",
        f"/api/v1/projects/{project}/pledges",
        "/api/v1/projects?goal_state=open",
        "/api/v1/organisations/WGN",
        "/api/v1/projections",
        "/readyz",
    ]
    for path in reads:
        assert client.get(path).status_code == 200, path
        assert client.head(path).status_code == 200, path
    assert runner.head(rt.app) == head  # not one event written by reading
    assert client.get(f"/api/v1/projects/{project}").json["goal"]["state"] == "open"

    follow.sweep(rt)  # the embedded ticker's (and the worker's) safety net
    assert runner.head(rt.app) == head + 1
    decided = client.get(f"/api/v1/projects/{project}?min_position={head + 1}").json
    assert decided["goal"]["state"] == "missed"  # no partner pledged
    follow.sweep(rt)
    assert runner.head(rt.app) == head + 1  # decided once


def test_a_write_asks_only_the_followers_its_events_feed(sqlite_runtime: Runtime) -> None:
    rt = sqlite_runtime
    asked: list[list[str]] = []

    class Recording:
        def request_catch_up(self, names: list[str]) -> None:
            asked.append(names)

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    real, rt.dispatcher = rt.dispatcher, Recording()  # type: ignore[assignment]
    try:
        owner = member(rt, "WGN", verified=False)
        (sign_up,) = asked
        assert {"people", "signups_timeline", "notifier"} <= set(sign_up)
        assert "goal_deadlines" not in sign_up
        # the notifier reads them, but a sign-up does not feed them: no job that finds nothing to do
        assert not {"projects", "project_updates", "interests"} & set(sign_up)
        asked.clear()
        rt.app.verify_email(owner)
        project = rt.app.propose_project(owner, "alpha", {"title": "T", "summary": "s"}).aggregate.id
        asked.clear()
        goal = {"min_partners": 1, "money": "0", "days": "0", "deadline": "2099-01-01T00:00:00+00:00"}
        rt.app.set_goal(project, goal, owner)
        (goal_set,) = asked
        assert "goal_deadlines" in goal_set and "projects" in goal_set
        assert "signups_timeline" not in goal_set and "people" not in goal_set
        assert "notifier" in goal_set  # a new goal may be met already by the pledges there are
    finally:
        rt.dispatcher = real
    assert set(follow.affected(["no.such:Topic"])) == set()


def test_init_adds_what_an_older_database_lacks_for_the_followers(any_runtime: Runtime) -> None:
    """A database made before the notifier: no dedupe key on the outbox, no rows for the
    processes. `pipeline init` adds them; the notifier starts at the head and then mails."""
    rt = any_runtime
    with rt.db.transaction() as tx:
        tx.execute("DROP INDEX IF EXISTS outbox_dedupe")
        tx.execute("ALTER TABLE outbox DROP COLUMN dedupe")
        tx.execute("DELETE FROM projection_positions WHERE name IN ('notifier', 'notifier-2', 'goal_deadlines')")
        tx.execute("DROP TABLE goal_deadlines")
    heard, rt.app.log_moved = rt.app.log_moved, None
    before = member(rt, "WGN", verified=False)  # written while the old version ran
    rt.app.log_moved = heard
    initialise(rt.settings)
    assert runner.position(rt.db, "notifier") == runner.head(rt.app)
    after = member(rt, "LDS", verified=False)
    rt.catch_up()
    assert outbox(rt) == [("verify-email", str(after))]
    assert str(before) not in {person for _, person in outbox(rt)}


def test_the_notifier_in_two_parts_mails_each_event_once_and_a_new_part_starts_where_the_old_one_was(
    any_runtime: Runtime,
) -> None:
    """The notifier is split by aggregate so two workers can share it. A database from before
    the split has only `notifier`, possibly behind: the second part must start where it was,
    or the events between would be nobody's."""
    rt = any_runtime
    with rt.db.transaction() as tx:  # as before the split: one notifier
        tx.execute("DELETE FROM projection_positions WHERE name = 'notifier-2'")
    heard, rt.app.log_moved = rt.app.log_moved, None  # written while the notifier was behind
    people = [member(rt, code, verified=False) for code in ("WGN", "LDS", "MAN", "BIR", "KTT", "SHF")]
    codes = itertools.cycle(("WGN", "LDS", "MAN"))
    while len({part.part for part in NOTIFIERS for person in people if part.owns(person)}) < 2 and len(people) < 40:
        people.append(member(rt, next(codes), verified=False))  # ids are random: until both parts have some
    rt.app.log_moved = heard
    behind = runner.position(rt.db, "notifier")
    assert behind < runner.head(rt.app)
    runner.create_tables(rt.db, list(NOTIFIERS), head=runner.head(rt.app))  # what `pipeline init` does
    assert runner.position(rt.db, "notifier-2") == behind
    assert {part.part for part in NOTIFIERS for person in people if part.owns(person)} == {0, 1}
    rt.catch_up()
    assert sorted(outbox(rt)) == sorted(("verify-email", str(person)) for person in people)
    for part in NOTIFIERS:  # each part acts only on its own aggregates' events
        assert runner.position(rt.db, part.name) == runner.head(rt.app)
