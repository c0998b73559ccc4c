"""What the notifier promises, proven with real `pipeline worker` processes on PostgreSQL and
Redis and a real SMTP server: a burst of events mails every expected message exactly once
across a worker killed part-way, a rebuild and a replay into a new store; an imported history
mails nobody.

How "nothing more arrives" is shown without timing: after each step a marker (a stored
password-reset request, one email to one person) is written to the log; it is mailed after everything before
it, so once it has arrived, anything the step would have sent has arrived too."""

from __future__ import annotations

import email
import email.policy
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from projections import runner
from tests import support
from tests.conftest import worker_env
from tests.factories import PASSWORD, council_email
from tests.smtp import Inbox, closed_port
from web.app import create_app
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration
PROJECTS, FOLLOWERS = 24, 5


def received(inbox: Inbox) -> list[EmailMessage]:
    return [email.message_from_bytes(m.content, policy=email.policy.default) for m in inbox.messages]


def tally(inbox: Inbox) -> Counter[tuple[str, str]]:
    """How often each (recipient, subject) arrived."""
    return Counter((str(m["To"]), str(m["Subject"])) for m in received(inbox))


@dataclass
class Scene:
    runtime: Runtime
    client: Any
    env: dict[str, str]
    workdir: Path
    inbox: Inbox
    people: dict[str, str] = field(default_factory=dict)  # address -> person id
    workers: list[support.Process] = field(default_factory=list)
    markers: int = 0

    def member(self, code: str) -> tuple[str, str, dict[str, str]]:
        address = council_email(code)
        person = self.client.post(
            "/api/v1/people",
            json={"name": f"Officer {code}", "email": address, "organisation_code": code, "password": PASSWORD},
        ).json
        self.runtime.app.verify_email(uuid.UUID(person["id"]))  # before the notifier runs: no verify-email
        token = self.client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD}).json["token"]
        self.people[address] = person["id"]
        return person["id"], address, {"Authorization": f"Bearer {token}"}

    def worker(self, name: str, **extra: str) -> support.Process:
        process = support.Process(["worker"], {**self.env, **extra}, self.workdir / f"{name}.log")
        self.workers.append(process)
        return process

    def notifier_at(self) -> int:
        return runner.position(self.runtime.db, "notifier")

    def head(self) -> int:
        return runner.head(self.runtime.app)

    def marker(self, address: str, inbox: Inbox | None = None) -> None:
        """Write a password reset for ``address`` and wait until it is mailed."""
        inbox = inbox or self.inbox
        before = sum(1 for m in received(inbox) if "password" in str(m["Subject"]).lower())
        # A request itself writes no event now (it is mailed straight from the outbox); the
        # event older versions wrote still goes through the notifier, after everything before it.
        person = self.runtime.app.get_person(uuid.UUID(str(self.runtime.app.email_owner(address))))
        person._request_password_reset()
        self.runtime.app.save(person)
        support.wait_until(
            lambda: sum(1 for m in received(inbox) if "password" in str(m["Subject"]).lower()) > before,
            timeout=90,
            interval=0.1,
            message="the marker email",
        )


@pytest.fixture
def scene(pg_runtime: Runtime, smtp_server: tuple[Inbox, int], tmp_path: Path) -> Iterator[Scene]:
    inbox, port = smtp_server
    env = worker_env(
        pg_runtime.settings,
        SMTP_URL=f"smtp://127.0.0.1:{port}",
        PIPELINE_BATCH_SIZE="5",
        PIPELINE_SWEEP_SECONDS="1",
        PIPELINE_PUBLIC_URL="http://pipeline.invalid",
    )
    made = Scene(pg_runtime, create_app(runtime=pg_runtime).test_client(), env, tmp_path, inbox)
    try:
        yield made
    finally:
        for process in made.workers:
            process.stop()


def burst(scene: Scene) -> set[tuple[str, str]]:
    """PROJECTS projects, each followed by the same FOLLOWERS people, then one status update
    on each: written while no worker runs. Returns the expected (recipient, project title)."""
    _, _, owner = scene.member("WGN")
    followers = [scene.member(code) for code in ("KTT", "LDS", "BNH", "CMD", "MAN")[:FOLLOWERS]]
    expected = set()
    for i in range(PROJECTS):
        title = f"Burst project {i:02d}"
        project = scene.client.post("/api/v1/projects", json={"title": title, "summary": "S"}, headers=owner).json
        for _, address, headers in followers:
            assert scene.client.post(f"/api/v1/projects/{project['id']}/follow", headers=headers).status_code == 200
            expected.add((address, title))
        posted = scene.client.post(
            f"/api/v1/projects/{project['id']}/status-updates", json={"body": f"News {i}"}, headers=owner
        )
        assert posted.status_code == 201
    return expected


def news(scene: Scene, inbox: Inbox | None = None) -> Counter[tuple[str, str]]:
    """(recipient, project title) of every burst status-update email that arrived, counted (the
    owner's new-follower emails are not the burst's)."""
    found: Counter[tuple[str, str]] = Counter()
    for (to, subject), count in tally(inbox or scene.inbox).items():
        if subject.startswith("Burst project ") and subject.endswith(": a status update"):
            found[(to, subject.split(":")[0])] += count
    return found


def written(scene: Scene) -> int:
    return int(scene.runtime.db.query("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'project-news'")[0]["n"])


