"""Defects a hostile review found in the flow where side effects follow the log, one test
each (every one failed before its fix): a new address's link used up by the handler, mail
dropped by a rebuild or a new notifier version, news missed while the projects view lagged,
mail prepared before an erasure kept after it, and one message sent by two processes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from projections import rebuilds, runner
from projections.projects import ProjectsProjection
from projections.registry import get
from tests.factories import PASSWORD, council_email, council_member
from web.app import create_app
from workers.notify.notifier import NOTIFIERS, Notifier
from workers.processes import erasure
from workers.runtime.bootstrap import Runtime, build_runtime, initialise
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Runtime]:
    """The embedded mode, its .eml files in this test's own folder."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/pipeline.sqlite3",
        outbox_dir=str(tmp_path / "outbox"),
        read_wait_seconds=1.0,
    )
    initialise(settings)
    rt = build_runtime(settings)
    yield rt
    rt.close()


def link_token(folder: Path, address: str, kind: str) -> list[str]:
    """The tokens of every ``kind`` link mailed to ``address`` (as a person would click them)."""
    tokens = []
    for path in sorted(folder.glob("*.eml")):
        text = path.read_text()
        if f"To: {address}" in text and f"/{kind}?token=" in text:
            tokens.append(text.split(f"/{kind}?token=", 1)[1].split()[0])
    return tokens


def member(rt: Runtime, code: str, *, verified: bool = True) -> uuid.UUID:
    return council_member(rt.app, code, verified=verified).id


def outbox_to(rt: Runtime, person_id: uuid.UUID, kind: str | None = None) -> list[dict[str, Any]]:
    rows = rt.db.query("SELECT * FROM outbox WHERE person_id = :p", {"p": str(person_id)})
    return [r for r in rows if kind in (None, r["kind"])]


# ------------------------------------------------------------------ defect 1
def test_the_link_mailed_to_a_new_address_verifies_it(embedded: Runtime, tmp_path: Path) -> None:
    """PATCH /me with a new email: the notifier (inline, inside save) mails a link bound to
    the new address; the handler then used every outstanding link up, that one included."""
    client = create_app(runtime=embedded).test_client()
    first = council_email("WGN")
    body = {"name": "Pat", "email": first, "organisation_code": "WGN", "password": PASSWORD}
    assert client.post("/api/v1/people", json=body).status_code == 201
    token = client.post("/api/v1/sessions", json={"email": first, "password": PASSWORD}).json["token"]
    me = {"Authorization": f"Bearer {token}"}
    new = f"moved.{uuid.uuid4().hex[:8]}@example.gov.uk"
    assert client.patch("/api/v1/me", json={"email": new, "current_password": PASSWORD}, headers=me).status_code == 200

    (link,) = link_token(tmp_path / "outbox", new, "verify-email")
    verified = client.post("/api/v1/email-verifications", json={"token": link})
    assert verified.status_code == 200, verified.json  # 422 "not valid": the only link they got is dead
    assert client.get("/api/v1/me", headers=me).json["email_verified"] is True


# ------------------------------------------------------------------ defect 2
def test_rebuilding_a_lagging_notifier_still_mails_what_it_had_not_handled(pg_runtime: Runtime) -> None:
    """Production: a sign-up's job waits (no worker yet, or the notifier is failing and the
    docs/operating.md says `pipeline projections rebuild NAME` retries at once). Rebuilding the notifier
    moves it to the head, past the sign-up it never handled: no verification mail, ever."""
    rt = pg_runtime
    person = member(rt, "WGN", verified=False)  # the catch-up job is enqueued; no worker has run it
    assert runner.position(rt.db, "notifier") < runner.head(rt.app)

    rebuilds.rebuild(rt.app, rt.db, Notifier())  # what `pipeline projections rebuild notifier|--all` does
    rt.catch_up()  # the worker comes round

    assert [r["kind"] for r in outbox_to(rt, person)] == ["verify-email"]


