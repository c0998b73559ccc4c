"""`pipeline mail log --person ID`: an operator answers "was I told?" from the outbox."""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests import support
from tests.conftest import worker_env
from tests.factories import PASSWORD, council_email
from web.app import create_app
from workers.adapters.mail import FileSender, Outbox, SMTPSender
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def member(client: Any, code: str) -> tuple[str, dict[str, str]]:
    email = council_email(code)
    person = client.post(
        "/api/v1/people",
        json={"name": f"Officer {code}", "email": email, "organisation_code": code, "password": PASSWORD},
    ).json
    client.application.extensions["pipeline"].app.verify_email(uuid.UUID(person["id"]))
    token = client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).json["token"]
    return person["id"], {"Authorization": f"Bearer {token}"}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mail_log(runtime: Runtime, person_id: str, *extra: str) -> str:
    return support.run_cli("mail", "log", "--person", person_id, *extra, env=worker_env(runtime.settings))


def test_the_log_shows_each_message_sent_or_why_not_with_its_events_and_the_digest(
    pg_runtime: Runtime, tmp_path: Path
) -> None:
    client = create_app(runtime=pg_runtime).test_client()
    _, owner = member(client, "WGN")
    bo_id, bo = member(client, "KTT")
    cy_id, cy = member(client, "LDS")
    project = client.post("/api/v1/projects", json={"title": "Bins", "summary": "Collections"}, headers=owner).json
    for follower in (bo, cy):
        assert client.post(f"/api/v1/projects/{project['id']}/follow", headers=follower).status_code == 200
    assert client.put("/api/v1/me/notifications", json={"frequency": "weekly"}, headers=cy).status_code == 200
    update = client.post(f"/api/v1/projects/{project['id']}/status-updates", json={"body": "Live"}, headers=owner)
    assert update.status_code == 201
    edit = client.patch(f"/api/v1/projects/{project['id']}", json={"summary": "Weekly collections"}, headers=owner)
    assert edit.status_code == 200
    pg_runtime.catch_up()  # the notifier writes the outbox (no worker here: nothing is sent)

    found = pg_runtime.db.query("SELECT subject, id FROM outbox WHERE person_id = :p", {"p": bo_id})
    rows = {"edited" if "edited" in r["subject"] else "update": r["id"] for r in found}
    down = Outbox(pg_runtime.db, SMTPSender(f"smtp://127.0.0.1:{closed_port()}"), "p@example.org")
    with pytest.raises(OSError):
        down.send(rows["edited"])
    Outbox(pg_runtime.db, FileSender(tmp_path), "p@example.org").send(rows["update"])

    log = json.loads(mail_log(pg_runtime, bo_id, "--json"))
    # oldest first, as written: the notifier's two parts write the update's and the edit's
    # messages (different aggregates) in whichever order their workers get to them
    written = pg_runtime.db.query("SELECT id FROM outbox WHERE person_id = :p ORDER BY created_at, id", {"p": bo_id})
    assert [m["id"] for m in log["messages"]] == [r["id"] for r in written]
    assert sorted(m["id"] for m in log["messages"]) == sorted([rows["update"], rows["edited"]])
    by_id = {m["id"]: m for m in log["messages"]}
    news, edited = by_id[rows["update"]], by_id[rows["edited"]]
    assert edited["sent_at"] is None and edited["attempts"] == 1 and "ConnectionRefused" in edited["last_error"]
    assert news["sent_at"] and news["subject"].startswith("Bins") and news["project_id"] == project["id"]
    assert any(e.startswith(f"{update.json['id']}:") for e in news["events"])  # the status update it stands for
    assert log["digest_items"] == [] and log["preferences"]["frequency"] == "immediate"

    text = mail_log(pg_runtime, bo_id)
    assert "NOT SENT (1 attempt(s); last error: ConnectionRefusedError" in text
    assert f"sent {news['sent_at']}" in text and "subject: Bins" in text

    digest = json.loads(mail_log(pg_runtime, cy_id, "--json"))
    assert "project-news" not in [m["kind"] for m in digest["messages"]]  # weekly: it waits for the digest
    assert [(i["kind"], i["digest_id"]) for i in digest["digest_items"]] == [("project-news", None)] * 2
    assert "waiting for the next digest" in mail_log(pg_runtime, cy_id)
    with pg_runtime.db.transaction() as tx:  # as the digest sender marks what it gathered
        tx.execute("UPDATE digest_items SET digest_id = 'digest-1' WHERE person_id = :p", {"p": cy_id})
    assert "in digest digest-1 (not sent yet)" in mail_log(pg_runtime, cy_id)


def test_the_log_says_so_when_there_is_nothing_or_nobody(pg_runtime: Runtime) -> None:
    nobody = str(uuid.uuid4())
    text = mail_log(pg_runtime, nobody)
    assert "no such person" in text and "No email has been written for this person" in text
    assert json.loads(mail_log(pg_runtime, nobody, "--json"))["messages"] == []
    with pytest.raises(RuntimeError, match="not a valid UUID"):
        mail_log(pg_runtime, "ann")


def test_operators_read_the_same_log_over_the_api_and_nobody_else_does(pg_runtime: Runtime) -> None:
    client = create_app(runtime=pg_runtime).test_client()
    ann_id, ann = member(client, "WGN")
    operator_id, operator = member(client, "KTT")
    address = pg_runtime.app.reveal(pg_runtime.app.get_person(uuid.UUID(operator_id)))["email"]
    pg_runtime.app.set_operator(address, True)
    assert client.put("/api/v1/me/notifications", json={"kinds": {"pledge": False}}, headers=ann).status_code == 200
    url = f"/api/v1/people/{ann_id}/mail-log"
    answer = client.get(url, headers=operator)
    assert answer.status_code == 200, answer.json
    assert answer.json == json.loads(mail_log(pg_runtime, ann_id, "--json"))
    assert answer.json["preferences"]["off"] == ["pledge"] and answer.json["person"] == "signed up"
    assert client.get(url, headers=ann).status_code == 403  # not even their own: it is an operator's tool
    assert client.get(url).status_code == 401
    assert client.get(f"/api/v1/people/{uuid.uuid4()}/mail-log", headers=operator).status_code == 404
