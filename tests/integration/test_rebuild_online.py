"""Rebuilds never take reads down: the view is built beside the live one and switched in at
once, while readers and writers carry on; a rebuild killed part-way carries on from where it
stopped."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from projections import rebuilds
from projections.registry import get
from tests import support
from tests.factories import bulk_sign_ups, council_member, dump
from web.app import create_app
from workers.runtime.bootstrap import Runtime, build_runtime, initialise
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration
PAGE = 50


def projects(rt: Runtime, count: int) -> list[str]:
    ann = council_member(rt.app, "KTT")
    return [str(rt.app.propose_project(ann.id, "alpha", {"title": f"Bins {i}"}).aggregate.id) for i in range(count)]


def leftovers(rt: Runtime) -> list[str]:
    """Tables, indexes or triggers left under a copy's or a retired table's name."""
    sql = (
        "SELECT name FROM sqlite_master WHERE name LIKE 'rebuild%' OR name LIKE 'retired%'"
        if rt.db.dialect == "sqlite"
        else "SELECT relname AS name FROM pg_class WHERE relname LIKE 'rebuild%' OR relname LIKE 'retired%'"
    )
    return [r["name"] for r in rt.db.query(sql)]


class Readers:
    """Threads issuing real HTTP GETs through the app; every answer that is not a full,
    correct one is recorded as a problem."""

    def __init__(self, rt: Runtime, project_ids: list[str], person_id: str) -> None:
        self.app = create_app(runtime=rt)
        with_members = rt.db.query("SELECT COUNT(*) AS n FROM organisations WHERE member_count > 0")[0]["n"]
        self.organisations = min(with_members, PAGE)  # writes only add members: never fewer
        self.project_ids, self.person_id = project_ids, person_id
        self.problems: list[str] = []
        self.reads = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.read, args=(i,)) for i in range(3)]

    def read(self, seed: int) -> None:
        client = self.app.test_client()
        members = 0
        i = seed
        while not self.stop.is_set():
            i += 1
            checks: list[tuple[str, Any]] = [
                (f"/api/v1/people?limit={PAGE}", lambda b: len(b["items"]) == PAGE),
                (f"/api/v1/people/{self.person_id}", lambda b: b["id"] == self.person_id),
                (
                    f"/api/v1/organisations?has_members=true&limit={PAGE}",
                    lambda b: len(b["items"]) == self.organisations,
                ),
                ("/api/v1/projects?limit=20", lambda b: len(b["items"]) == 20),
                ("/api/v1/projects?q=bins&limit=20", lambda b: len(b["items"]) == 20),
                (f"/api/v1/projects/{self.project_ids[i % len(self.project_ids)]}", lambda b: b["title"]),
            ]
            for url, good in checks:
                response = client.get(url)
                body = response.get_json(silent=True)
                if response.status_code != 200 or not good(body):
                    self.problems.append(f"{url}: {response.status_code} {str(body)[:200]}")
            kent = client.get("/api/v1/organisations/KTT").get_json()
            if kent["member_count"] < members:  # writers only add members: the count never drops
                self.problems.append(f"KTT member_count dropped from {members} to {kent['member_count']}")
            members = kent["member_count"]
            self.reads += len(checks) + 1

    def __enter__(self) -> Readers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)


class Writer:
    """Sign-ups written and applied to the live views (as workers would) while the rebuild runs."""

    def __init__(self, rt: Runtime) -> None:
        self.rt, self.written, self.stop = rt, 0, threading.Event()
        self.thread = threading.Thread(target=self.write)

    def write(self) -> None:
        while not self.stop.is_set():
            bulk_sign_ups(self.rt.app, 20, per_save=10)
            self.rt.catch_up()
            self.written += 20

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(60)


def test_reads_see_full_answers_throughout_a_rebuild_with_writes_going_on(any_runtime: Runtime) -> None:
    rt = any_runtime
    ids = projects(rt, 30)
    bulk_sign_ups(rt.app, 2000)
    rt.catch_up()
    person = rt.db.query("SELECT id FROM people LIMIT 1")[0]["id"]
    with Readers(rt, ids, person) as readers, Writer(rt) as writer:
        support.wait_until(lambda: readers.reads > 20, timeout=60, message="the readers to start")
        before = readers.reads
        rebuilds.rebuild(rt.app, rt.db, get("people"), batch_size=500)  # thousands of rows
        during = readers.reads - before
        rebuilds.rebuild(rt.app, rt.db, get("organisations"), batch_size=500)
        rebuilds.rebuild(rt.app, rt.db, get("projects"), batch_size=5)  # a few rows, in many batches
    assert during > 0, "nobody read during the rebuild of people: nothing was proved"
    assert readers.problems == []
    assert writer.written, "nothing was written during the rebuilds"
    assert rebuilds.in_progress(rt.db) == {}
    rt.catch_up()
    count = rt.db.query("SELECT COUNT(*) AS n FROM people")[0]["n"]
    assert count == 2000 + 1 + writer.written  # the rebuilt view lost none of the writes made meanwhile
    incremental = dump(rt.db)
    for name in ("people", "organisations", "projects"):
        rebuilds.rebuild(rt.app, rt.db, get(name))
    assert dump(rt.db) == incremental
    assert leftovers(rt) == []


@pytest.fixture(params=["sqlite", "pg"])
def cli_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """A store the ``pipeline`` command can open too (the test's own KEK)."""
    if request.param == "pg":
        return request.getfixturevalue("pg_settings")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/pipeline.sqlite3",
        secret_key=support.SECRET_KEY,
        outbox_dir=str(tmp_path / "outbox"),
    )
    initialise(settings)
    return settings


def shadow_position(rt: Runtime, name: str) -> int:
    return rebuilds.in_progress(rt.db).get(name, 0)