def test_init_after_a_notifier_version_change_keeps_the_mail_it_had_not_handled(pg_runtime: Runtime) -> None:
    """The same by the other door: a release that bumps the notifier's version, then `pipeline
    init`, moves it to the head and drops every message it had not written yet."""
    rt = pg_runtime
    person = member(rt, "WGN", verified=False)

    class NotifierV2(Notifier):
        version = Notifier.version + 1

    runner.create_tables(rt.db, [NotifierV2()], head=runner.head(rt.app))  # `pipeline init` after the release
    rt.catch_up()

    assert [r["kind"] for r in outbox_to(rt, person)] == ["verify-email"]


# ------------------------------------------------------------------ defect 3
def test_a_follower_hears_of_a_status_update_while_the_projects_view_is_rebuilt(embedded: Runtime) -> None:
    """The notifier finds a project's followers in the projects view, which it neither follows
    nor waits for. A status update posted while that view is behind (being rebuilt, failing, or
    its job still queued on another worker) is mailed to no follower, and never will be."""
    rt = embedded
    ann, bob = member(rt, "WGN"), member(rt, "LDS")
    project = rt.app.propose_project(ann, "alpha", {"title": "Bins", "summary": "s"}).aggregate.id
    rt.app.follow(project, bob, following=True)
    assert outbox_to(rt, bob, "project-news") == []

    with rt.db.transaction() as tx:  # the first step of `pipeline projections rebuild projects`
        for table in ProjectsProjection.tables:
            tx.execute(f"DELETE FROM {table}")
        tx.execute("UPDATE projection_positions SET position = 0 WHERE name = 'projects'")
    rt.app.post_status_update(project, "Shipped", ann)  # written while the rebuild replays
    rt.catch_up()  # the rebuild (and every sweep) finishes

    assert len(outbox_to(rt, bob, "project-news")) == 1


# ------------------------------------------------------------------ defect 4
def test_mail_prepared_before_an_erasure_is_not_kept_or_sent_after_it(pg_runtime: Runtime) -> None:
    """A worker's notifier reads and maps its batch outside any transaction (prepare), then
    commits it. An erasure that runs in between deletes the person's outbox rows and tokens,
    and then the batch lands: their address sits in the outbox, to be sent."""
    rt = pg_runtime
    person = member(rt, "WGN", verified=False)  # the sign-up's job waits in the queue
    runner.catch_up(rt.app, rt.db, get("people"))  # the job first brings up the views the notifier reads
    part = next(part for part in NOTIFIERS if part.owns(person))  # the notifier part that mails them
    batch = runner.prepare_batch(rt.app, rt.db, part, context=rt)  # the worker, mid-job
    assert batch is not None and batch.statements

    erasure.erase_person(rt, person, actor=person)  # DELETE /api/v1/me meanwhile
    runner.commit_batch(rt.db, batch)  # the worker's job goes on
    rt.catch_up()

    assert outbox_to(rt, person) == []
    tokens = rt.db.query("SELECT * FROM account_tokens WHERE person_id = :p", {"p": str(person)})
    assert tokens == []


# ------------------------------------------------------------------ defect 5
def test_two_processes_on_one_embedded_database_send_a_message_once(tmp_path: Path) -> None:
    """The embedded server and a `pipeline` command run at the same time (`pipeline init` again,
    `operators grant`, `people erase`): each process's inline catch-up sends every untried
    message in the outbox, and ``Outbox.send`` reads "not sent yet", sends, and only then marks
    it sent. The in-process lock does not reach the other process: the person gets it twice."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/p.sqlite3", outbox_dir=str(tmp_path / "outbox"))
    initialise(settings)
    server, command = build_runtime(settings), build_runtime(settings)
    try:
        real = server.outbox.sender

        class MeanwhileTheCommandCatchesUp:
            def send(self, message: Any) -> None:
                command.catch_up(["notifier"])  # the other process's write, while the server sends
                real.send(message)

        server.outbox.sender = MeanwhileTheCommandCatchesUp()
        member(server, "WGN", verified=False)
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    finally:
        command.close()
        server.close()
