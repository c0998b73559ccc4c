"""A save on PostgreSQL is one call of the store's insert function (``workers.adapters.pgstore``):
it keeps what the library's statements gave (positions in commit order, one NOTIFY, the check of
what a command decided on, an id taken twice refused), and a store made before the function
existed still takes writes, by the library's statements, until it is initialised again."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError

from tests.factories import council_member
from workers.adapters.pgstore import MOVED
from workers.runtime.bootstrap import Runtime, build_runtime, initialise
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


def pledge(money: str) -> dict[str, Any]:
    return {"money": money, "days": "1.00", "contributions": ["testing"], "message": None}


def stored(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def test_a_pledge_is_saved_by_the_stores_function_with_the_next_position(pg_runtime: Runtime) -> None:
    app = pg_runtime.app
    owner, backer = council_member(app, "WGN"), council_member(app, "KTT")
    project = app.propose_project(owner.id, "alpha", {"title": "One call", "summary": "s"}).aggregate
    head = app.recorder.max_notification_id()
    written = app.pledge_for_organisation(project.id, backer.id, pledge("10.00"))
    assert app.recorder.one_statement is True
    assert written.position == head + 1 == app.recorder.max_notification_id()
    assert [p["money"] for p in app.get_project(project.id).pledges.values()] == ["10.00"]


def test_a_save_decided_on_a_moved_aggregate_is_refused_in_the_functions_words(pg_runtime: Runtime) -> None:
    app = pg_runtime.app
    owner, backer = council_member(app, "WGN"), council_member(app, "KTT")
    project = app.propose_project(owner.id, "alpha", {"title": "Moved", "summary": "s"}).aggregate
    read = app.get_person(backer.id)
    app.update_profile(backer.id, {"job_title": "Moved on"}, actor=backer.id)  # it moves before the save
    stale = app.get_project(project.id)
    stale.edit({"summary": "changed"}, actor=owner.id, moderation=False)
    head = app.recorder.max_notification_id()
    with pytest.raises(IntegrityError, match=MOVED + str(read.id)):
        app.save(stale, decided_on=[read])
    assert app.recorder.max_notification_id() == head
    assert app.recorder.one_statement is True


def test_an_aggregate_version_taken_twice_is_refused_and_stores_nothing(pg_runtime: Runtime) -> None:
    app = pg_runtime.app
    owner = council_member(app, "WGN")
    project = app.propose_project(owner.id, "alpha", {"title": "Twice", "summary": "s"}).aggregate
    first, second = app.get_project(project.id), app.get_project(project.id)
    first.edit({"summary": "first"}, actor=owner.id, moderation=False)
    second.edit({"summary": "second"}, actor=owner.id, moderation=False)
    app.save(first)
    head = app.recorder.max_notification_id()
    with pytest.raises(IntegrityError):
        app.save(second)
    assert app.recorder.max_notification_id() == head
    assert app.get_project(project.id).details["summary"] == "first"


def test_a_store_made_before_the_function_still_takes_writes_until_init_makes_it(pg_settings: Settings) -> None:
    url = pg_settings.database_url
    stored(url, "DROP FUNCTION pipeline_events_insert")  # as a store made by an earlier version
    runtime = build_runtime(pg_settings)
    try:
        app = runtime.app
        owner, backer = council_member(app, "WGN"), council_member(app, "KTT")
        project = app.propose_project(owner.id, "alpha", {"title": "Older store", "summary": "s"}).aggregate
        written = app.pledge_for_organisation(project.id, backer.id, pledge("5.00"))
        assert app.recorder.one_statement is False
        assert written.position == app.recorder.max_notification_id()
    finally:
        runtime.close()
    initialise(pg_settings)
    assert stored(url, "SELECT count(*) FROM pg_proc WHERE proname = 'pipeline_events_insert'") == [(1,)]
