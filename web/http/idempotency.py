"""``Idempotency-Key`` on every POST: a retry gets the first answer, and nothing new is stored.

One mechanism for the whole API (request hooks, not code in each view). A key belongs to
whoever sent it: the signed-in person, or else the client address. The first request
with a key claims it; a retry with the same method, path and body gets the first answer
(status, body, Content-Type, Location) marked ``Idempotent-Replayed: true``; the same key
with another body is 422, and while the first is still being answered, 409. Answers of 5xx
and 429 are not kept: retrying those must do the work.

A write is never done twice and never answered 5xx once committed. The answer is kept
after the command commits, so a database that drops between the two would lose it: the
command's first save therefore carries a mark in the log (``domain.requests``), in the
same transaction. Storing the answer is retried for ``FINISH_WITHIN``; a retry whose key
has no answer but whose mark is in the log is answered 409 "Already carried out" (never
run again, however long after); a second execution's save is refused by the mark's id.

An answer that carries a bearer token (sign-in) is given again only while that session is
live: once it is signed out or expired, the kept answer is dropped and the retry is done
as a new request (a sign-in checks the password again and starts a new session).

Answers can hold bearer tokens and personal data, so the database keeps no key and no
answer in clear: rows are found by a hash of (owner, key), answers are sealed with
AES-GCM under another hash of them, and the body fingerprint is keyed the same way. Only
someone holding the key can read what it answered. Rows are kept ``idempotency_hours``
(at least 24) and purged as new keys come in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable
from contextvars import Token
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, Response, current_app, g, request

from domain import requests
from projections.db import ReadDatabase
from web.http.errors import problem
from workers.adapters.idempotency import DDL  # noqa: F401 - re-exported: the table the store below uses

log = logging.getLogger(__name__)
HEADER = "Idempotency-Key"
KEPT_HEADERS = ("Content-Type", "Location")
ABANDONED_AFTER = timedelta(minutes=2)  # a claim this old with no answer: its process died
MAX_KEY_LENGTH = 255
FINISH_WITHIN = 30.0  # seconds to keep trying to store a committed write's answer (the client waits)
FINISH_PAUSE = 0.5
CarriedOut = Callable[[str], bool]
SessionLive = Callable[[str], bool]


def _now() -> datetime:
    return datetime.now(UTC)


def _text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Claim:
    key_hash: str
    request_hash: str
    secret: bytes  # seals the answer; derived from the key, never stored

    @classmethod
    def of(cls, owner: str, key: str, method: str, path: str, body: bytes, server_secret: bytes) -> Claim:
        """``server_secret`` (kept wrapped under the KEK, never in the table) joins the client's
        key, so a copy of the database alone cannot open a stored answer even for a guessable key."""
        material = f"{owner}\n{key}".encode()
        secret = hmac.new(server_secret, b"pipeline-idempotency-seal\n" + material, hashlib.sha256).digest()
        fingerprint = hmac.new(secret, f"{method}\n{path}\n".encode() + body, hashlib.sha256).hexdigest()
        key_hash = hmac.new(server_secret, b"pipeline-idempotency-id\n" + material, hashlib.sha256).hexdigest()
        return cls(key_hash, fingerprint, secret)

    @property
    def mark_id(self) -> str:
        """The id of this request's mark in the log: the key *and* the request, so that a key,
        once its row has expired, may serve another request (the same request stays refused)."""
        return f"{self.key_hash}:{self.request_hash}"

    def seal(self, response: Response) -> str:
        answer = {
            "status": response.status_code,
            "headers": [[k, v] for k, v in response.headers.items() if k in KEPT_HEADERS],
            "body": base64.b64encode(response.get_data()).decode(),
        }
        nonce = os.urandom(12)
        sealed = AESGCM(self.secret).encrypt(nonce, json.dumps(answer).encode(), self.key_hash.encode())
        return base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str) -> Response | None:
        raw = base64.b64decode(sealed)
        try:
            answer = json.loads(AESGCM(self.secret).decrypt(raw[:12], raw[12:], self.key_hash.encode()))
        except InvalidTag:
            return None
        response = Response(base64.b64decode(answer["body"]), status=answer["status"])
        for key, value in answer["headers"]:
            response.headers[key] = value
        response.headers["Idempotent-Replayed"] = "true"
        return response


def carried_out_answer() -> Response:
    return problem(
        409,
        "Already carried out",
        "A request with this Idempotency-Key was carried out, but its answer could not be kept."
        " It will not be carried out again: read the resource to see the result.",
    )


class IdempotencyStore:
    def __init__(self, db: ReadDatabase, kept: timedelta, carried_out: CarriedOut, live: SessionLive) -> None:
        self.db, self.kept, self.carried_out, self.live = db, kept, carried_out, live

    def claim(self, claim: Claim) -> Response | None:
        """None if this request now owns the key (go on and answer it); else the answer to give."""
        now = _now()
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM idempotency_keys WHERE created_at < :cutoff", {"cutoff": _text(now - self.kept)})
            claimed = tx.execute(
                "INSERT INTO idempotency_keys (key_hash, request_hash, created_at) VALUES (:key, :request, :now)"
                " ON CONFLICT (key_hash) DO NOTHING",
                {"key": claim.key_hash, "request": claim.request_hash, "now": _text(now)},
            )
            if claimed:
                return None
            rows = tx.query("SELECT * FROM idempotency_keys WHERE key_hash = :key", {"key": claim.key_hash})
        if not rows:
            return self.claim(claim)  # purged meanwhile
        answer = self._answer_for(claim, rows[0], now)
        if answer is not None and self._token_ended(answer):
            self._forget(claim)  # never hand out a signed-out session: do the request again
            return self.claim(claim)
        return answer

    def _token_ended(self, answer: Response) -> bool:
        body = answer.get_json(silent=True) if answer.is_json else None
        token = body.get("token") if isinstance(body, dict) else None
        return isinstance(token, str) and not self.live(token)

    def _forget(self, claim: Claim) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM idempotency_keys WHERE key_hash = :key", {"key": claim.key_hash})

    def _answer_for(self, claim: Claim, row: dict[str, Any], now: datetime) -> Response | None:
        if not hmac.compare_digest(row["request_hash"], claim.request_hash):
            return problem(
                422,
                "Idempotency-Key reused",
                "This Idempotency-Key was already used for a different request; use a new key for a new request.",
                errors={HEADER: ["Used before with another method, path or body."]},
            )
        if row["answer"] is not None:
            return claim.open(row["answer"]) or problem(422, "Idempotency-Key reused", "Use a new key.")
        if self.carried_out(claim.mark_id) or self.carried_out(claim.key_hash):  # committed, answer lost
            # (a mark named by the key alone was written before marks named the request too)
            return carried_out_answer()
        if row["created_at"] < _text(now - ABANDONED_AFTER) and self._take_over(claim, row["created_at"], now):
            return None
        return problem(
            409,
            "Request in progress",
            "A request with this Idempotency-Key is still being answered; retry shortly.",
            {"Retry-After": "1"},
        )

    def _take_over(self, claim: Claim, claimed_at: str, now: datetime) -> bool:
        with self.db.transaction() as tx:
            return (
                tx.execute(
                    "UPDATE idempotency_keys SET created_at = :now WHERE key_hash = :key AND answer IS NULL"
                    " AND created_at = :then",
                    {"key": claim.key_hash, "now": _text(now), "then": claimed_at},
                )
                == 1
            )

    def finish(self, claim: Claim, response: Response) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE idempotency_keys SET answer = :answer WHERE key_hash = :key AND answer IS NULL",
                {"key": claim.key_hash, "answer": claim.seal(response)},
            )

    def finish_committed(self, claim: Claim, response: Response) -> None:
        """Keep a committed write's answer, trying for ``FINISH_WITHIN`` seconds while the
        database is away; if it stays away, the answer is still given (the mark in the log
        keeps a retry from doing the write again)."""
        deadline = time.monotonic() + FINISH_WITHIN
        while True:
            try:
                return self.finish(claim, response)
            except Exception as error:  # the driver's own connection errors
                if time.monotonic() >= deadline:
                    log.error("could not keep the answer of a committed write: %s", type(error).__name__)
                    return None
                time.sleep(FINISH_PAUSE)

    def release(self, claim: Claim) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM idempotency_keys WHERE key_hash = :key AND answer IS NULL", {"key": claim.key_hash})


def document(spec: Any) -> None:
    """Declare the header on every POST of the OpenAPI document (call after the blueprints)."""
    spec.components.parameter(
        "IdempotencyKey",
        "header",
        {
            "name": HEADER,
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
            "description": "Printable ASCII; a retry with the same key and body gets the first answer again.",
        },
    )
    for operations in spec.to_dict()["paths"].values():  # the live mapping, not a copy
        if "post" in operations:
            operations["post"].setdefault("parameters", []).append({"$ref": "#/components/parameters/IdempotencyKey"})


def _bad_key(key: str) -> Response | None:
    if 1 <= len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable():
        return None
    return problem(
        400,
        "Bad Request",
        f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} printable ASCII characters (a UUID is ideal).",
        errors={HEADER: ["Not a valid key."]},
    )


def _owner() -> str:
    person = g.get("person")  # set by the access check (web.http.auth), which runs first
    return f"person:{person.id}" if person is not None else f"client:{request.remote_addr or '-'}"


def init_app(app: Flask, kept: timedelta) -> None:
    """Register after the access check (a key belongs to the person it finds)."""

    def store() -> IdempotencyStore:
        runtime = current_app.extensions["pipeline"]
        return IdempotencyStore(
            runtime.db, kept, runtime.app.carried_out, lambda token: runtime.sessions.find(token) is not None
        )

    @app.before_request
    def replay_or_claim() -> Response | None:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or request.url_rule is None:
            return None
        refused = _bad_key(key)
        if refused is not None:
            return refused
        server_secret = current_app.extensions["pipeline"].keys.server_secret(b"idempotency")
        claim = Claim.of(_owner(), key, request.method, request.full_path, request.get_data(), server_secret)
        answer = store().claim(claim)
        if answer is None:
            g.idempotency_claim = claim
            g.idempotency_carrying = requests.carrying_out(claim.mark_id)
        return answer

    @app.after_request
    def remember_answer(response: Response) -> Response:
        claim = g.pop("idempotency_claim", None)
        if claim is None:
            return response
        if requests.committed():
            if response.status_code >= 500 or response.status_code == 429:
                response = carried_out_answer()  # the write is in the log: never 5xx for it
            store().finish_committed(claim, response)
        elif response.status_code >= 500 or response.status_code == 429:
            store().release(claim)  # nothing was written: a retry must do the work
        else:
            store().finish(claim, response)
        return response

    @app.teardown_request
    def release_unanswered(_error: BaseException | None) -> None:
        carrying: Token[Any] | None = g.pop("idempotency_carrying", None)
        claim = g.pop("idempotency_claim", None)
        if claim is not None and not requests.committed():  # no answer made and nothing written
            store().release(claim)
        if carrying is not None:
            requests.done_carrying(carrying)
