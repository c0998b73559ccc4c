"""The `pipeline` command as operators run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.application import OrganisationRef
from tests import support
from tests.conftest import worker_env
from tests.factories import PASSWORD, bulk_sign_ups, dump, mixed_history
from workers.runtime.bootstrap import Runtime
from workers.runtime.follow import all_followers

pytestmark = pytest.mark.integration


def test_init_is_idempotent_on_postgres(pg_runtime: Runtime) -> None:
    env = worker_env(pg_runtime.settings)
    before = pg_runtime.app.recorder.max_notification_id()
    out = support.run_cli("init", env=env)
    assert "0 councils added, 0 amended" in out and "Email domains: 0 added" in out
    assert pg_runtime.app.recorder.max_notification_id() == before == 470 + 2 * 609  # councils, domains, claims


def test_status_reports_lag_and_rebuild_all_clears_it_with_the_same_result(pg_runtime: Runtime) -> None:
    env = worker_env(pg_runtime.settings)
    mixed_history(pg_runtime.app)
    pg_runtime.catch_up()
    incremental = dump(pg_runtime.db)
    head = bulk_sign_ups(pg_runtime.app, 50)
    statuses = json.loads(support.run_cli("projections", "status", "--json", env=env))
    written = {n.topic for n in pg_runtime.app.recorder.select_notifications(start=head - 99, limit=100)}
    # every follower fed by those 100 events lags by 100; the others have nothing to apply
    expected = {f.name: 100 if written & set(f.topics()) else 0 for f in all_followers()}
    assert {s["name"]: s["lag"] for s in statuses} == expected
    assert expected["people"] == expected["notifier"] == expected["notifier-2"] == 100
    assert expected["goal_deadlines"] == 0
    out = support.run_cli("projections", "rebuild", "--all", env=env)
    assert f"people: rebuilt to position {head}" in out
    for part in ("notifier", "notifier-2"):
        assert f"{part}: a process, not rebuilt; it carries on from position {head - 100}" in out
    statuses = {s["name"]: s["lag"] for s in json.loads(support.run_cli("projections", "status", "--json", env=env))}
    assert statuses.pop("notifier") == statuses.pop("notifier-2") == 100  # its mail is still to write, once
    assert set(statuses.values()) == {0}
    rebuilt = dump(pg_runtime.db)
    assert len(rebuilt["people"]) == len(incremental["people"]) + 50
    assert {row for row in incremental["people"]} <= set(rebuilt["people"])


def test_rebuild_refuses_an_unknown_projection(pg_runtime: Runtime) -> None:
    with pytest.raises(RuntimeError, match="Invalid value"):
        support.run_cli("projections", "rebuild", "nonsense", env=worker_env(pg_runtime.settings))


def test_serve_refuses_to_start_on_an_uninitialised_store(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="pipeline init"):
        support.run_cli("serve", env=support.pipeline_env(PORT=str(support.free_port())), cwd=tmp_path)


def test_the_worker_needs_redis(tmp_path: Path) -> None:
    env = support.pipeline_env()
    support.run_cli("init", env=env, cwd=tmp_path)
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        support.run_cli("worker", env=env, cwd=tmp_path)


def test_operators_are_granted_and_revoked_from_the_command_line(pg_runtime: Runtime) -> None:
    env = worker_env(pg_runtime.settings)
    written = pg_runtime.app.sign_up(
        name="Op",
        email="op@example.gov.uk",
        job_title=None,
        password=PASSWORD,
        organisation=OrganisationRef(code="WGN"),
    )
    assert "is now an operator" in support.run_cli("operators", "grant", "OP@example.gov.uk", env=env)
    assert pg_runtime.app.get_person(written.aggregate.id).is_operator
    assert "(unchanged)" in support.run_cli("operators", "grant", "op@example.gov.uk", env=env)
    assert "is no longer an operator" in support.run_cli("operators", "revoke", "op@example.gov.uk", env=env)
    assert not pg_runtime.app.get_person(written.aggregate.id).is_operator
    with pytest.raises(RuntimeError, match="Nobody has signed up with that email"):
        support.run_cli("operators", "grant", "ghost@example.gov.uk", env=env)


def test_an_operator_erases_a_person_from_the_command_line(pg_runtime: Runtime) -> None:
    env = worker_env(pg_runtime.settings)
    person = pg_runtime.app.sign_up(
        name="Gone Soon",
        email="gone@example.gov.uk",
        job_title=None,
        password=PASSWORD,
        organisation=OrganisationRef(code="WGN"),
    ).aggregate
    out = support.run_cli("people", "erase", str(person.id), "--yes", env=env)
    assert "erased at log position" in out
    assert pg_runtime.app.get_person(person.id).erased
    assert pg_runtime.app.email_owner("gone@example.gov.uk") is None
    assert "was already erased" in support.run_cli("people", "erase", str(person.id), "--yes", env=env)
