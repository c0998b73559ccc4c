"""Each process caches the aggregates it used (``domain.cache``). On the real PostgreSQL,
with two application instances standing for two processes, a cached aggregate must never
give a wrong answer: not after the other process writes, not after this one loses a
version race, not after a save that failed."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from domain.person import PersonEmail
from domain.project import Project
from tests.factories import council_member
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


def pledge(money: str) -> dict[str, Any]:
    return {"money": money, "days": "1.00", "contributions": ["testing"], "message": None}


def stored(settings: Settings, project_id: Any) -> Project:
    """The project as the log has it, rebuilt by a process that never cached it."""
    fresh = build_runtime(settings)
    try:
        project: Project = fresh.app.get_project(project_id)
        return project
    finally:
        fresh.close()


@pytest.fixture
def other(pg_settings: Settings) -> Iterator[Runtime]:
    """A second process on the same database."""
    runtime = build_runtime(pg_settings)
    yield runtime
    runtime.close()


@pytest.fixture
def scene(pg_runtime: Runtime) -> tuple[Any, Any, Any]:
    """A project, and members of two other councils; the project is in this process's cache."""
    owner, one, two = (council_member(pg_runtime.app, code) for code in ("WGN", "MAN", "LDS"))
    project = pg_runtime.app.propose_project(owner.id, "alpha", {"title": "Shared booking", "summary": "s"}).aggregate
    pg_runtime.app.get_project(project.id)  # cached here from now on
    return project.id, one, two


def test_a_command_sees_what_another_process_saved_since_it_cached_the_project(
    pg_runtime: Runtime, other: Runtime, scene: tuple[Any, Any, Any], pg_settings: Settings
) -> None:
    project_id, one, two = scene
    pg_runtime.app.pledge_for_organisation(project_id, one.id, pledge("100.00"))
    other.app.pledge_for_organisation(project_id, two.id, pledge("200.00"))
    pg_runtime.app.pledge_for_organisation(project_id, one.id, pledge("150.00"))  # an amendment, here

    mine = pg_runtime.app.get_project(project_id)
    assert mine.totals()["money"] == Decimal("350.00")
    log = stored(pg_settings, project_id)
    assert (mine.version, mine.pledges) == (log.version, log.pledges)


def test_a_lost_version_race_leaves_the_cache_as_the_log_has_it(
    pg_runtime: Runtime, other: Runtime, scene: tuple[Any, Any, Any], pg_settings: Settings
) -> None:
    project_id, one, two = scene
    app = pg_runtime.app
    loser = app.get_project(project_id)
    other.app.pledge_for_organisation(project_id, two.id, pledge("200.00"))  # wins the race
    loser.pledge_for(one.organisation_id, one.id, pledge("999.00"), now=app.now())
    with pytest.raises(IntegrityError):
        app.save(loser)

    after = app.get_project(project_id)
    assert set(after.pledges) == {str(two.organisation_id)}  # the lost change is nowhere
    assert after.version == stored(pg_settings, project_id).version
    app.pledge_for_organisation(project_id, one.id, pledge("100.00"))  # and the retried command counts once
    assert stored(pg_settings, project_id).totals()["money"] == Decimal("300.00")


def test_a_failed_save_leaves_the_cache_as_the_log_has_it(
    pg_runtime: Runtime, scene: tuple[Any, Any, Any], pg_settings: Settings
) -> None:
    project_id, one, _two = scene
    app = pg_runtime.app
    changed = app.get_project(project_id)
    changed.pledge_for(one.organisation_id, one.id, pledge("999.00"), now=app.now())
    taken = PersonEmail(id=app.personal.email_index_id("cache-test@example.org"), person_id=one.id)
    app.save(taken)
    clash = PersonEmail(id=taken.id, person_id=one.id)  # the same id again: the whole save fails
    with pytest.raises(IntegrityError):
        app.save(changed, clash)

    after = app.get_project(project_id)
    assert after.pledges == {} and after.version == stored(pg_settings, project_id).version
    app.pledge_for_organisation(project_id, one.id, pledge("100.00"))
    assert stored(pg_settings, project_id).totals()["money"] == Decimal("100.00")


def test_what_a_command_changes_but_does_not_save_never_reaches_the_cache(
    pg_runtime: Runtime, scene: tuple[Any, Any, Any]
) -> None:
    project_id, one, _two = scene
    app = pg_runtime.app
    app.get_project(project_id).pledge_for(one.organisation_id, one.id, pledge("999.00"), now=app.now())
    assert app.get_project(project_id).pledges == {}


def test_reads_share_one_copy_and_what_a_reader_does_to_it_never_reaches_the_cache(
    pg_runtime: Runtime, scene: tuple[Any, Any, Any], pg_settings: Settings
) -> None:
    project_id, one, two = scene
    app = pg_runtime.app
    read = app.repository.get(project_id, deepcopy_from_cache=False)
    assert app.repository.get(project_id, deepcopy_from_cache=False) is read  # no copy per read
    read.pledges[str(two.organisation_id)] = {"money": "999.00"}  # what no reader may do: it stays in its copy

    assert app.get_project(project_id).pledges == {}  # a command's copy comes from the cached aggregate
    app.pledge_for_organisation(project_id, one.id, pledge("100.00"))
    after = app.repository.get(project_id, deepcopy_from_cache=False)
    log = stored(pg_settings, project_id)
    assert after is not read  # a newer version, a new shared copy
    assert (after.version, after.pledges) == (log.version, log.pledges)
    assert set(app.get_project(project_id).pledges) == {str(one.organisation_id)}


class HalfApplied:
    """An event whose mutation changes the project and then fails, half-way."""

    originator_id = None
    originator_version = 0
    timestamp = None

    def mutate(self, aggregate: Any) -> Any:
        aggregate.pledges["half-made"] = {"money": "1.00"}
        raise RuntimeError("this event will not apply")


def test_a_catch_up_that_fails_half_way_leaves_nothing_half_made_in_the_cache(
    pg_runtime: Runtime,
    other: Runtime,
    scene: tuple[Any, Any, Any],
    pg_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project_id, _one, two = scene
    app = pg_runtime.app
    other.app.pledge_for_organisation(project_id, two.id, pledge("200.00"))  # this process is one version behind
    real_get = app.repository.event_store.get
    monkeypatch.setattr(app.repository.event_store, "get", lambda *args, **kwargs: [HalfApplied()])
    with pytest.raises(RuntimeError):
        app.get_project(project_id)
    monkeypatch.setattr(app.repository.event_store, "get", real_get)

    after, log = app.get_project(project_id), stored(pg_settings, project_id)
    assert "half-made" not in after.pledges
    assert (after.version, after.pledges) == (log.version, log.pledges)
