"""``pipeline demo``: a seeded 2014-15 history, written through the ordinary commands with the
clock set, into a new store (both modes); and the default-size story has the alpha's shape."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.history import HistoryMark, covered
from projections import runner
from tests import support
from workers.history.demo.planning import plan
from workers.history.demo.run import Refused, Summary, catch_up, prepare, write
from workers.history.demo.story import END, START, Options
from workers.processes import goals
from workers.runtime import follow
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

SMALL = Options(seed=7, councils=12, suppliers=2, projects=8)
WINDOW = (START.astimezone(UTC), END.astimezone(UTC))


@dataclass
class Written:
    settings: Settings
    summary: Summary
    register_head: int


@dataclass(frozen=True)
class Event:
    position: int
    aggregate: uuid.UUID
    version: int
    name: str
    at: datetime
    event: Any


def run_demo(settings: Settings, options: Options) -> Written:
    story = plan(options)
    prepare(settings, story)
    rt = build_runtime(settings)
    try:
        register_head = runner.head(rt.app)
        summary = write(rt, story, lambda n: None)
        assert catch_up(rt, lambda n: None) == []
    finally:
        rt.close()
    return Written(settings, summary, register_head)


def fresh_settings(kind: str, folder: Path) -> Settings:
    """A store nobody has initialised: the demo initialises it itself."""
    if kind == "sqlite":
        return Settings(database_url=f"sqlite:///{folder}/demo.sqlite3", outbox_dir=str(folder / "outbox"))
    return Settings(
        database_url=support.create_database(),
        redis_url=support.REDIS_URL,
        queue_name=f"test-{uuid.uuid4().hex[:10]}",
        secret_key=support.SECRET_KEY,
    )


@pytest.fixture(scope="module", params=["sqlite", "pg"])
def small(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Written]:
    if request.param == "pg":
        request.getfixturevalue("postgres_available")
        request.getfixturevalue("redis_available")
    settings = fresh_settings(request.param, tmp_path_factory.mktemp("demo"))
    yield run_demo(settings, SMALL)
    if request.param == "pg":
        support.drop_database(settings.database_url)


@pytest.fixture
def rt(small: Written) -> Iterator[Runtime]:
    runtime = build_runtime(small.settings)
    yield runtime
    runtime.close()


def events(runtime: Runtime, after: int = 0) -> list[Event]:
    found, start = [], after + 1
    while True:
        page = runtime.app.recorder.select_notifications(start, 500)
        for n in page:
            e = runtime.app.mapper.to_domain_event(n)
            found.append(Event(n.id, n.originator_id, n.originator_version, type(e).__qualname__, e.timestamp, e))
        if len(page) < 500:
            return found
        start = page[-1].id + 1


# ------------------------------------------------------------------ times
def test_every_event_is_dated_inside_the_story_and_in_order_per_aggregate(rt: Runtime) -> None:
    log = events(rt)
    assert len(log) > 1000
    outside = [e for e in log if not WINDOW[0] <= e.at < WINDOW[1]]
    assert outside == [], outside[:3]  # the register too: recorded as of the story's start
    by_aggregate: dict[uuid.UUID, list[Event]] = defaultdict(list)
    for e in log:
        by_aggregate[e.aggregate].append(e)
    for history in by_aggregate.values():
        times = [e.at for e in sorted(history, key=lambda e: e.version)]
        assert times == sorted(times), history[0].name


def test_the_story_spreads_over_the_eight_months(small: Written, rt: Runtime) -> None:
    story = [e for e in events(rt, small.register_head) if e.name != "HistoryMark.Written"]
    assert min(e.at for e in story) < WINDOW[0] + timedelta(days=3)
    assert max(e.at for e in story) > WINDOW[1] - timedelta(days=90)
    assert small.summary.first is not None and small.summary.first.year == 2014


def test_every_story_event_is_marked_as_demo_history(small: Written, rt: Runtime) -> None:
    story = events(rt, small.register_head)
    marks = [e.event for e in story if e.name == "HistoryMark.Written"]
    assert {m.origin for m in marks} == {"demo"}
    listed = set().union(*(covered(m) for m in marks))
    written = {(e.aggregate, e.version) for e in story if not isinstance(e.event, HistoryMark.Written)}
    assert written and written <= listed


def test_every_step_of_the_story_is_in_the_log(small: Written, rt: Runtime) -> None:
    names = [e.name for e in events(rt, small.register_head)]
    steps = small.summary.steps
    assert steps["edit"] > 0 and names.count("Project.Edited") == steps["edit"]
    assert names.count("Person.SignedUp") == steps["sign_up"]
    assert names.count("Person.EmailVerified") == steps["verify"]
    assert names.count("Follow.Followed") == steps["follow"]
    assert names.count("Project.PledgeMade") == steps["pledge"]
    assert names.count("StatusUpdate.Posted") == steps["status"]


def test_nobody_is_emailed(rt: Runtime) -> None:
    assert rt.db.query("SELECT COUNT(*) AS n FROM outbox")[0]["n"] == 0


# --------------------------------------------------------------- the views
def test_views_are_caught_up_and_show_the_projects_with_their_dates(small: Written, rt: Runtime) -> None:
    statuses = runner.status(rt.app, rt.db, follow.all_followers())
    assert [(s.name, s.lag) for s in statuses if s.lag or s.failure] == []
    rows = rt.db.query("SELECT title, created_at, updated_at FROM projects")
    assert len(rows) == small.summary.steps["propose"] > 0
    assert all("2014-09" <= r["created_at"] <= r["updated_at"] < "2015-05" for r in rows)
    people = rt.db.query("SELECT COUNT(*) AS n FROM people")[0]["n"]
    assert people == small.summary.steps["sign_up"]


def test_no_goal_is_left_for_todays_sweep(small: Written, rt: Runtime) -> None:
    assert small.summary.steps["goal"] >= 1
    assert goals.due(rt.db, datetime(2100, 1, 1, tzinfo=UTC)) == []
    log = events(rt, small.register_head)
    decided = {e.aggregate: e for e in log if e.name == "Project.GoalDecided"}
    for goal in (e for e in log if e.name == "Project.GoalSet"):
        deadline = datetime.fromisoformat(goal.event.goal["deadline"])
        assert goal.aggregate in decided, "a goal left open"
        assert decided[goal.aggregate].at == deadline  # decided at its deadline, with the clock there
    rows = rt.db.query(
        "SELECT goal_state, goal_decided_at, partner_count, goal_min_partners, pledged_pence, goal_pence,"
        " pledged_days_hundredths, goal_days_hundredths FROM projects WHERE goal_state <> 'none'"
    )
    assert len(rows) == small.summary.steps["goal"]
    for r in rows:
        assert r["goal_state"] in ("met", "missed") and "2014-09" < r["goal_decided_at"] < "2015-05"
        reached = (
            r["partner_count"] >= r["goal_min_partners"]
            and r["pledged_pence"] >= r["goal_pence"]
            and r["pledged_days_hundredths"] >= r["goal_days_hundredths"]
        )
        assert reached == (r["goal_state"] == "met")


# ------------------------------------------------------------ seed, refusals
def test_the_same_seed_writes_the_same_history_and_another_seed_another(tmp_path: Path) -> None:
    def story_of(folder: str, seed: int) -> tuple[dict[str, Any], list[tuple[str, datetime]]]:
        written = run_demo(fresh_settings("sqlite", tmp_path / folder), Options(seed, 8, 1, 5))
        runtime = build_runtime(written.settings)
        try:
            log = [(e.name, e.at) for e in events(runtime, written.register_head)]
        finally:
            runtime.close()
        return written.summary.as_dict(), log

    first, again, other = story_of("a", 11), story_of("b", 11), story_of("c", 12)
    assert first == again
    assert first[1] != other[1]


def test_refuses_a_store_that_holds_people(small: Written) -> None:
    with pytest.raises(Refused, match="already holds people"):
        prepare(small.settings, plan(SMALL))


def test_refuses_a_store_initialised_today(sqlite_settings: Settings) -> None:
    with pytest.raises(Refused, match="register was recorded on 20"):
        prepare(sqlite_settings, plan(SMALL))


def test_refuses_a_store_that_can_send_mail(tmp_path: Path) -> None:
    settings = fresh_settings("sqlite", tmp_path)
    with pytest.raises(Refused, match="SMTP_URL"):
        prepare(Settings(database_url=settings.database_url, smtp_url="smtp://mail.example:25"), plan(SMALL))
    assert not (tmp_path / "demo.sqlite3").exists()  # refused before touching the store


def test_the_command_prints_a_summary_and_refuses_a_second_run(tmp_path: Path) -> None:
    env = support.pipeline_env(DATABASE_URL=f"sqlite:///{tmp_path}/cli.sqlite3", PIPELINE_OUTBOX_DIR=str(tmp_path))
    env.pop("PIPELINE_SECRET_KEY")  # embedded: the key file is made beside the database
    args = ("demo", "--councils", "6", "--suppliers", "1", "--projects", "3", "--seed", "5")
    summary = json.loads(support.run_cli(*args, "--json", env=env))
    assert summary["organisations"]["council"] == 6
    assert summary["steps"]["propose"] == 3
    assert summary["first"] < summary["last"] < "2015-05"
    with pytest.raises(RuntimeError, match="already holds people"):
        support.run_cli(*args, env=env)


# -------------------------------------------------- the default story's shape
def test_the_default_story_has_the_alphas_shape(tmp_path: Path) -> None:
    written = run_demo(fresh_settings("sqlite", tmp_path), Options())
    runtime = build_runtime(written.settings)
    try:
        log = events(runtime, written.register_head)
    finally:
        runtime.close()
    orgs = written.summary.organisations
    assert 90 <= orgs["council"] <= 100 and 3 <= orgs["supplier"] <= 12
    sign_ups = [e.at for e in log if e.name == "Person.SignedUp"]
    assert 120 <= len(sign_ups) <= 220
    first_month = sum(1 for at in sign_ups if at < WINDOW[0] + timedelta(days=30))
    assert first_month > len(sign_ups) / 2, "a burst"
    assert max(sign_ups) > WINDOW[0] + timedelta(days=120), "then a trickle"
    proposed = {e.aggregate: e.at for e in log if e.name == "Project.Proposed"}
    assert 50 <= len(proposed) <= 70
    touched = [(project, e.at) for e in log if (project := _touches(e)) in proposed]
    later = {project for project, at in touched if at > proposed[project] + timedelta(days=28)}
    assert len(later) < len(proposed) / 2, "most projects are never touched after their first weeks"
    outcomes = [e.event.outcome for e in log if e.name == "Project.GoalDecided"]
    assert "met" in outcomes and "missed" in outcomes
    assert sum(1 for e in log if e.name == "Follow.Followed") > len(proposed)
    requests = {e.aggregate for e in log if e.name == "ContributionRequest.Requested"}
    answered = {e.aggregate for e in log if e.name in ("ContributionRequest.Approved", "ContributionRequest.Declined")}
    assert requests - answered, "some requests are never answered"


def _touches(e: Event) -> uuid.UUID | None:
    """The project an edit, phase change or status update is about."""
    if e.name in ("Project.Edited", "Project.PhaseChanged"):
        return e.aggregate
    if e.name == "StatusUpdate.Posted":
        return uuid.UUID(str(e.event.project_id))
    return None
