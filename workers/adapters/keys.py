"""Per-person keys, kept beside the read models and outside the event log.

Personal fields are sealed with AES-256-GCM under a key of the person's own;
``forget`` deletes the key, after which nothing sealed with it can be opened by
anyone: not the API, not a projection rebuild, not an evaluator replaying the
log (crypto-shredding). The keys are stored only wrapped under a key-encryption
key held outside the database (``workers.adapters.kek``), so neither a live copy of
the database nor a dead tuple, old WAL or backup opens anything on its own.

The email index is a keyed hash (HMAC-SHA256) under an index key that is stored
the same way: without the KEK, nobody can tell which id a guessed address has."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.person import email_key
from domain.personal import SEALED
from projections.db import ReadDatabase
from workers.adapters.kek import KeyRing

PREFIX = SEALED
EMAIL_INDEX = "email-index"
SECRETS_PER_QUERY = 5000  # ids per statement when many keys are read at once
DDL = (
    "CREATE TABLE IF NOT EXISTS person_keys ("
    " person_id TEXT PRIMARY KEY, kek_id TEXT NOT NULL, wrapped TEXT NOT NULL, created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS secret_keys ("
    " name TEXT PRIMARY KEY, kek_id TEXT NOT NULL, wrapped TEXT NOT NULL, created_at TEXT NOT NULL)",
)


class KeysNotInitialised(RuntimeError):
    """The index key is missing: ``pipeline init`` has not been run on this database."""


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


def email_index_id(index_key: bytes, email: str) -> UUID:
    """The index id of an address: one per mailbox (``email_key``), unknowable without ``index_key``."""
    return _index_id(index_key, email_key(email))


def legacy_email_index_id(index_key: bytes, email: str) -> UUID:
    """The index id earlier versions gave an address (only spaces and case folded): where a
    stored address that is not canonical (a "quoted" local part) is still indexed until
    ``pipeline init`` moves it (``workers.runtime.address_index``)."""
    return _index_id(index_key, email.strip().casefold())


def _index_id(index_key: bytes, key: str) -> UUID:
    digest = hmac.new(index_key, b"person-email:" + key.encode(), hashlib.sha256).digest()
    return UUID(bytes=digest[:16], version=4)


def _person_context(person_id: UUID) -> bytes:
    return b"person-key:" + person_id.bytes


def _secret_context(name: str) -> bytes:
    return b"secret-key:" + name.encode()


def unwrap_row(ring: KeyRing, row: dict[str, Any]) -> bytes:
    """The secret of a stored ``person_keys`` (``person_id``) or ``secret_keys`` (``name``) row;
    raises ``KekError`` unless its KEK opens it for that very row."""
    context = _person_context(UUID(row["person_id"])) if "person_id" in row else _secret_context(row["name"])
    return ring.get(row["kek_id"]).unwrap(row["wrapped"], context)


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class Rotation:
    rewrapped: int
    kek_id: str
    usage: dict[str, int]  # KEK id -> keys wrapped under it, after the rotation


class KeyStore:
    """The ``PersonalData`` port, on the read-model database."""

    def __init__(self, db: ReadDatabase, ring: KeyRing) -> None:
        self.db, self.ring = db, ring
        self._index_key: bytes | None = None

    def _row(self, person_id: UUID, secret: bytes, at: str) -> dict[str, str]:
        kek = self.ring.current
        wrapped = kek.wrap(secret, _person_context(person_id))
        return {"id": str(person_id), "kek": kek.id, "wrapped": wrapped, "at": at}

    def new_key(self, person_id: UUID) -> None:
        self.new_keys([person_id])

    def new_keys(self, person_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        """Many keys in one transaction (bulk imports); returns them for sealing."""
        made = {person_id: AESGCM.generate_key(256) for person_id in person_ids}
        at = _now()
        with self.db.transaction() as tx:
            tx.execute_many(
                "INSERT INTO person_keys (person_id, kek_id, wrapped, created_at) VALUES (:id, :kek, :wrapped, :at)",
                [self._row(p, k, at) for p, k in made.items()],
            )
        return made

    def secrets(self, person_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        """The keys of these people (any number: `init` asks for every person's at once), read in
        slices, since a statement takes at most 65,535 parameters (PostgreSQL) or 32,766 (SQLite)."""
        ids = sorted({str(p) for p in person_ids})
        found: dict[UUID, bytes] = {}
        for start in range(0, len(ids), SECRETS_PER_QUERY):
            part = ids[start : start + SECRETS_PER_QUERY]
            marks = ", ".join(f":p{i}" for i in range(len(part)))
            rows = self.db.query(
                f"SELECT person_id, kek_id, wrapped FROM person_keys WHERE person_id IN ({marks})",
                {f"p{i}": v for i, v in enumerate(part)},
            )
            found.update((UUID(r["person_id"]), self._unwrap_person(r)) for r in rows)
        return found

    def _unwrap_person(self, row: dict[str, Any]) -> bytes:
        person_id = UUID(row["person_id"])
        return self.ring.get(row["kek_id"]).unwrap(row["wrapped"], _person_context(person_id))

    @overload
    def seal(self, person_id: UUID, value: str) -> str: ...
    @overload
    def seal(self, person_id: UUID, value: None) -> None: ...
    @overload
    def seal(self, person_id: UUID, value: str | None) -> str | None: ...
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
        return Revealer(self.secrets(person_ids), lambda person_id: self.secrets([person_id]).get(person_id))

    # ------------------------------------------------------------ email index
    def email_index_id(self, email: str) -> UUID:
        return email_index_id(self._email_index_key(), email)

    def legacy_email_index_id(self, email: str) -> UUID:
        return legacy_email_index_id(self._email_index_key(), email)

    def server_secret(self, purpose: bytes) -> bytes:
        """A secret for ``purpose``, derived from the email index key (wrapped under the KEK,
        stable across rotations): never in the database in a usable form."""
        return hmac.new(self._email_index_key(), b"server-secret:" + purpose, hashlib.sha256).digest()

    def _email_index_key(self) -> bytes:
        if self._index_key is None:  # it never changes (a rotation only rewraps it): read it once
            rows = self.db.query("SELECT kek_id, wrapped FROM secret_keys WHERE name = :name", {"name": EMAIL_INDEX})
            if not rows:
                raise KeysNotInitialised("The email index key is missing: run `pipeline init`.")
            kek = self.ring.get(rows[0]["kek_id"])
            self._index_key = kek.unwrap(rows[0]["wrapped"], _secret_context(EMAIL_INDEX))
        return self._index_key

    def ensure_index_key(self) -> None:
        """Make the email index key once (``pipeline init``); a second call keeps the first."""
        kek = self.ring.current
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO secret_keys (name, kek_id, wrapped, created_at) VALUES (:name, :kek, :wrapped, :at)"
                " ON CONFLICT (name) DO NOTHING",
                {
                    "name": EMAIL_INDEX,
                    "kek": kek.id,
                    "wrapped": kek.wrap(AESGCM.generate_key(256), _secret_context(EMAIL_INDEX)),
                    "at": _now(),
                },
            )
        self._email_index_key()  # fail now, not at the first sign-up, if it cannot be opened

    # --------------------------------------------------------------- rotation
    def rotate(self, batch: int = 500) -> Rotation:
        """Rewrap every live key not under the current KEK. Each row is changed only if it
        is still as read, so an erasure or a second rotation running alongside is safe."""
        kek, done = self.ring.current, 0
        done += self._rewrap_secrets(kek)
        while True:
            rows = self.db.query(
                "SELECT person_id, kek_id, wrapped FROM person_keys WHERE kek_id <> :kek LIMIT :n",
                {"kek": kek.id, "n": batch},
            )
            if not rows:
                return Rotation(done, kek.id, self.usage())
            with self.db.transaction() as tx:
                for row in rows:
                    wrapped = kek.wrap(self._unwrap_person(row), _person_context(UUID(row["person_id"])))
                    done += tx.execute(
                        "UPDATE person_keys SET kek_id = :kek, wrapped = :wrapped"
                        " WHERE person_id = :id AND wrapped = :old",
                        {"kek": kek.id, "wrapped": wrapped, "id": row["person_id"], "old": row["wrapped"]},
                    )

    def _rewrap_secrets(self, kek: Any) -> int:
        done = 0
        rows = self.db.query("SELECT name, kek_id, wrapped FROM secret_keys WHERE kek_id <> :kek", {"kek": kek.id})
        with self.db.transaction() as tx:
            for row in rows:
                context = _secret_context(row["name"])
                wrapped = kek.wrap(self.ring.get(row["kek_id"]).unwrap(row["wrapped"], context), context)
                done += tx.execute(
                    "UPDATE secret_keys SET kek_id = :kek, wrapped = :wrapped WHERE name = :name AND wrapped = :old",
                    {"kek": kek.id, "wrapped": wrapped, "name": row["name"], "old": row["wrapped"]},
                )
        return done

    def usage(self) -> dict[str, int]:
        """How many stored keys (index key included) each KEK wraps."""
        rows = self.db.query(
            "SELECT kek_id, COUNT(*) AS n FROM"
            " (SELECT kek_id FROM person_keys UNION ALL SELECT kek_id FROM secret_keys) AS k GROUP BY kek_id"
        )
        return {r["kek_id"]: int(r["n"]) for r in rows}


class Revealer:
    """Opens sealed fields for one projection batch, with the keys fetched up front.
    An erased person's fields open to None. A field sealed under the key of someone the batch
    did not name (a comment's text, sealed under its author's key) fetches that key once."""

    def __init__(self, secrets: dict[UUID, bytes], fetch: Callable[[UUID], bytes | None] | None = None) -> None:
        self._secrets: dict[UUID, bytes | None] = dict(secrets)
        self._fetch = fetch

    def __call__(self, person_id: UUID, sealed: Any) -> str | None:
        if not isinstance(sealed, str):
            return None
        if person_id not in self._secrets and self._fetch is not None:
            self._secrets[person_id] = self._fetch(person_id)  # None (erased) is kept too: asked once
        secret = self._secrets.get(person_id)
        return _open(secret, person_id, sealed) if secret else None
