"""Bearer sessions and single-use emailed tokens. Only SHA-256 hashes of tokens are
stored: a copy of the database does not let anyone sign in."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.person import email_key
from projections.db import ReadDatabase

DDL = (
    """CREATE TABLE IF NOT EXISTS sessions (
        token_hash TEXT PRIMARY KEY,
        person_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT)""",
    "CREATE INDEX IF NOT EXISTS sessions_by_person ON sessions (person_id)",
    """CREATE TABLE IF NOT EXISTS account_tokens (
        token_hash TEXT PRIMARY KEY,
        purpose TEXT NOT NULL,
        person_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        binding TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS account_tokens_by_person ON account_tokens (person_id)",
)

COLUMNS = {
    "sqlite": "SELECT name FROM pragma_table_info('account_tokens')",
    "postgres": "SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'account_tokens'",
}


def add_token_binding(db: ReadDatabase) -> None:
    """Databases made before tokens were bound to addresses lack ``binding``: add it. Links
    mailed before then bind to nothing, so they no longer redeem (ask for a new one)."""
    if "binding" not in {r["name"] for r in db.query(COLUMNS[db.dialect])}:
        with db.transaction() as tx:
            tx.execute("ALTER TABLE account_tokens ADD COLUMN binding TEXT NOT NULL DEFAULT ''")


def new_token(purpose: str, person_id: UUID, address: str) -> tuple[str, tuple[str, dict[str, Any]]]:
    """A new single-use token bound to ``address``, and the INSERT that stores its hash (so a
    log follower can store it in the same transaction as the message that carries it)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    params = {
        "hash": token_hash(token),
        "purpose": purpose,
        "person": str(person_id),
        "now": _text(now),
        "expires": _text(now + TOKEN_LIFETIMES[purpose]),
        "binding": binding(token, address),
    }
    sql = (
        "INSERT INTO account_tokens (token_hash, purpose, person_id, created_at, expires_at, binding)"
        " VALUES (:hash, :purpose, :person, :now, :expires, :binding)"
    )
    return token, (sql, params)


REDEEMABLE = (  # the person behind an unused, unexpired emailed link
    "SELECT person_id, binding FROM account_tokens WHERE token_hash = :hash AND purpose = :purpose"
    " AND used_at IS NULL AND expires_at > :now"
)
VERIFY_EMAIL = "verify-email"
RESET_PASSWORD = "reset-password"  # noqa: S105 - a purpose, not a secret
TOKEN_LIFETIMES = {VERIFY_EMAIL: timedelta(days=2), RESET_PASSWORD: timedelta(hours=1)}


def _now() -> datetime:
    return datetime.now(UTC)


def _text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def binding(token: str, address: str) -> str:
    """Ties a token to the address it was mailed to. Keyed by the token itself, so the
    stored value cannot be matched against guessed addresses without the emailed link."""
    return hashlib.sha256(f"{token}\n{email_key(address)}".encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    person_id: UUID
    token_hash: str
    expires_at: str


class SessionStore:
    def __init__(self, db: ReadDatabase, lifetime: timedelta) -> None:
        self.db, self.lifetime = db, lifetime

    def start(self, person_id: UUID) -> tuple[str, str]:
        """A new session: returns (token, expires_at). The token is shown once, never stored."""
        token = secrets.token_urlsafe(32)
        now = _now()
        expires = _text(now + self.lifetime)
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO sessions (token_hash, person_id, created_at, expires_at)"
                " VALUES (:hash, :person, :now, :expires)",
                {"hash": token_hash(token), "person": str(person_id), "now": _text(now), "expires": expires},
            )
        return token, expires

    def find(self, token: str) -> Session | None:
        rows = self.db.query(
            "SELECT person_id, token_hash, expires_at FROM sessions"
            " WHERE token_hash = :hash AND revoked_at IS NULL AND expires_at > :now",
            {"hash": token_hash(token), "now": _text(_now())},
        )
        return Session(UUID(rows[0]["person_id"]), rows[0]["token_hash"], rows[0]["expires_at"]) if rows else None

    def revoke(self, hashed: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE sessions SET revoked_at = :now WHERE token_hash = :hash AND revoked_at IS NULL",
                {"hash": hashed, "now": _text(_now())},
            )

    def revoke_all(self, person_id: UUID, *, keep: str | None = None) -> int:
        with self.db.transaction() as tx:
            return tx.execute(
                "UPDATE sessions SET revoked_at = :now WHERE person_id = :person AND revoked_at IS NULL"
                " AND token_hash <> :keep",
                {"person": str(person_id), "now": _text(_now()), "keep": keep or ""},
            )

    def forget_person(self, person_id: UUID) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM sessions WHERE person_id = :person", {"person": str(person_id)})
            tx.execute("DELETE FROM account_tokens WHERE person_id = :person", {"person": str(person_id)})


class TokenStore:
    """Single-use, time-limited tokens sent by email (verification, password reset), each
    bound to the address it was sent to: it works only while that is still the person's."""

    def __init__(self, db: ReadDatabase) -> None:
        self.db = db

    def issue(self, purpose: str, person_id: UUID, address: str) -> str:
        token, (sql, params) = new_token(purpose, person_id, address)
        with self.db.transaction() as tx:
            tx.execute(sql, params)
        return token

    def peek(self, purpose: str, token: str) -> UUID | None:
        """The token's person if it is valid now, without using it up."""
        rows = self.db.query(REDEEMABLE, {"hash": token_hash(token), "purpose": purpose, "now": _text(_now())})
        return UUID(rows[0]["person_id"]) if rows else None

    def redeem(self, purpose: str, token: str, address: str) -> UUID | None:
        """The token's person, if it is valid and was sent to ``address`` (the person's address
        now); marks it used in the same transaction, so it works once."""
        now = _text(_now())
        with self.db.transaction() as tx:
            rows = tx.query(REDEEMABLE, {"hash": token_hash(token), "purpose": purpose, "now": now})
            if not rows or not hmac.compare_digest(rows[0]["binding"], binding(token, address)):
                return None
            used = tx.execute(
                "UPDATE account_tokens SET used_at = :now WHERE token_hash = :hash AND used_at IS NULL",
                {"hash": token_hash(token), "now": now},
            )
        return UUID(rows[0]["person_id"]) if used == 1 else None
