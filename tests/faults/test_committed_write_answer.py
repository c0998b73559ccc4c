"""A write made under an Idempotency-Key is done once and never answered 5xx once it has
committed, even when the database drops between the command's commit and the keeping of
its answer (cut through a proxy of ours at exactly that point: the shared server is never
restarted), or when the answer is lost for good (the process died there)."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.utils import get_topic

from domain import requests
from domain.interest import StatusUpdate
from tests.factories import PASSWORD, council_email, council_member
from tests.faults.conftest import _with_port
from tests.faults.proxy import TcpProxy
from web.api.project_schemas import PledgeSchema
from web.app import create_app
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.faults
CUT_SECONDS = 4.0  # longer than one try of the answer store (2 s pool wait), shorter than its bound


def member(client: Any, code: str) -> dict[str, str]:
    address = council_email(code)
    person = client.post(
        "/api/v1/people",
        json={"name": f"Officer {code}", "email": address, "organisation_code": code, "password": PASSWORD},
    ).json
    client.application.extensions["pipeline"].app.verify_email(uuid.UUID(person["id"]))
    token = client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def updates_posted(runtime: Runtime) -> int:
    topic = get_topic(StatusUpdate.Posted)
    return len(runtime.app.recorder.select_notifications(start=None, limit=1000, topics=[topic]))


def a_project(client: Any, owner: dict[str, str]) -> str:
    project = client.post("/api/v1/projects", json={"title": "Bins", "summary": "Collections"}, headers=owner)
    assert project.status_code == 201, project.json
    return str(project.json["id"])


@pytest.fixture
def proxied_runtime(pg_settings: Settings) -> Iterator[tuple[Runtime, TcpProxy]]:
    """A runtime whose every PostgreSQL connection (event store and read database) goes
    through a proxy the test can cut."""
    proxy = TcpProxy(5432).start()
    settings = dataclasses.replace(pg_settings, database_url=_with_port(pg_settings.database_url, proxy.port))
    runtime = build_runtime(settings)
    try:
        yield runtime, proxy
    finally:
        runtime.close()
        proxy.close()


def test_a_write_committed_as_the_database_drops_is_answered_and_not_done_again(
    proxied_runtime: tuple[Runtime, TcpProxy], pg_settings: Settings
) -> None:
    runtime, proxy = proxied_runtime
    client = create_app(runtime=runtime).test_client()
    owner = member(client, "WGN")
    project_id = a_project(client, owner)
    heard = runtime.app.log_moved
    armed = threading.Event()
    armed.set()

    def cut_after_commit(recordings: Any) -> None:
        """Called by save() once the events are committed: the database drops right there."""
        if armed.is_set():
            armed.clear()
            proxy.cut()
            threading.Timer(CUT_SECONDS, proxy.restore).start()
        if heard is not None:
            heard(recordings)

    runtime.app.log_moved = cut_after_commit
    same = {**owner, "Idempotency-Key": str(uuid.uuid4())}
    path = f"/api/v1/projects/{project_id}/status-updates"
    first = client.post(path, json={"body": "Bins go out on Tuesday"}, headers=same)
    assert not armed.is_set()  # the cut happened, after the commit
    assert first.status_code == 201, (first.status_code, first.get_data(as_text=True))
    again = retried(lambda: client.post(path, json={"body": "Bins go out on Tuesday"}, headers=same))
    assert (again.status_code, again.json, again.headers.get("Idempotent-Replayed")) == (201, first.json, "true")
    log = build_runtime(pg_settings)  # counted through connections of its own: the proxied pool may hold cut ones
    try:
        assert updates_posted(log) == 1
    finally:
        log.close()


def retried(call: Callable[[], Any], tries: int = 20) -> Any:
    """As a client does: a 503 (pooled connections that died in the cut) is tried again."""
    for _ in range(tries):
        answer = call()
        if answer.status_code != 503:
            return answer
        time.sleep(float(answer.headers.get("Retry-After", "1")))
    return answer


def lose_the_answer(runtime: Runtime, *, claimed_minutes_ago: float = 0) -> None:
    """What a process that died between the commit and keeping the answer leaves behind."""
    claimed = (datetime.now(UTC) - timedelta(minutes=claimed_minutes_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with runtime.db.transaction() as tx:
        tx.execute("UPDATE idempotency_keys SET answer = NULL, created_at = :at", {"at": claimed})


def test_a_retry_whose_answer_was_lost_is_never_carried_out_again(any_runtime: Runtime) -> None:
    client = create_app(runtime=any_runtime).test_client()
    owner = member(client, "WGN")
    project_id = a_project(client, owner)
    same = {**owner, "Idempotency-Key": str(uuid.uuid4())}
    path = f"/api/v1/projects/{project_id}/status-updates"
    assert client.post(path, json={"body": "Once"}, headers=same).status_code == 201
    answers = []
    lose_the_answer(any_runtime)
    answers.append(client.post(path, json={"body": "Once"}, headers=same))
    lose_the_answer(any_runtime, claimed_minutes_ago=3)  # long past the wait for an abandoned claim
    answers.append(client.post(path, json={"body": "Once"}, headers=same))
    with any_runtime.db.transaction() as tx:  # the key itself purged (kept a day): the log still knows
        tx.execute("DELETE FROM idempotency_keys")
    answers.append(client.post(path, json={"body": "Once"}, headers=same))
    assert [(a.status_code, a.json["title"]) for a in answers] == [(409, "Already carried out")] * 3
    assert all(a.content_type == "application/problem+json" for a in answers)
    assert updates_posted(any_runtime) == 1
    assert any_runtime.catch_up() == []  # every follower passes over the marks


def test_a_replayed_sign_in_never_returns_a_signed_out_token(any_runtime: Runtime) -> None:
    client = create_app(runtime=any_runtime).test_client()
    address = council_email("WGN")
    body = {"name": "Sam", "email": address, "organisation_code": "WGN", "password": PASSWORD}
    assert client.post("/api/v1/people", json=body).status_code == 201
    sign_in = {"email": address, "password": PASSWORD}
    same = {"Idempotency-Key": str(uuid.uuid4())}
    first = client.post("/api/v1/sessions", json=sign_in, headers=same).json["token"]
    assert client.post("/api/v1/sessions", json=sign_in, headers=same).json["token"] == first  # still live
    out = client.delete("/api/v1/sessions/current", headers={"Authorization": f"Bearer {first}"})
    assert out.status_code == 204
    replayed = client.post("/api/v1/sessions", json=sign_in, headers=same)
    assert replayed.status_code == 201 and replayed.json["token"] != first
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {replayed.json['token']}"}).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401


def test_a_second_execution_under_the_same_key_cannot_commit_through_group_commit_either(
    any_runtime: Runtime,
) -> None:
    """A pledge saves through group commit (``save_command``): its mark is added in the
    request's own context, so the second run under the same key is refused as a whole."""
    app = any_runtime.app
    owner, backer = council_member(app, "WGN"), council_member(app, "KTT")
    project = app.propose_project(owner.id, "concept", {"title": "Bins", "summary": "Collections"}).aggregate
    pledge = PledgeSchema().load({"money": "1500"})
    marked = requests.carrying_out("a keyed hash")
    try:
        app.make_pledge(project.id, backer.id, pledge)
        assert requests.committed()
    finally:
        requests.done_carrying(marked)
    head = any_runtime.app.recorder.max_notification_id()
    again = requests.carrying_out("a keyed hash")
    try:
        with pytest.raises(requests.AlreadyCarriedOut):
            app.withdraw_pledge(project.id, backer.id)
        assert not requests.committed()
    finally:
        requests.done_carrying(again)
    assert any_runtime.app.recorder.max_notification_id() == head
    assert app.withdraw_pledge(project.id, backer.id).position is not None  # without the key: done
