"""A send is bounded as a whole, so a sender's claim on a message outlives its send
(issue 20, item 12): a mail server that trickles its greeting a byte at a time never
trips smtplib's per-read timeout, but it cannot hold a sender past its deadline."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from tests import support
from workers.adapters.mail import SMTPSender

TRICKLE_FOR_SECONDS = 60.0


@pytest.fixture
def trickling_server() -> Iterator[int]:
    """A 'mail server' that sends '220 ' and then a byte every 0.3 s, never a line's end."""
    port, stop = support.free_port(), threading.Event()
    listener = socket.create_server(("127.0.0.1", port))

    def serve() -> None:
        client, _ = listener.accept()
        with client, contextlib.suppress(OSError):
            client.sendall(b"220 ")
            ends = time.monotonic() + TRICKLE_FOR_SECONDS
            while not stop.wait(0.3) and time.monotonic() < ends:
                client.sendall(b"x")

    threading.Thread(target=serve, daemon=True).start()
    yield port
    stop.set()
    listener.close()


def test_a_send_gives_up_at_its_deadline_however_the_server_trickles(trickling_server: int) -> None:
    sender = SMTPSender(f"smtp://127.0.0.1:{trickling_server}", timeout=2, deadline=3)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "hi"
    message.set_content("hello")
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="longer than 3 s"):
        sender.send(message)
    assert time.monotonic() - started < TRICKLE_FOR_SECONDS / 2  # the deadline ended it, not the server