def test_a_killed_rebuild_carries_on_where_it_stopped(cli_settings: Settings, tmp_path: Path) -> None:
    rt = build_runtime(cli_settings)
    try:
        head = bulk_sign_ups(rt.app, 6000)
        rt.catch_up()
        complete = dump(rt.db)
        env = support.pipeline_env(DATABASE_URL=cli_settings.database_url)
        stopped_at = 0
        for attempt in range(3):
            rebuild = support.Process(["projections", "rebuild", "people"], env, tmp_path / f"rebuild-{attempt}.log")
            support.wait_until(
                lambda p=rebuild: not p.alive() or shadow_position(rt, "people") > 0,  # type: ignore[misc]
                timeout=120,
                interval=0.01,
                message="the rebuild to get going",
            )
            rebuild.kill()
            rebuild.stop()
            stopped_at = shadow_position(rt, "people")
            if 0 < stopped_at < head:
                break
        assert 0 < stopped_at < head, "the rebuild finished before it could be killed: nothing was proved"
        assert dump(rt.db) == complete  # the live view served, whole, all along
        done: list[int] = []
        reached = rebuilds.rebuild(rt.app, rt.db, get("people"), advance=done.append)
        assert done[0] == stopped_at  # it started from where the killed one stopped, not from 0
        assert sum(done[1:]) <= head - stopped_at
        assert reached == head and rebuilds.in_progress(rt.db) == {}
        assert dump(rt.db) == complete
        rebuilds.rebuild(rt.app, rt.db, get("people"))  # from scratch
        assert dump(rt.db) == complete
    finally:
        rt.close()


def test_a_long_read_holds_up_the_switch_but_never_the_other_readers(pg_runtime: Runtime) -> None:
    """PostgreSQL: the switch needs each table to itself for a moment; while a long query holds
    one, the switch gives up after a second and tries again, so readers are not queued behind it."""
    import psycopg

    rt = pg_runtime
    bulk_sign_ups(rt.app, 300)
    rt.catch_up()
    served: list[float] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            rt.db.query("SELECT COUNT(*) AS n FROM people")
            served.append(time.monotonic())
            time.sleep(0.01)

    finished: list[float] = []

    def rebuild_people() -> None:
        rebuilds.rebuild(rt.app, rt.db, get("people"))
        finished.append(time.monotonic())

    with psycopg.connect(rt.settings.database_url) as long_read:
        long_read.execute("SELECT COUNT(*) FROM people").fetchall()  # its transaction holds the table
        reader = threading.Thread(target=read)
        rebuild = threading.Thread(target=rebuild_people)
        reader.start()
        rebuild.start()
        time.sleep(4)
        held_until = time.monotonic()
        assert not finished, "the rebuild switched while a read held the table"
        long_read.rollback()
    rebuild.join(60)
    stop.set()
    reader.join(10)
    assert finished and finished[0] >= held_until
    waiting = [t for t in served if held_until - 2.5 <= t <= held_until]  # the switch was trying meanwhile
    assert len(waiting) > 5, "readers were queued behind the waiting switch"
    assert rebuilds.in_progress(rt.db) == {}


def test_an_erasure_reaches_a_rebuild_stopped_part_way(any_runtime: Runtime) -> None:
    from projections.beside import REBUILD
    from workers.processes.erasure import erase_person

    rt = any_runtime
    ann = council_member(rt.app, "KTT", name="Ermintrude Stopped")
    rt.catch_up()
    copy, _ = rebuilds.open_copy(rt.db, get("people"), REBUILD)
    rebuilds.fill(rt.app, rt.db, copy, lambda count: None, batch_size=1000)  # then the rebuild was killed
    names = "SELECT name FROM rebuild_people WHERE id = :id"
    assert rt.db.query(names, {"id": str(ann.id)}) == [{"name": "Ermintrude Stopped"}]
    erase_person(rt, ann.id, actor=None)
    assert rt.db.query(names, {"id": str(ann.id)}) == [{"name": "Former member"}]
    rebuilds.rebuild(rt.app, rt.db, get("people"))
    assert rt.db.query("SELECT name FROM people WHERE id = :id", {"id": str(ann.id)}) == [{"name": "Former member"}]


def test_two_rebuilds_of_one_view_at_once_leave_it_right(any_runtime: Runtime) -> None:
    rt = any_runtime
    bulk_sign_ups(rt.app, 1500)
    rt.catch_up()
    complete = dump(rt.db)
    errors: list[BaseException] = []

    def rebuild() -> None:
        try:
            rebuilds.rebuild(rt.app, rt.db, get("people"), batch_size=100)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=rebuild) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert rebuilds.in_progress(rt.db) == {}
    assert dump(rt.db) == complete


def test_a_rebuild_whose_copy_another_switched_in_just_after_it_opened_it_finishes(
    any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window the two threads above hit now and then, held open: a second rebuild of the
    view runs whole between the first's opening of the shared copy and its next look at it."""
    rt = any_runtime
    bulk_sign_ups(rt.app, 30)
    rt.catch_up()
    complete = dump(rt.db)
    opened = rebuilds.open_copy
    rivals: list[int] = []

    def open_then_let_a_rival_finish(*args: Any, **kwargs: Any) -> Any:
        result = opened(*args, **kwargs)
        if not rivals:
            rivals.append(0)
            rivals[0] = rebuilds.rebuild(rt.app, rt.db, get("people"))  # switches the copy in, drops its row
        return result

    monkeypatch.setattr(rebuilds, "open_copy", open_then_let_a_rival_finish)
    at = rebuilds.rebuild(rt.app, rt.db, get("people"))
    assert at == rivals[0] > 0
    assert rebuilds.in_progress(rt.db) == {}
    assert dump(rt.db) == complete
