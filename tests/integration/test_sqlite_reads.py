"""Embedded mode (SQLite): a read is never refused because another connection changed the
schema meanwhile. A rebuild's switch renames, drops and makes tables; so do `pipeline
projections verify`, a migration and `pipeline init`. Readers carry on throughout."""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

import pytest

from projections import verify
from projections.db import SQLiteDatabase, sqlite_path
from projections.registry import get
from tests.factories import council_member
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
CHANGES = 200  # bounded: a read that needs more than this is broken anyway
_names = itertools.count()


@contextmanager
def schema_changed_at_every_step(rt: Runtime) -> Iterator[list[int]]:
    """While this thread's read-model connection prepares a statement, another connection
    commits a schema change at each step SQLite reports to the authorizer, up to ``CHANGES``
    of them: the widest form of the race a rebuild's switch runs with every reader."""
    assert isinstance(rt.db, SQLiteDatabase)
    other = sqlite3.connect(sqlite_path(rt.settings.database_url), timeout=30, isolation_level=None)
    made: list[int] = []

    def meddle(*_: Any) -> int:
        if len(made) < CHANGES:
            made.append(len(made))
            other.execute(f"CREATE TABLE meddled_{next(_names)} (a INTEGER)")  # any schema change will do
        return sqlite3.SQLITE_OK

    reader = rt.db._connection()  # the connection this thread's reads use (one per thread)
    reader.execute("SELECT 1 FROM projects LIMIT 1").fetchall()  # its schema is loaded, then goes stale
    reader.set_authorizer(meddle)
    try:
        yield made
    finally:
        reader.set_authorizer(None)
        other.close()


def test_a_search_answers_while_another_connection_changes_the_schema(sqlite_runtime: Runtime) -> None:
    rt = sqlite_runtime
    ann = council_member(rt.app, "KTT")
    for i in range(3):
        rt.app.propose_project(ann.id, "alpha", {"title": f"Bins collection {i}"})
    rt.catch_up()
    client = create_app(runtime=rt).test_client()
    assert len(client.get("/api/v1/projects?q=bins").get_json()["items"]) == 3
    with schema_changed_at_every_step(rt) as made:
        response = client.get("/api/v1/projects?q=bins")
    assert made, "no schema change was made during the read: nothing was proved"
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["items"]) == 3


def test_every_read_of_the_database_answers_while_the_schema_changes(sqlite_runtime: Runtime) -> None:
    """The adapter's own doors: one query, and several in one transaction."""
    rt = sqlite_runtime
    ann = council_member(rt.app, "KTT")
    rt.app.propose_project(ann.id, "alpha", {"title": "Bins collection"})
    rt.catch_up()
    search = (
        "SELECT p.title FROM projects p JOIN projects_fts f ON f.project_id = p.id"
        " WHERE projects_fts MATCH :q ORDER BY p.title"
    )
    with schema_changed_at_every_step(rt):
        alone = rt.db.query(search, {"q": "bins"})
    with schema_changed_at_every_step(rt), rt.db.reading() as reader:
        together = reader.query(search, {"q": "bins"}) + reader.query("SELECT title FROM projects")
    assert alone == [{"title": "Bins collection"}]
    assert together == [{"title": "Bins collection"}] * 2


def test_a_read_inside_the_threads_own_transaction_sees_its_writes(sqlite_runtime: Runtime) -> None:
    rt = sqlite_runtime
    with rt.db.transaction() as tx:
        tx.execute("CREATE TABLE scratch (a INTEGER)")
        tx.execute("INSERT INTO scratch (a) VALUES (1)")
        assert rt.db.query("SELECT a FROM scratch") == [{"a": 1}]
        with rt.db.reading() as reader:
            assert reader.query("SELECT a FROM scratch") == [{"a": 1}]
    with closing(sqlite3.connect(sqlite_path(rt.settings.database_url))) as other:
        assert other.execute("SELECT a FROM scratch").fetchall() == [(1,)]  # and they were kept


def real_busy_error(rt: Runtime) -> sqlite3.OperationalError:
    """What SQLite raises when another connection holds the write lock past the wait allowed."""
    path = sqlite_path(rt.settings.database_url)
    with (
        closing(sqlite3.connect(path, isolation_level=None)) as holder,
        closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as waiter,
    ):
        holder.execute("BEGIN IMMEDIATE")
        try:
            waiter.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            return error
        finally:
            holder.execute("ROLLBACK")
    raise AssertionError("the second BEGIN IMMEDIATE was not refused")


