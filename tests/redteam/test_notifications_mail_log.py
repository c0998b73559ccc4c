"""Red team (issue 11): the mail log promises "no addresses, no bodies", but a refused
recipient's SMTP error (which names the address) was kept as ``last_error`` and shown by
``pipeline mail log`` and ``GET /api/v1/people/<id>/mail-log``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests import support
from tests.factories import council_member
from web.api.mail_log import mail_log
from workers.adapters.mail import Outbox, SMTPSender
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
ADDRESS = "ann.refused@example.gov.uk"


class Refusing:
    """An SMTP server that refuses every recipient, naming it (as real servers do)."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


@pytest.fixture
def refusing_server() -> Iterator[int]:
    port = support.free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


def test_a_refused_recipients_address_is_not_kept_in_the_error_the_mail_log_shows(
    sqlite_runtime: Runtime, refusing_server: int
) -> None:
    person = council_member(sqlite_runtime.app, "WGN")
    outbox = Outbox(sqlite_runtime.db, SMTPSender(f"smtp://127.0.0.1:{refusing_server}"), "p@example.org")
    message_id = outbox.add(person_id=person.id, kind="project-news", recipient=ADDRESS, subject="S", body="B")
    with pytest.raises(Exception):  # noqa: B017 - the failure is recorded, then raised
        outbox.send(message_id)
    (message,) = [m for m in mail_log(sqlite_runtime.db, person.id)["messages"] if m["id"] == message_id]
    assert message["attempts"] == 1 and message["sent_at"] is None
    assert "SMTPRecipientsRefused" in message["last_error"] and "550" in message["last_error"]
    assert "refused@" not in message["last_error"].casefold(), message["last_error"]


def test_an_erased_persons_name_is_not_kept_in_other_peoples_mail_log(any_runtime: Runtime) -> None:
    """Ann follows two projects, then erases her account: their owners' outbox rows and
    digest items said "Ann Zebedee-Quill is following it" and kept saying it, in the mail
    log, after the erasure (which cleared only Ann's own rows)."""
    from workers.notify.digests import send_due
    from workers.processes.erasure import erase_person

    app = any_runtime.app
    owner = council_member(app, "WGN", name="Owner")
    daily = council_member(app, "BNH", name="Daily")
    ann = council_member(app, "KTT", name="Ann Zebedee-Quill")
    project = app.propose_project(owner.id, "idea", {"title": "Potholes", "summary": "Report them"}).aggregate
    other = app.propose_project(daily.id, "idea", {"title": "Gritting", "summary": "Grit roads"}).aggregate
    app.choose_notifications(daily.id, frequency="daily")
    app.follow(project.id, ann.id, following=True)
    app.follow(other.id, ann.id, following=True)
    any_runtime.catch_up()
    log = mail_log(any_runtime.db, owner.id)
    assert any("Zebedee" in m["subject"] for m in log["messages"])  # told at the time, by name
    assert any("Zebedee" in i["subject"] for i in mail_log(any_runtime.db, daily.id)["digest_items"])
    erase_person(any_runtime, ann.id, actor=ann.id)
    send_due(any_runtime, app.now() + timedelta(days=2))
    for person in (owner, daily):
        assert "zebedee" not in str(mail_log(any_runtime.db, person.id)).casefold()
    rows = any_runtime.db.query("SELECT subject, body, html FROM outbox")
    assert not any("zebedee" in str(r).casefold() for r in rows)
    items = any_runtime.db.query("SELECT subject, body FROM digest_items")
    assert not any("zebedee" in str(r).casefold() for r in items)


def test_an_erased_persons_short_name_is_replaced_as_a_word_never_inside_other_words(
    sqlite_runtime: Runtime,
) -> None:
    """A substring replace would have turned "Almond" into "Someonemond" in other people's mail."""
    outbox = sqlite_runtime.outbox
    kept = outbox.add(person_id=None, kind="project-news", recipient="a@b.gov.uk", subject="Al and Almond", body="Al")
    outbox.forget_name(["Al"])
    row = sqlite_runtime.db.query("SELECT subject, body FROM outbox WHERE id = :id", {"id": kept})[0]
    assert (row["subject"], row["body"]) == ("Someone and Almond", "Someone")
