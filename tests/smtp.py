"""A real SMTP server for tests (aiosmtpd): every message it accepts lands in an ``Inbox``."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller

from tests import support


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's name
        self.messages.append(envelope)
        return "250 OK"


@contextmanager
def running() -> Iterator[tuple[Inbox, int]]:
    """An SMTP server on a free local port, stopped afterwards."""
    inbox, port = Inbox(), support.free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once this socket closes
