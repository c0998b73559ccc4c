"""Issue 20, item 12: mail goes out after a sender dies and while Redis stalls.

Real processes (gunicorn, ``pipeline worker``), a real SMTP server, and proxies of our own
in front of it and of Redis (the shared Redis is never paused). The guarantee: every
message is sent at least once, within a claim timeout and a sweep of its sender's death;
it is sent exactly once unless a sender dies (or outlives its claim) after the mail
server accepted it and before the outbox marked it sent, and a repeat then keeps its
Message-ID, so mail servers and clients can drop it."""

from __future__ import annotations

import email
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests import smtp, support
from tests.factories import PASSWORD
from tests.faults.conftest import Stack
from tests.faults.proxy import TcpProxy

pytestmark = [pytest.mark.faults, pytest.mark.serial]  # it times answers: `make test` runs it alone

SWEEP_SECONDS = 2.0
CLAIM_SECONDS = 10.0
SLACK_SECONDS = 30.0  # a busy 2-core machine; RQ's own recovery takes ten minutes


@pytest.fixture
def smtp_proxy(smtp_server: tuple[smtp.Inbox, int]) -> Iterator[TcpProxy]:
    proxy = TcpProxy(smtp_server[1]).start()
    yield proxy
    proxy.close()


@pytest.fixture
def redis_proxy() -> Iterator[TcpProxy]:
    proxy = TcpProxy(int(support.REDIS_URL.rsplit(":", 1)[1].split("/")[0])).start()
    yield proxy
    proxy.close()


def sign_up(stack: Stack) -> str:
    address = f"{uuid.uuid4().hex[:12]}@example.gov.uk"
    body = {"password": PASSWORD, "name": "Mail tester", "email": address, "organisation_name": "Wigan Borough Council"}
    status, _, answer = stack.request("POST", "/api/v1/people", body, timeout=60)
    assert status == 201, answer
    return address


def received(inbox: smtp.Inbox, address: str) -> list[str]:
    """The Message-IDs of the messages the SMTP server accepted for ``address``."""
    return [
        str(email.message_from_bytes(envelope.content)["Message-ID"])
        for envelope in list(inbox.messages)
        if address in envelope.rcpt_tos
    ]


def claimed(stack: Stack, address: str) -> bool:
    rows = stack.runtime.db.query(
        "SELECT claimed_until FROM outbox WHERE recipient = :to AND sent_at IS NULL", {"to": address}
    )
    return bool(rows) and rows[0]["claimed_until"] is not None


def test_a_message_whose_sender_was_killed_mid_send_arrives_once_within_a_claim_and_a_sweep(
    make_stack: Callable[..., Stack], smtp_server: tuple[smtp.Inbox, int], smtp_proxy: TcpProxy
) -> None:
    inbox, _ = smtp_server
    stack = make_stack(
        SMTP_URL=f"smtp://127.0.0.1:{smtp_proxy.port}",
        PIPELINE_SWEEP_SECONDS=str(SWEEP_SECONDS),
        PIPELINE_MAIL_CLAIM_SECONDS=str(CLAIM_SECONDS),
    )
    doomed = stack.start_worker("doomed")
    stack.start_server()
    smtp_proxy.stall()  # the mail server's greeting is held: a send under way, not finished
    address = sign_up(stack)
    support.wait_until(lambda: claimed(stack, address), timeout=60, message="a sender to claim the message")
    survivor = stack.start_worker("survivor")  # a second replica, as docker-compose runs two
    doomed.kill()  # kill -9 mid-send: its RQ job stays "started" in the dead worker's registry
    smtp_proxy.resume()

    support.wait_until(
        lambda: received(inbox, address),
        timeout=CLAIM_SECONDS + 2 * SWEEP_SECONDS + SLACK_SECONDS,
        message="the message to be sent again after its sender died",
    )
    time.sleep(3 * SWEEP_SECONDS)  # any second sending would have happened by now
    assert len(received(inbox, address)) == 1, received(inbox, address)
    assert survivor.alive(), survivor.output()


def test_a_redis_stall_does_not_stop_mail_for_longer_than_a_sweep(
    make_stack: Callable[..., Stack], smtp_server: tuple[smtp.Inbox, int], redis_proxy: TcpProxy
) -> None:
    inbox, port = smtp_server
    stack = make_stack(
        redis_url=f"redis://127.0.0.1:{redis_proxy.port}/{support.REDIS_URL.rsplit('/', 1)[1]}",
        SMTP_URL=f"smtp://127.0.0.1:{port}",
        PIPELINE_SWEEP_SECONDS=str(SWEEP_SECONDS),
        PIPELINE_REDIS_TIMEOUT_SECONDS="1",
    )
    stack.start_worker()
    stack.start_server()
    before = sign_up(stack)
    support.wait_until(lambda: received(inbox, before), timeout=60, message="mail before the stall")

    redis_proxy.stall()  # connections stay open, nothing answers: RQ's loop blocks on its socket
    during = sign_up(stack)  # acknowledged: the enqueue gives up after its timeout
    support.wait_until(
        lambda: received(inbox, during), timeout=3 * SWEEP_SECONDS + SLACK_SECONDS, message="mail during the stall"
    )
    redis_proxy.resume()  # whatever was held (enqueues of jobs for both messages) now goes through
    time.sleep(3 * SWEEP_SECONDS)
    assert [len(received(inbox, a)) for a in (before, during)] == [1, 1]
