"""``pipeline events export`` and ``import``: a whole history moved between stores, SQLite
to PostgreSQL and back, with identical views, positions, personal data and erasures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain import clock
from domain.application import OrganisationRef
from tests import support
from tests.factories import council_member, dump, mixed_history
from workers.adapters.secret_key import key_file
from workers.history.transfer import export as transfer
from workers.history.transfer import load as log_import
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration
PLEDGE = {"money": "1500.00", "days": "3", "contributions": ["user research"], "message": "Count us in"}


def story(rt: Runtime) -> dict[str, Any]:
    """People, organisations, a project with edits, interest, a goal and pledges; one erasure."""
    app = rt.app
    people = mixed_history(app)
    with clock.set_to(datetime(2015, 2, 1, 10, tzinfo=UTC)) as c:
        ann, bob = council_member(app, "WGN", name="Ann"), council_member(app, "KTT", name="Bob")
        c.advance(timedelta(days=1))
        project = app.propose_project(ann.id, "discovery", {"title": "Bulky waste", "summary": "Book it"}).aggregate.id
        app.edit_project(project, {"summary": "Book a bulky waste collection", "tags": ["waste"]}, ann.id)
        app.follow(project, bob.id, following=True)
        app.declare_need(project, bob.id, "We need this too")
        goal = {"min_partners": 2, "money": "0", "days": "0", "deadline": "2099-01-01T00:00:00+00:00"}
        app.set_goal(project, goal, ann.id)
        app.make_pledge(project, bob.id, PLEDGE)
        app.post_status_update(project, "Research done", ann.id)
    app.erase(people[1], actor=None)
    app.update_profile(bob.id, {"name": "Robert"}, actor=None)
    rt.catch_up()
    return {"erased": people[1], "bob": bob.id, "ann": ann.id}


def the_log(rt: Runtime) -> list[tuple]:
    head = rt.app.recorder.max_notification_id() or 0
    rows = rt.app.recorder.select_notifications(start=1, limit=head + 1, stop=head)
    return [(n.id, str(n.originator_id).replace("-", ""), n.originator_version, n.topic, n.state) for n in rows]


@pytest.fixture
def empty_pg(postgres_available: None) -> Iterator[str]:
    url = support.create_database()
    yield url
    support.drop_database(url)


def target_settings(kind: str, tmp_path: Path, pg_url: str, source: Settings) -> Settings:
    """An empty store of ``kind``, given the source's KEK (a key file, or the same variable)."""
    kek = {"secret_key": source.secret_key} if source.secret_key else {"secret_key_file": str(key_file(source))}
    outbox = str(tmp_path / "target-outbox")
    if kind == "pg":
        return Settings(database_url=pg_url, outbox_dir=outbox, **kek)  # type: ignore[arg-type]
    return Settings(database_url=f"sqlite:///{tmp_path}/target/pipeline.sqlite3", outbox_dir=outbox, **kek)  # type: ignore[arg-type]


def move(source: Runtime, target_settings: Settings, file: Path) -> Runtime:
    transfer.export(source, file)
    target = build_runtime(target_settings, create_tables=True)
    log_import.import_log(target, file)
    for view in log_import.views():
        log_import.build_view(target, view)
    return target


def comparable(rt: Runtime, leave_out: tuple[str, ...]) -> dict[str, list[tuple]]:
    """``dump`` without the columns whose content is the dialect's own (the text-search
    document: a tsvector in PostgreSQL), so two databases of different kinds compare."""
    tables = dump(rt.db).items()
    return {table: [tuple(c for c in row if c[0] not in leave_out) for row in rows] for table, rows in tables}


DIALECT_BOUND = ("search",)


@pytest.mark.parametrize(
    ("source_kind", "target_kind"), [("sqlite", "pg"), ("pg", "sqlite"), ("sqlite", "sqlite"), ("pg", "pg")]
)
def test_an_exported_history_imports_with_identical_log_and_views(
    request: pytest.FixtureRequest, tmp_path: Path, empty_pg: str, source_kind: str, target_kind: str
) -> None:
    source: Runtime = request.getfixturevalue(f"{source_kind}_runtime")
    facts = story(source)
    target = move(source, target_settings(target_kind, tmp_path, empty_pg, source.settings), tmp_path / "log.ndjson")
    try:
        assert the_log(target) == the_log(source)  # positions, ids, versions, topics and stored state
        dialect_bound = () if source_kind == target_kind else DIALECT_BOUND
        assert comparable(target, dialect_bound) == comparable(source, dialect_bound)  # every view's every row
        assert dump(target.db)["people"] and dump(target.db)["projects"], "the comparison must compare something"
        bob = target.app.get_person(facts["bob"])
        assert target.app.personal.open(bob.id, bob.name) == "Robert"  # personal data survived the trip
        erased = target.app.get_person(facts["erased"])
        assert erased.erased and target.app.personal.open(erased.id, erased.name) is None
        assert target.app.get_person(facts["ann"]).created_on == datetime(2015, 2, 1, 10, tzinfo=UTC)
        target.catch_up()  # the notifier and every follower, as a server would
        assert target.db.query("SELECT COUNT(*) AS n FROM outbox")[0]["n"] == 0  # nobody mailed about the past
        written = target.app.sign_up(
            name="After",
            email="after@example.gov.uk",
            job_title=None,
            organisation=OrganisationRef(code="WGN"),
            password="a long enough test passphrase",
        )
        assert written.position > the_log(source)[-1][0]  # new events go after the imported ones
    finally:
        target.close()