@pytest.mark.parametrize("wrapped", [False, True], ids=["sqlite3", "eventsourcing"])
def test_a_refusal_by_sqlite_names_its_code_to_the_client_and_the_log(
    sqlite_runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, wrapped: bool
) -> None:
    from eventsourcing.persistence import OperationalError as StoreOperationalError

    from projections import projects

    rt = sqlite_runtime
    busy = real_busy_error(rt)

    def refused(*args: Any, **kwargs: Any) -> Any:
        if wrapped:
            raise StoreOperationalError(busy) from busy  # as eventsourcing's recorder raises it
        raise busy

    monkeypatch.setattr(projects, "search", refused)
    response = create_app(runtime=rt).test_client().get("/api/v1/projects?q=bins")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    said = "Another write held the database longer than this request could wait (SQLITE_BUSY); retry shortly."
    assert response.get_json()["detail"] == said
    assert "SQLITE_BUSY (5): database is locked" in caplog.text


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts this process's open files on Linux")
def test_requests_on_threads_of_their_own_leave_no_connection_open(sqlite_runtime: Runtime) -> None:
    """The embedded server (Flask's threaded one) runs every request on a new thread."""
    client = create_app(runtime=sqlite_runtime).test_client()
    answers: list[int] = []

    def request() -> None:
        answers.append(client.get("/api/v1/projects?limit=5").status_code)

    def requests(count: int) -> None:
        for _ in range(count):
            thread = threading.Thread(target=request)
            thread.start()
            thread.join()

    requests(5)  # whatever the first requests open once (the app's own files, caches)
    before = open_descriptors()
    requests(200)
    assert answers == [200] * 205
    assert open_descriptors() - before < 10  # each thread's connection kept open held two


def test_a_save_waits_for_the_write_lock_as_long_as_the_read_models_do(sqlite_runtime: Runtime) -> None:
    """A rebuild's switch or a verify holds SQLite's write lock for seconds on a large view: a
    command saved meanwhile waits (up to ``BUSY_SECONDS``) instead of failing after eventsourcing's
    own 5 s with SQLITE_BUSY, answered as a 503."""
    rt = sqlite_runtime
    ann = council_member(rt.app, "KTT")
    holder = sqlite3.connect(sqlite_path(rt.settings.database_url), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    released: list[float] = []

    def release() -> None:
        time.sleep(6.5)  # longer than eventsourcing's default wait
        released.append(time.monotonic())
        holder.execute("ROLLBACK")

    thread = threading.Thread(target=release)
    thread.start()
    try:
        project = rt.app.propose_project(ann.id, "alpha", {"title": "Bins"}).aggregate
        saved = time.monotonic()
    finally:
        thread.join()
        holder.close()
    assert released and saved >= released[0]  # it waited for the lock, then saved
    assert rt.app.get_project(project.id).details["title"] == "Bins"


def test_a_write_goes_on_while_verify_compares_whole_tables(sqlite_runtime: Runtime, monkeypatch: Any) -> None:
    """`pipeline projections verify` reads the live and the rebuilt tables on one snapshot; on
    SQLite that snapshot is a read, so it holds no write lock and the embedded server's writes
    do not wait for the comparison (before, it ran in BEGIN IMMEDIATE)."""
    rt = sqlite_runtime
    council_member(rt.app, "KTT")
    rt.catch_up()
    writes: list[str] = []
    compare = verify._compare

    def compare_while_writing(tx: Any, dialect: str, table: str, scratch: str) -> Any:
        other = sqlite3.connect(sqlite_path(rt.settings.database_url), timeout=0, isolation_level=None)
        with closing(other):
            try:
                other.execute("BEGIN IMMEDIATE")  # the write lock, without waiting for it
                other.execute("ROLLBACK")
                writes.append("written")
            except sqlite3.OperationalError as error:
                writes.append(str(error))
        return compare(tx, dialect, table, scratch)

    monkeypatch.setattr(verify, "_compare", compare_while_writing)
    check = verify.verify(rt.app, rt.db, get("people"), advance=lambda n: None)
    assert writes and set(writes) == {"written"}, writes
    assert check.tables and all(not t.differences and not t.schema for t in check.tables)
