"""Per-person keys, kept beside the read models and outside the event log.

Personal fields are sealed with AES-256-GCM under a key of the person's own;
``forget`` deletes the key, after which nothing sealed with it can be opened by
anyone: not the API, not a projection rebuild, not an evaluator replaying the
log (crypto-shredding)."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from projections.db import ReadDatabase

PREFIX = "pd1:"
DDL = (
    "CREATE TABLE IF NOT EXISTS person_keys ("
    " person_id TEXT PRIMARY KEY, secret TEXT NOT NULL, created_at TEXT NOT NULL)",
)


def seal_with(secret: bytes, person_id: UUID, value: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(secret).encrypt(nonce, value.encode(), person_id.bytes)
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def _open(secret: bytes, person_id: UUID, sealed: str) -> str | None:
    if not sealed.startswith(PREFIX):
        return None
    raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :])
    try:
        return AESGCM(secret).decrypt(raw[:12], raw[12:], person_id.bytes).decode()
    except InvalidTag:
        return None


class KeyStore:
    """The ``PersonalData`` port, on the read-model database."""

    def __init__(self, db: ReadDatabase) -> None:
        self.db = db

    def new_key(self, person_id: UUID) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO person_keys (person_id, secret, created_at) VALUES (:id, :secret, :at)",
                {
                    "id": str(person_id),
                    "secret": base64.b64encode(AESGCM.generate_key(256)).decode(),
                    "at": datetime.now(UTC).isoformat(),
                },
            )

    def new_keys(self, person_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        """Many keys in one transaction (bulk imports); returns them for sealing."""
        made = {person_id: AESGCM.generate_key(256) for person_id in person_ids}
        at = datetime.now(UTC).isoformat()
        with self.db.transaction() as tx:
            tx.execute_many(
                "INSERT INTO person_keys (person_id, secret, created_at) VALUES (:id, :secret, :at)",
                [{"id": str(p), "secret": base64.b64encode(k).decode(), "at": at} for p, k in made.items()],
            )
        return made

    def secrets(self, person_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        ids = sorted({str(p) for p in person_ids})
        if not ids:
            return {}
        marks = ", ".join(f":p{i}" for i in range(len(ids)))
        rows = self.db.query(
            f"SELECT person_id, secret FROM person_keys WHERE person_id IN ({marks})",
            {f"p{i}": v for i, v in enumerate(ids)},
        )
        return {UUID(r["person_id"]): base64.b64decode(r["secret"]) for r in rows}

    def seal(self, person_id: UUID, value: str | None) -> str | None:
        if value is None:
            return None
        secret = self.secrets([person_id]).get(person_id)
        if secret is None:
            raise LookupError("The person has no key: it was never made or has been destroyed.")
        return seal_with(secret, person_id, value)

    def open(self, person_id: UUID, sealed: str | None) -> str | None:
        if sealed is None:
            return None
        secret = self.secrets([person_id]).get(person_id)
        return _open(secret, person_id, sealed) if secret else None

    def forget(self, person_id: UUID) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM person_keys WHERE person_id = :id", {"id": str(person_id)})

    def revealer(self, person_ids: Iterable[UUID]) -> Revealer:
        return Revealer(self.secrets(person_ids))


class Revealer:
    """Opens sealed fields for one projection batch, with the keys fetched up front.
    An erased person's fields open to None."""

    def __init__(self, secrets: dict[UUID, bytes]) -> None:
        self._secrets = secrets

    def __call__(self, person_id: UUID, sealed: Any) -> str | None:
        if not isinstance(sealed, str):
            return None
        secret = self._secrets.get(person_id)
        return _open(secret, person_id, sealed) if secret else None
