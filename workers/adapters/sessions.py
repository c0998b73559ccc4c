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
        binding TEXT NOT NULL,
        generation INTEGER NOT NULL DEFAULT -1)""",
    "CREATE INDEX IF NOT EXISTS account_tokens_by_person ON account_tokens (person_id)",
)

COLUMNS = {
    "sqlite": "SELECT name FROM pragma_table_info('account_tokens')",
    "postgres": "SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'account_tokens'",
}


def add_token_binding(db: ReadDatabase) -> None:
    """Databases made before tokens were bound to addresses lack ``binding``, and those made
    before links carried a generation lack ``generation``: add them. Links mailed before then
    bind to nothing (or to generation -1, which no account has), so they no longer redeem."""
    present = {r["name"] for r in db.query(COLUMNS[db.dialect])}
    missing = [
        (column, sql)
        for column, sql in (
            ("binding", "ALTER TABLE account_tokens ADD COLUMN binding TEXT NOT NULL DEFAULT ''"),
            ("generation", "ALTER TABLE account_tokens ADD COLUMN generation INTEGER NOT NULL DEFAULT -1"),
        )
        if column not in present
    ]
    for _column, sql in missing:
        with db.transaction() as tx:
            tx.execute(sql)


def new_token(
    purpose: str, person_id: UUID, address: str, generation: int = 0
) -> tuple[str, tuple[str, dict[str, Any]]]:
    """A new single-use token bound to ``address`` and to the account's ``generation`` for its
    purpose (``Person.verification_generation``, ``Person.reset_generation``), and the INSERT
    that stores its hash (so a log follower can store it in the same transaction as the message
    that carries it)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    params = {
        "hash": token_hash(token),
        "purpose": purpose,
        "person": str(person_id),
        "now": _text(now),
        "expires": _text(now + TOKEN_LIFETIMES[purpose]),
        "binding": binding(token, address),
        "generation": generation,
    }
    sql = (
        "INSERT INTO account_tokens (token_hash, purpose, person_id, created_at, expires_at, binding, generation)"
        " VALUES (:hash, :purpose, :person, :now, :expires, :binding, :generation)"
    )
    return token, (sql, params)


REDEEMABLE = (  # the person behind an unused, unexpired emailed link
    "SELECT person_id, binding, generation, created_at FROM account_tokens"
    " WHERE token_hash = :hash AND purpose = :purpose AND used_at IS NULL AND expires_at > :now"
)
VERIFY_EMAIL = "verify-email"
RESET_PASSWORD = "reset-password"  # noqa: S105 - a purpose, not a secret
UNDO_EMAIL_CHANGE = "undo-email-change"  # the "this wasn't me" link mailed to the address given up
VOIDS_NEWER = frozenset({UNDO_EMAIL_CHANGE})
TOKEN_LIFETIMES = {
    VERIFY_EMAIL: timedelta(days=2),
    RESET_PASSWORD: timedelta(hours=1),
    UNDO_EMAIL_CHANGE: timedelta(days=7),
}


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
class Link:
    """An emailed link that is still unused and unexpired: whose, and its generation."""

    person_id: UUID
    generation: int
    binding: str

    def sent_to(self, token: str, address: str) -> bool:
        return hmac.compare_digest(self.binding, binding(token, address))


@dataclass(frozen=True)
class Session:
    person_id: UUID
    token_hash: str
    expires_at: str
    person_version: int | None = None  # the person's stored head, when read with the session


FIND = (
    "SELECT s.person_id, s.token_hash, s.expires_at{head} FROM sessions s"
    " WHERE s.token_hash = :hash AND s.revoked_at IS NULL AND s.expires_at > :now"
)
# On PostgreSQL the events sit in the same database: the person's head version comes in the
# same statement (the primary key's index answers it), so a person cached at that version
# needs no second round trip to the event store.
PERSON_HEAD = (
    ", (SELECT max(e.originator_version) FROM {events} e"
    " WHERE e.originator_id = CAST(s.person_id AS uuid)) AS person_version"
)


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

    def find(self, token: str, *, events_table: str | None = None) -> Session | None:
        """The live session of ``token``, or None. With ``events_table`` (a quoted name, in
        this database: PostgreSQL only), also the head version of the person's events."""
        head = PERSON_HEAD.format(events=events_table) if events_table and self.db.dialect == "postgres" else ""
        rows = self.db.query(FIND.format(head=head), {"hash": token_hash(token), "now": _text(_now())})
        if not rows:
            return None
        row = rows[0]
        version = row.get("person_version")
        return Session(UUID(row["person_id"]), row["token_hash"], row["expires_at"], version)

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

    def issue(self, purpose: str, person_id: UUID, address: str, generation: int = 0) -> str:
        token, (sql, params) = new_token(purpose, person_id, address, generation)
        with self.db.transaction() as tx:
            tx.execute(sql, params)
        return token

    def peek(self, purpose: str, token: str) -> Link | None:
        """The token's link if it is valid now, without using it up."""
        rows = self.db.query(REDEEMABLE, {"hash": token_hash(token), "purpose": purpose, "now": _text(_now())})
        return _link(rows[0]) if rows else None

    def redeem(self, purpose: str, token: str, address: str) -> Link | None:
        """The token's link, if it is valid and was sent to ``address`` (the person's address
        now); marks it used in the same transaction, so it works once, and voids the person's
        other unused links of the same purpose mailed before it: using a link ends the older
        ones (a stale one used ends no newer one). An undo link instead voids those mailed after
        it: the address given up first wins, so a thief who moved the account on twice cannot
        use the second notice to beat the owner.
        Whether the link still fits the account (its generation) is the command's to decide,
        against the version it saves."""
        now = _text(_now())
        with self.db.transaction() as tx:
            rows = tx.query(REDEEMABLE, {"hash": token_hash(token), "purpose": purpose, "now": now})
            if not rows or not hmac.compare_digest(rows[0]["binding"], binding(token, address)):
                return None
            used = tx.execute(
                "UPDATE account_tokens SET used_at = :now WHERE token_hash = :hash AND used_at IS NULL",
                {"hash": token_hash(token), "now": now},
            )
            if used != 1:
                return None
            which = " AND created_at >= :created" if purpose in VOIDS_NEWER else " AND created_at <= :created"
            tx.execute(
                "UPDATE account_tokens SET used_at = :now"
                " WHERE person_id = :person AND purpose = :purpose AND used_at IS NULL" + which,
                {"person": rows[0]["person_id"], "purpose": purpose, "now": now, "created": rows[0]["created_at"]},
            )
        return _link(rows[0])


def _link(row: dict[str, Any]) -> Link:
    return Link(UUID(row["person_id"]), int(row["generation"]), row["binding"])
