"""Key-encryption keys (KEKs): what every per-person key is wrapped under, held outside
the database (a file or an environment variable, see ``workers.adapters.secret_key``).

A copy of the database alone opens nothing: each stored key is AES-256-GCM ciphertext
under a KEK, tagged with the KEK's id so that during a rotation keys wrapped under
the old and the new KEK can be told apart. Once the old KEK is destroyed, copies made
before the rotation (backups, dead tuples, old WAL) hold only useless ciphertext."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
_SEPARATORS = re.compile(r"[\s,]+")


class KekError(ValueError):
    """A KEK is missing, malformed, or not the one a key was wrapped under."""


class UnknownKek(KekError):
    """A stored key names a KEK that is not configured: it cannot be opened."""


@dataclass(frozen=True)
class Kek:
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES:
            raise KekError(f"A key-encryption key must be {KEY_BYTES} bytes, not {len(self.key)}.")

    @classmethod
    def generate(cls) -> Kek:
        return cls(AESGCM.generate_key(256))

    @classmethod
    def from_text(cls, text: str) -> Kek:
        try:
            return cls(base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True))
        except (binascii.Error, ValueError):
            raise KekError(f"A key-encryption key must be {KEY_BYTES} bytes in base64.") from None

    def text(self) -> str:
        return base64.b64encode(self.key).decode()

    @property
    def id(self) -> str:
        """Names the KEK without revealing it (a keyed hash of a constant)."""
        return hmac.new(self.key, b"pipeline key-encryption key id", hashlib.sha256).hexdigest()[:16]

    def wrap(self, secret: bytes, context: bytes) -> str:
        """``context`` (what the key is for) is authenticated: a wrapped key moved to
        another row does not open."""
        nonce = os.urandom(12)
        return base64.b64encode(nonce + AESGCM(self.key).encrypt(nonce, secret, context)).decode()

    def unwrap(self, wrapped: str, context: bytes) -> bytes:
        raw = base64.b64decode(wrapped)
        try:
            return AESGCM(self.key).decrypt(raw[:12], raw[12:], context)
        except InvalidTag:
            raise KekError("This key-encryption key does not open that key.") from None


def parse_ring(text: str) -> list[Kek]:
    """Keys separated by spaces, commas or new lines; lines starting with # are comments."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return [Kek.from_text(token) for token in _SEPARATORS.split(" ".join(lines)) if token]


class KeyRing:
    """The current KEK (wraps every new key) and, during a rotation, older ones that
    still unwrap. Given a ``reload``, it re-reads its source whenever it changed, so
    running processes follow a rotation of the key file without a restart."""

    def __init__(self, keks: list[Kek], reload: Callable[[], list[Kek] | None] | None = None) -> None:
        if not keks:
            raise KekError("No key-encryption key given.")
        self._keks = tuple(keks)
        self._reload = reload
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        if self._reload is None:
            return
        with self._lock:
            fresh = self._reload()
            if fresh:
                self._keks = tuple(fresh)

    @property
    def current(self) -> Kek:
        self._refresh()
        return self._keks[0]

    @property
    def ids(self) -> list[str]:
        return [kek.id for kek in self._keks]

    def get(self, kek_id: str) -> Kek:
        for kek in self._keks:
            if kek.id == kek_id:
                return kek
        self._refresh()
        for kek in self._keks:
            if kek.id == kek_id:
                return kek
        raise UnknownKek(f"A key is wrapped under key-encryption key {kek_id}, which is not configured.")
