"""One-click unsubscribe tokens (RFC 8058): a link that switches one kind of email off for
one person, without signing in. The token is the person's id and the kind, signed with a
server secret (``KeyStore.server_secret``), so it cannot be made for anyone else or another
kind, needs no storage and keeps working for as long as the emails that carry it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any
from uuid import UUID

PURPOSE = b"unsubscribe"
TOKEN = re.compile(r"([0-9a-f]{32})\.([a-z][a-z-]{0,39})\.([A-Za-z0-9_-]{22})")


def _signature(secret: bytes, person_id: UUID, kind: str) -> str:
    mac = hmac.new(secret, f"unsubscribe:{person_id.hex}:{kind}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def make(secret: bytes, person_id: UUID, kind: str) -> str:
    return f"{person_id.hex}.{kind}.{_signature(secret, person_id, kind)}"


def read(secret: bytes, token: str) -> tuple[UUID, str] | None:
    """The person and kind a token was made for; None if it is not one of ours."""
    found = TOKEN.fullmatch(token or "")
    if found is None:
        return None
    person_id, kind = UUID(found[1]), found[2]
    if not hmac.compare_digest(found[3], _signature(secret, person_id, kind)):
        return None
    return person_id, kind


def link(keys: Any, public_url: str, person_id: UUID, kind: str) -> str:
    """The unsubscribe link of one person and kind, signed with ``keys``' server secret."""
    return url(public_url, make(keys.server_secret(PURPOSE), person_id, kind))


def url(public_url: str, token: str) -> str:
    """Where the link goes: GET shows what it will do and a button; POST (the button, or a
    mail client's one-click ``List-Unsubscribe=One-Click``) does it."""
    return f"{public_url}/unsubscribe?token={token}"
