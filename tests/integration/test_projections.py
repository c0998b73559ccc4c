"""Projection contents, rebuilds and exactly-once application, on both databases."""

from __future__ import annotations

import threading

import pytest

from domain.organisation import council_id
from projections import rebuilds, runner
from projections.base import Statement
from projections.people import PeopleProjection
from projections.registry import all_projections, get
from tests.factories import bulk_sign_ups, dump, mixed_history
from workers.runtime.bootstrap import Runtime, build_runtime

pytestmark = pytest.mark.integration


def org_row(runtime: Runtime, code: str) -> dict:
    return runtime.db.query("SELECT * FROM organisations WHERE code = :c", {"c": code})[0]


def test_views_show_members_where_they_are_now_and_where_they_were(any_runtime: Runtime) -> None:
    people = mixed_history(any_runtime.app)
    any_runtime.catch_up()
    db = any_runtime.db
    assert org_row(any_runtime, "WGN")["member_count"] == 0  # moved to Acme
    assert org_row(any_runtime, "NTH")["member_count"] == 0  # moved to West Northamptonshire
    assert org_row(any_runtime, "WNT")["member_count"] == 1
    assert org_row(any_runtime, "NTH")["first_signup_at"] is not None
    acme = db.query("SELECT * FROM organisations WHERE kind = 'supplier'")
    assert [(r["name"], r["member_count"]) for r in acme] == [("Acme Digital Ltd", 3)]
    history = db.query(
        "SELECT organisation_id, until FROM people_memberships WHERE person_id = :p ORDER BY since",
        {"p": str(people[0])},
    )
    assert [h["organisation_id"] for h in history] == [str(council_id("WGN")), acme[0]["id"]]
    assert history[0]["until"] is not None and history[1]["until"] is None
    daily = db.query("SELECT organisation_kind, signups FROM signups_daily ORDER BY organisation_kind")
    assert {r["organisation_kind"]: r["signups"] for r in daily} == {"association": 1, "council": 4, "supplier": 2}
    assert "email" not in db.query("SELECT * FROM people LIMIT 1")[0]


def test_rebuild_equals_incremental_building(any_runtime: Runtime) -> None:
    mixed_history(any_runtime.app)
    for projection in all_projections():  # incremental, in small batches
        runner.catch_up(any_runtime.app, any_runtime.db, projection, batch_size=3)
    mixed_history(any_runtime.app)
    any_runtime.catch_up()
    incremental = dump(any_runtime.db)
    for projection in all_projections():
        rebuilds.rebuild(any_runtime.app, any_runtime.db, projection, batch_size=7)
    assert dump(any_runtime.db) == incremental
    assert sum(r["member_count"] for r in any_runtime.db.query("SELECT member_count FROM organisations")) == 14


def test_a_batch_lost_to_a_faster_worker_changes_nothing(any_runtime: Runtime) -> None:
    bulk_sign_ups(any_runtime.app, 20)
    projection = get("signups_timeline")
    first = runner.prepare_batch(any_runtime.app, any_runtime.db, projection)
    second = runner.prepare_batch(any_runtime.app, any_runtime.db, projection)
    assert first is not None and second is not None and first.old == second.old
    assert runner.commit_batch(any_runtime.db, first) is True
    assert runner.commit_batch(any_runtime.db, second) is False
    total = any_runtime.db.query("SELECT SUM(signups) AS n FROM signups_daily")[0]["n"]
    assert total == 20


class FailingPeople(PeopleProjection):
    """The people projection with a statement that fails on one chosen person."""

    poison = "Person 13"

    def statements(self, domain_event, reveal):  # type: ignore[no-untyped-def]
        out = super().statements(domain_event, reveal)
        if reveal(domain_event.originator_id, getattr(domain_event, "name", None)) == self.poison:
            out.append(Statement("INSERT INTO no_such_table VALUES (1)"))
        return out


def test_a_failing_batch_rolls_back_its_rows_and_its_position(any_runtime: Runtime) -> None:
    head = bulk_sign_ups(any_runtime.app, 30)
    start = runner.position(any_runtime.db, "people")
    with pytest.raises(Exception, match="no_such_table"):
        runner.catch_up(any_runtime.app, any_runtime.db, FailingPeople(), batch_size=1000)
    assert runner.position(any_runtime.db, "people") == start
    assert any_runtime.db.query("SELECT COUNT(*) AS n FROM people")[0]["n"] == 0
    runner.catch_up(any_runtime.app, any_runtime.db, get("people"))
    assert runner.position(any_runtime.db, "people") == head
    assert any_runtime.db.query("SELECT COUNT(*) AS n FROM people")[0]["n"] == 30


def test_two_racing_workers_apply_every_event_exactly_once(pg_runtime: Runtime) -> None:
    bulk_sign_ups(pg_runtime.app, 1500)
    lost = []
    barrier = threading.Barrier(2)

    def work() -> None:
        runtime = build_runtime(pg_runtime.settings)  # its own pools, like another process
        try:
            barrier.wait()
            for projection in all_projections():
                while True:
                    batch = runner.prepare_batch(runtime.app, runtime.db, projection, batch_size=23)
                    if batch is None:
                        break
                    if not runner.commit_batch(runtime.db, batch):
                        lost.append(batch.old)
        finally:
            runtime.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    db = pg_runtime.db
    assert db.query("SELECT COUNT(*) AS n FROM people")[0]["n"] == 1500
    assert db.query("SELECT SUM(member_count) AS n FROM organisations")[0]["n"] == 1500
    assert db.query("SELECT SUM(signups) AS n FROM signups_daily")[0]["n"] == 1500
    raced = dump(db)
    for projection in all_projections():
        rebuilds.rebuild(pg_runtime.app, db, projection)
    assert dump(db) == raced
    assert lost, "the two workers never collided, so this run proved nothing about racing"