def kill_part_way(scene: Scene, head: int) -> bool:
    """Start a worker that cannot reach the mail server and SIGKILL it once the notifier has
    written some of the burst's messages but not reached ``head``; True if it was (False: it
    finished first, and proved nothing)."""
    worker = scene.worker(f"killed-{len(scene.workers)}", SMTP_URL=f"smtp://127.0.0.1:{closed_port()}")
    support.wait_until(lambda: not worker.alive() or written(scene), timeout=90, interval=0.005, message="progress")
    part_way = worker.alive() and scene.notifier_at() < head
    worker.kill()
    worker.stop()
    return part_way and written(scene) > 0


def runtime_for(database_url: str, queue_name: str) -> Runtime:
    """A runtime of this process on another store (an imported copy, a demo)."""
    settings = Settings(
        database_url=database_url, redis_url=support.REDIS_URL, queue_name=queue_name, secret_key=support.SECRET_KEY
    )
    return build_runtime(settings)


def test_a_burst_is_mailed_exactly_once_across_a_killed_worker_a_rebuild_and_a_replay(scene: Scene) -> None:
    start = scene.notifier_at()
    expected = burst(scene)
    head = scene.head()
    assert scene.notifier_at() == start and len(expected) == PROJECTS * FOLLOWERS  # nothing mailed yet

    assert kill_part_way(scene, head), "the worker finished before it was killed: nothing was proved"
    assert 0 < written(scene) < len(expected)  # some of the burst's messages were written, not all
    assert scene.inbox.messages == []  # the killed worker could not reach the mail server
    scene.worker("after-the-kill")
    support.wait_until(lambda: len(news(scene)) == len(expected), timeout=180, interval=0.2, message="the burst")
    someone = next(iter(scene.people))
    scene.marker(someone)
    assert set(news(scene)) == expected
    assert set(news(scene).values()) == {1}, "a message arrived twice"
    assert scene.runtime.outbox.unsent() == []
    before = tally(scene.inbox)

    # (2) a rebuild of the notifier, and of everything, sends nothing again
    out = support.run_cli("projections", "rebuild", "notifier", env=scene.env)
    assert "notifier: a process, not rebuilt" in out
    support.run_cli("projections", "rebuild", "--all", env=scene.env)
    scene.marker(someone)
    after = tally(scene.inbox)
    assert after - before == Counter({k: 1 for k in after - before if "password" in k[1].lower()})
    assert news(scene) == Counter(dict.fromkeys(expected, 1))

    # ... nor does the log exported and imported into a new store with its own worker
    exported = scene.workdir / "log.jsonl"
    support.run_cli("events", "export", str(exported), env=scene.env)
    replica_url = support.create_database()
    try:
        replica_env = {**scene.env, "DATABASE_URL": replica_url, "PIPELINE_QUEUE": f"replica-{uuid.uuid4().hex[:8]}"}
        assert "nothing imported is mailed" in support.run_cli("events", "import", str(exported), env=replica_env)
        replica = runtime_for(replica_url, replica_env["PIPELINE_QUEUE"])
        try:
            scene.workers.append(support.Process(["worker"], replica_env, scene.workdir / "replica.log"))
            Scene(replica, None, replica_env, scene.workdir, scene.inbox).marker(someone)
            assert replica.db.query("SELECT COUNT(*) AS n FROM outbox")[0]["n"] == 1  # the marker alone
        finally:
            replica.close()
    finally:
        for process in scene.workers:
            process.stop()
        support.drop_database(replica_url)
    assert news(scene) == Counter(dict.fromkeys(expected, 1))
    resets = [k for k in tally(scene.inbox) if "password" in k[1].lower()]
    assert sum(tally(scene.inbox)[k] for k in resets) == 3  # three markers, nothing else new


def test_a_demo_history_mails_nobody_even_when_the_notifier_reads_it_again_from_the_start(scene: Scene) -> None:
    demo_url = support.create_database()
    env = {**scene.env, "DATABASE_URL": demo_url, "PIPELINE_QUEUE": f"demo-{uuid.uuid4().hex[:8]}"}
    try:
        written = support.run_cli(
            "demo", "--councils", "4", "--suppliers", "1", "--projects", "6", env={**env, "SMTP_URL": ""}
        )
        assert "status updates" in written
        demo = runtime_for(demo_url, env["PIPELINE_QUEUE"])
        try:
            with demo.db.transaction() as tx:  # as if moved back by hand: the whole story is read again
                tx.execute("UPDATE projection_positions SET position = 0 WHERE name = 'notifier'")
            scene.workers.append(support.Process(["worker"], env, scene.workdir / "demo-worker.log"))
            someone = demo.db.query("SELECT id FROM people ORDER BY id LIMIT 1")[0]["id"]
            address = demo.app.reveal(demo.app.get_person(uuid.UUID(someone)))["email"]
            Scene(demo, None, env, scene.workdir, scene.inbox).marker(address)
            assert runner.position(demo.db, "notifier") == runner.head(demo.app)
            assert len(scene.inbox.messages) == 1  # the marker alone
            assert demo.db.query("SELECT COUNT(*) AS n FROM outbox")[0]["n"] == 1
        finally:
            demo.close()
    finally:
        for process in scene.workers:
            process.stop()
        support.drop_database(demo_url)