def test_an_import_into_a_store_that_is_not_empty_is_refused(sqlite_runtime: Runtime, tmp_path: Path) -> None:
    story(sqlite_runtime)
    file = tmp_path / "log.ndjson"
    transfer.export(sqlite_runtime, file)
    before = the_log(sqlite_runtime)
    with pytest.raises(transfer.TransferError, match="not empty"):
        log_import.import_log(sqlite_runtime, file)
    assert the_log(sqlite_runtime) == before


def test_an_import_without_the_sources_key_encryption_key_is_refused(
    sqlite_runtime: Runtime, tmp_path: Path, empty_pg: str
) -> None:
    story(sqlite_runtime)
    file = tmp_path / "log.ndjson"
    transfer.export(sqlite_runtime, file)
    empty = Settings(database_url=empty_pg, secret_key=support.SECRET_KEY, outbox_dir=str(tmp_path / "target-outbox"))
    target = build_runtime(empty, create_tables=True)
    try:
        with pytest.raises(transfer.TransferError, match="same KEK as the source"):
            log_import.import_log(target, file)
        assert the_log(target) == []
    finally:
        target.close()


def test_a_cut_short_export_is_refused(sqlite_runtime: Runtime, tmp_path: Path, empty_pg: str) -> None:
    story(sqlite_runtime)
    file = tmp_path / "log.ndjson"
    transfer.export(sqlite_runtime, file)
    lines = file.read_text().splitlines(keepends=True)
    header = json.loads(lines[0])
    assert header["format"] == "pipeline-events" and header["events"] == len(the_log(sqlite_runtime))
    file.write_text("".join(lines[:-5]))
    target = build_runtime(target_settings("pg", tmp_path, empty_pg, sqlite_runtime.settings), create_tables=True)
    try:
        with pytest.raises(transfer.TransferError, match="incomplete"):
            log_import.import_log(target, file)
        assert the_log(target) == []
    finally:
        target.close()


def test_the_command_line_exports_and_imports_with_progress(pg_runtime: Runtime, tmp_path: Path) -> None:
    story(pg_runtime)
    file, target_dir = tmp_path / "log.ndjson", tmp_path / "target"
    env = support.pipeline_env(DATABASE_URL=pg_runtime.settings.database_url)
    out = support.run_cli("events", "export", str(file), env=env)
    assert f"Exported {len(the_log(pg_runtime)):,} events" in out
    target_env = support.pipeline_env(DATABASE_URL=f"sqlite:///{target_dir}/pipeline.sqlite3")
    assert "Imported" in support.run_cli("events", "import", str(file), env=target_env)
    with pytest.raises(RuntimeError, match="not empty"):
        support.run_cli("events", "import", str(file), env=target_env)


def test_evaluators_are_granted_and_revoked_from_the_command_line(sqlite_runtime: Runtime, tmp_path: Path) -> None:
    person = council_member(sqlite_runtime.app, "WGN")
    email = sqlite_runtime.app.personal.open(person.id, person.email) or ""
    env = support.pipeline_env(
        DATABASE_URL=sqlite_runtime.settings.database_url,
        PIPELINE_SECRET_KEY_FILE=str(key_file(sqlite_runtime.settings)),
    )
    env.pop("PIPELINE_SECRET_KEY")
    assert "is now an evaluator" in support.run_cli("evaluators", "grant", email.upper(), env=env)
    assert sqlite_runtime.app.get_person(person.id).is_evaluator
    assert "(unchanged)" in support.run_cli("evaluators", "grant", email, env=env)
    assert "is no longer an evaluator" in support.run_cli("evaluators", "revoke", email, env=env)
    assert not sqlite_runtime.app.get_person(person.id).is_evaluator
    with pytest.raises(RuntimeError, match="Nobody has signed up with that email"):
        support.run_cli("evaluators", "grant", "ghost@example.gov.uk", env=env)
