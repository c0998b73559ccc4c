"""A view whose code changed version is rebuilt beside its tables and switched in (by
`pipeline projections migrate`, and when init starts), reads served throughout; `pipeline
projections verify` compares a scratch rebuild with the live view row by row."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from projections import rebuilds, runner, verify
from projections.registry import get
from tests import support
from tests.factories import bulk_sign_ups, council_member, dump, mixed_history
from tests.integration.test_rebuild_online import Readers, Writer, cli_settings, projects  # noqa: F401
from workers.runtime import follow
from workers.runtime.bootstrap import Runtime, build_runtime, initialise
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


def stored_version(rt: Runtime, name: str) -> int:
    return int(rt.db.query("SELECT version FROM projection_positions WHERE name = :n", {"n": name})[0]["version"])


def bump(monkeypatch: pytest.MonkeyPatch, name: str) -> int:
    view = type(get(name))
    monkeypatch.setattr(view, "version", view.version + 1)
    return view.version


def test_a_new_version_is_rebuilt_beside_and_switched_in_with_reads_served(
    any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = any_runtime
    ids = projects(rt, 25)
    bulk_sign_ups(rt.app, 1500)
    rt.catch_up()
    before = dump(rt.db)
    version = bump(monkeypatch, "people")
    runner.create_tables(rt.db, follow.all_followers(), head=runner.head(rt.app))  # what start-up does first
    assert dump(rt.db) == before  # the old version's tables still serve
    assert [p.name for p in rebuilds.outdated(rt.db, follow.all_followers())] == ["people"]
    person = rt.db.query("SELECT id FROM people LIMIT 1")[0]["id"]
    with Readers(rt, ids, person) as readers, Writer(rt):
        support.wait_until(lambda: readers.reads > 20, timeout=60, message="the readers to start")
        migrated = rebuilds.migrate(rt.app, rt.db, follow.all_followers(), batch_size=300)
        during = readers.reads
    assert [p.name for p, _ in migrated] == ["people"] and during > 20
    assert readers.problems == []
    assert stored_version(rt, "people") == version
    assert rebuilds.outdated(rt.db, follow.all_followers()) == [] and rebuilds.in_progress(rt.db) == {}
    rt.catch_up()
    assert {s.name: s.state for s in runner.status(rt.app, rt.db, follow.all_followers())}["people"] == "ok"
    assert rebuilds.migrate(rt.app, rt.db, follow.all_followers()) == []  # nothing left to do


def test_init_migrates_a_changed_view_without_manual_sql(any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = any_runtime
    mixed_history(rt.app)
    rt.catch_up()
    before = dump(rt.db)
    version = bump(monkeypatch, "organisations")
    initialise(rt.settings)
    assert stored_version(rt, "organisations") == version
    assert dump(rt.db) == before


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(support.BIN / "pipeline"), "projections", *args],
        env=support.pipeline_env(DATABASE_URL=settings.database_url),
        cwd=support.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def scratch_left(rt: Runtime) -> list[Any]:
    sql = (
        "SELECT name FROM sqlite_master WHERE name LIKE 'verify%'"
        if rt.db.dialect == "sqlite"
        else "SELECT tablename AS name FROM pg_tables WHERE tablename LIKE 'verify%'"
    )
    rows = rt.db.query("SELECT name FROM projection_positions WHERE name LIKE '%~verify'")
    return rt.db.query(sql) + rows


def test_verify_passes_an_intact_view_and_names_each_tampered_row(cli_settings: Settings) -> None:  # noqa: F811
    rt = build_runtime(cli_settings)
    try:
        people = mixed_history(rt.app)
        ann = council_member(rt.app, "KTT")
        rt.app.propose_project(ann.id, "alpha", {"title": "Bins", "tags": ["waste", "bins"]})
        rt.catch_up()
        intact = cli(cli_settings, "verify")
        assert intact.returncode == 0, intact.stderr
        assert intact.stdout.count("identical to its log") == len(
            [f for f in follow.all_followers() if not f.starts_at_head]
        )
        with rt.db.transaction() as tx:
            tx.execute("UPDATE people SET job_title = 'Tampered' WHERE id = :id", {"id": str(people[2])})
            tx.execute("DELETE FROM project_tags WHERE tag = 'waste'")
            tx.execute("INSERT INTO signups_daily (day, organisation_kind, signups) VALUES ('1999-01-01', 'x', 3)")
        drift = cli(cli_settings, "verify")
        assert drift.returncode == 1, drift.stderr
        out = drift.stdout
        assert f"people: people [id='{people[2]}'] changed (job_title: live 'Tampered', rebuilt 'Developer')" in out
        assert "projects: project_tags [project_id=" in out and "tag='waste'] missing from the live view" in out
        assert "signups_timeline: signups_daily [" in out and "'1999-01-01'" in out and "in the live view only" in out
        assert "organisations: identical to its log" in out
        one = cli(cli_settings, "verify", "organisations")
        assert one.returncode == 0 and "organisations: identical" in one.stdout and "people" not in one.stdout
        assert scratch_left(rt) == []
    finally:
        rt.close()


def test_verify_drops_its_scratch_tables_when_it_fails(any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = any_runtime
    mixed_history(rt.app)
    rt.catch_up()

    def broken(*args: Any) -> None:
        raise RuntimeError("compare failed")

    monkeypatch.setattr(verify, "_compare_if_level", broken)
    with pytest.raises(RuntimeError, match="compare failed"):
        verify.verify(rt.app, rt.db, get("people"), advance=lambda n: None)
    assert scratch_left(rt) == []
