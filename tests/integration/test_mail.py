"""Email goes out through a real SMTP server, from the outbox; failures stay visible and are retried."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import support
from tests.conftest import worker_env
from tests.factories import PASSWORD
from tests.smtp import Inbox, closed_port
from web.app import create_app
from workers.adapters.mail import MAX_ATTEMPTS, Outbox, SMTPSender
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def test_a_message_is_sent_over_smtp_and_then_forgets_its_address(
    sqlite_runtime: Runtime, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    outbox = Outbox(sqlite_runtime.db, SMTPSender(f"smtp://127.0.0.1:{port}"), "Pipeline <no-reply@example.org>")
    message_id = outbox.add(
        person_id=None,
        kind="test",
        recipient="ann@example.gov.uk",
        subject="Hello",
        body="A link: https://example.org/x?token=abc",
    )
    assert outbox.send(message_id) is True
    assert [m.rcpt_tos for m in inbox.messages] == [["ann@example.gov.uk"]]
    assert b"token=abc" in inbox.messages[0].content
    row = sqlite_runtime.db.query("SELECT * FROM outbox WHERE id = :id", {"id": message_id})[0]
    assert row["sent_at"] and row["recipient"] is None and row["body"] is None
    assert outbox.send(message_id) is True and len(inbox.messages) == 1  # never sent twice


def test_a_failed_send_is_recorded_and_retried_later(sqlite_runtime: Runtime, smtp_server: tuple[Inbox, int]) -> None:
    down = Outbox(sqlite_runtime.db, SMTPSender(f"smtp://127.0.0.1:{closed_port()}"), "p@example.org")
    message_id = down.add(person_id=None, kind="test", recipient="bo@example.gov.uk", subject="S", body="B")
    with pytest.raises(OSError):
        down.send(message_id)
    row = sqlite_runtime.db.query("SELECT * FROM outbox WHERE id = :id", {"id": message_id})[0]
    assert row["attempts"] == 1 and "ConnectionRefusedError" in row["last_error"] and row["sent_at"] is None
    assert down.unsent() == [message_id]
    inbox, port = smtp_server
    up = Outbox(sqlite_runtime.db, SMTPSender(f"smtp://127.0.0.1:{port}"), "p@example.org")
    assert up.send(message_id) is True
    assert len(inbox.messages) == 1 and up.unsent() == []


def test_a_sign_up_survives_a_mail_server_that_is_down(sqlite_settings: Any) -> None:
    from dataclasses import replace

    from workers.runtime.bootstrap import build_runtime

    runtime = build_runtime(replace(sqlite_settings, smtp_url=f"smtp://127.0.0.1:{closed_port()}"))
    try:
        client = create_app(runtime=runtime).test_client()
        response = client.post(
            "/api/v1/people",
            json={"name": "Di", "email": "di@example.gov.uk", "organisation_code": "WGN", "password": PASSWORD},
        )
        assert response.status_code == 201
        assert len(runtime.outbox.unsent()) == 1
    finally:
        runtime.close()


def test_in_production_a_worker_sends_the_verification_email(pg_runtime: Runtime, tmp_path: Path) -> None:
    client = create_app(runtime=pg_runtime).test_client()
    outbox_dir = tmp_path / "outbox"
    created = client.post(
        "/api/v1/people",
        json={"name": "Ed", "email": "ed@example.gov.uk", "organisation_code": "WGN", "password": PASSWORD},
    )
    assert created.status_code == 201
    assert pg_runtime.outbox.unsent() == []  # the web request neither writes nor sends mail: the worker does
    worker = support.Process(
        ["worker"], worker_env(pg_runtime.settings, PIPELINE_OUTBOX_DIR=str(outbox_dir)), tmp_path / "worker.log"
    )
    try:
        files = support.wait_until(lambda: list(outbox_dir.glob("*.eml")), timeout=30, message="the email")
        assert len(pg_runtime.db.query("SELECT id FROM outbox")) == 1  # the notifier wrote it, once
        # the file lands just before the outbox row is marked sent: wait for that too
        support.wait_until(lambda: pg_runtime.outbox.unsent() == [], timeout=30, message="the message marked sent")
    finally:
        worker.stop()
    text = files[0].read_text()
    assert "To: ed@example.gov.uk" in text and "/verify-email?token=" in text
    assert pg_runtime.outbox.unsent() == []


def test_a_subject_with_cr_lf_is_sent_on_one_line_and_smuggles_no_header(
    sqlite_runtime: Runtime, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    outbox = Outbox(sqlite_runtime.db, SMTPSender(f"smtp://127.0.0.1:{port}"), "p@example.org")
    title = "Bins\r\nBcc: eve@example.org\r\n\r\nclick here"
    message_id = outbox.add(person_id=None, kind="test", recipient="fi@example.gov.uk", subject=title, body="B")
    assert outbox.send(message_id) is True
    assert [m.rcpt_tos for m in inbox.messages] == [["fi@example.gov.uk"]]
    headers = inbox.messages[0].content.split(b"\r\n\r\n", 1)[0]
    assert b"Subject: Bins Bcc: eve@example.org click here" in headers
    assert b"\r\nBcc:" not in headers


def test_a_message_that_cannot_be_built_counts_as_an_attempt_and_is_given_up(
    sqlite_runtime: Runtime, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    outbox = Outbox(sqlite_runtime.db, SMTPSender(f"smtp://127.0.0.1:{port}"), "p@example.org")
    broken = outbox.add(
        person_id=None, kind="test", recipient="gil@example.gov.uk\r\nBcc: eve@example.org", subject="S", body="B"
    )
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert outbox.unsent() == [broken]
        with pytest.raises(ValueError):
            outbox.send(broken)
        row = sqlite_runtime.db.query("SELECT attempts, last_error FROM outbox WHERE id = :id", {"id": broken})[0]
        assert row["attempts"] == attempt and "ValueError" in row["last_error"]
    assert outbox.unsent() == [] and inbox.messages == []
