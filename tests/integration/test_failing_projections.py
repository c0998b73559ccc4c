"""A projection that cannot apply an event is shown failing everywhere an operator or a
client looks, is retried with backoff, never holds the other projections back, and
recovers by itself once the cause is gone."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from domain.application import OrganisationRef
from projections import failures, rebuilds, runner
from projections.registry import all_projections
from tests import support
from tests.factories import PASSWORD, council_email, dump
from tests.fakes import Clock
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
POISON = "poisoned title"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """What failures and their backoff are timed by: moved past a backoff, not waited out."""
    clock = Clock()
    monkeypatch.setattr(failures, "clock", clock)
    return clock


def poison_projects_view(runtime: Runtime) -> None:
    """Make the database refuse one title in the projects view: a fault the view cannot get past."""
    with runtime.db.transaction() as tx:
        if runtime.db.dialect == "postgres":
            tx.execute(f"ALTER TABLE projects ADD CONSTRAINT no_poison CHECK (title <> '{POISON}')")
        else:
            tx.execute(
                "CREATE TRIGGER no_poison BEFORE INSERT ON projects"
                f" WHEN NEW.title = '{POISON}' BEGIN SELECT RAISE(ABORT, 'no_poison refused the title'); END"
            )


def cure_projects_view(runtime: Runtime) -> None:
    with runtime.db.transaction() as tx:
        if runtime.db.dialect == "postgres":
            tx.execute("ALTER TABLE projects DROP CONSTRAINT no_poison")
        else:
            tx.execute("DROP TRIGGER no_poison")


def member(runtime: Runtime) -> Any:
    person = runtime.app.sign_up(
        name="Ann",
        email=council_email("WGN"),
        job_title=None,
        organisation=OrganisationRef(code="WGN"),
        password=PASSWORD,
    ).aggregate
    runtime.app.verify_email(person.id)
    return person


def written_then_caught_up(runtime: Runtime) -> None:
    """What follows a write: inline in the embedded mode; a job or sweep in production."""
    if not runtime.settings.embedded:
        runtime.catch_up()


def cli_status(runtime: Runtime) -> subprocess.CompletedProcess[str]:
    env = support.pipeline_env(DATABASE_URL=runtime.settings.database_url)
    return subprocess.run(
        [str(support.BIN / "pipeline"), "projections", "status"],
        env=env,
        cwd=support.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_view_that_cannot_apply_an_event_is_shown_failing_and_the_others_keep_moving(
    any_runtime: Runtime, clock: Clock
) -> None:
    rt = any_runtime
    client = create_app(runtime=rt).test_client()
    poison_projects_view(rt)
    ann = member(rt)
    written_then_caught_up(rt)
    proposed = rt.app.propose_project(ann.id, "alpha", {"title": POISON, "summary": "s"})
    written_then_caught_up(rt)
    bob = member(rt)  # a later write that other views must still apply
    written_then_caught_up(rt)

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.content_type == "application/problem+json"
    assert "projects" in ready.json["detail"] and "no_poison" in ready.json["detail"]

    states = {s["name"]: s for s in client.get("/api/v1/projections").json["items"]}
    assert states["projects"]["state"] == "failing"
    assert "no_poison" in states["projects"]["error"]
    assert states["projects"]["failing_since"] and states["projects"]["attempts"] >= 1
    assert states["projects"]["position"] < proposed.position
    assert states["people"]["state"] == "ok"  # the others moved on past the poisoned event
    person = client.get(f"/api/v1/people/{bob.id}?min_position={runner.head(rt.app)}")
    assert person.status_code == 200

    blocked = client.get(f"/api/v1/projects/{proposed.aggregate.id}?min_position={proposed.position}")
    assert blocked.status_code == 503
    assert blocked.headers["Retry-After"]
    assert "failing" in blocked.json["detail"] and "no_poison" in blocked.json["detail"]

    status = cli_status(rt)
    assert status.returncode == 1
    assert "projects" in status.stdout and "failing" in status.stdout and "no_poison" in status.stdout

    cure_projects_view(rt)
    clock.advance(rt.settings.projection_retry_max_seconds)  # past the longest backoff
    assert rt.catch_up() == []
    assert client.get("/readyz").status_code == 200
    shown = client.get(f"/api/v1/projects/{proposed.aggregate.id}?min_position={proposed.position}")
    assert shown.status_code == 200 and shown.json["title"] == POISON
    assert cli_status(rt).returncode == 0


def test_a_failing_view_is_retried_with_growing_waits_not_on_every_write(any_runtime: Runtime, clock: Clock) -> None:
    rt = any_runtime
    poison_projects_view(rt)
    ann = member(rt)
    rt.app.propose_project(ann.id, "alpha", {"title": POISON, "summary": "s"})
    written_then_caught_up(rt)
    first = {s.name: s for s in runner.status(rt.app, rt.db, all_projections())}["projects"].failure
    assert first is not None and first.attempts == 1
    for _ in range(5):  # writes during the backoff do not retry it
        member(rt)
        written_then_caught_up(rt)
    again = {s.name: s for s in runner.status(rt.app, rt.db, all_projections())}["projects"].failure
    assert again is not None and again.attempts == 1 and again.since == first.since

    clock.advance(failures.backoff(1, most=rt.settings.projection_retry_max_seconds))
    assert rt.catch_up() == ["projects"]
    second = {s.name: s for s in runner.status(rt.app, rt.db, all_projections())}["projects"].failure
    assert second is not None and second.attempts == 2
    assert second.since == first.since
    assert second.retry_at > second.last_attempt_at
    assert _seconds_between(second.last_attempt_at, second.retry_at) > _seconds_between(
        first.last_attempt_at, first.retry_at
    )


def _seconds_between(earlier: str, later: str) -> float:
    from datetime import datetime

    def parse(text: str) -> datetime:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")

    return (parse(later) - parse(earlier)).total_seconds()


def test_an_event_with_nul_in_its_text_does_not_freeze_the_views(any_runtime: Runtime) -> None:
    """The API refuses NUL, but events written before that may hold it: the views drop it."""
    rt = any_runtime
    ann = member(rt)
    proposed = rt.app.propose_project(ann.id, "alpha", {"title": "Bins\u0000 and more", "summary": "a\u0000b"})
    written_then_caught_up(rt)
    statuses = runner.status(rt.app, rt.db, all_projections())
    assert [(s.name, s.state) for s in statuses if s.state != "ok"] == []
    row = rt.db.query("SELECT title, summary FROM projects WHERE id = :id", {"id": str(proposed.aggregate.id)})
    assert row == [{"title": "Bins and more", "summary": "ab"}]
    incremental = dump(rt.db)
    for projection in all_projections():
        rebuilds.rebuild(rt.app, rt.db, projection)
    assert dump(rt.db) == incremental


def test_status_json_names_each_state(pg_runtime: Runtime) -> None:
    poison_projects_view(pg_runtime)
    ann = member(pg_runtime)
    pg_runtime.app.propose_project(ann.id, "alpha", {"title": POISON, "summary": "s"})
    pg_runtime.catch_up()
    member(pg_runtime)  # not applied yet: the views are behind
    env = support.pipeline_env(DATABASE_URL=pg_runtime.settings.database_url)
    result = subprocess.run(
        [str(support.BIN / "pipeline"), "projections", "status", "--json"],
        env=env,
        cwd=support.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    states = {s["name"]: s for s in json.loads(result.stdout)}
    assert states["projects"]["state"] == "failing" and "no_poison" in states["projects"]["error"]
    assert states["people"]["state"] == "behind"
