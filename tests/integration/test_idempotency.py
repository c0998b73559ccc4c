"""Idempotency-Key on POST, in both modes: a retry gets the first answer and stores
nothing new; another body under the same key is 422; a duplicate while the first is in
flight is 409 (PostgreSQL, with the event table locked so the first request waits)."""

from __future__ import annotations

import base64
import hashlib
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests import support
from tests.factories import PASSWORD, email
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def sign_up_body(address: str) -> dict[str, Any]:
    return {"name": "Ida Empotent", "email": address, "organisation_code": "WGN", "password": PASSWORD}


def counts(runtime: Runtime) -> tuple[int | None, int, int]:
    """What a repeated write would add to: the event log, sessions and mail."""
    return (
        runtime.app.recorder.max_notification_id(),
        runtime.db.query("SELECT count(*) AS n FROM sessions")[0]["n"],
        runtime.db.query("SELECT count(*) AS n FROM outbox")[0]["n"],
    )


def test_a_retried_sign_up_gets_the_first_answer_and_stores_nothing_new(any_runtime: Runtime) -> None:
    client = create_app(runtime=any_runtime).test_client()
    same, body = key(), sign_up_body(email())
    first = client.post("/api/v1/people", json=body, headers=same)
    assert first.status_code == 201
    before = counts(any_runtime)
    again = client.post("/api/v1/people", json=body, headers=same)
    assert (again.status_code, again.json, again.headers["Location"]) == (201, first.json, first.headers["Location"])
    assert again.headers["Idempotent-Replayed"] == "true"
    assert counts(any_runtime) == before
    assert client.post("/api/v1/people", json=body, headers=key()).status_code == 409  # a new key does the work


def test_a_retried_sign_in_returns_the_same_session_and_keeps_nothing_in_clear(any_runtime: Runtime) -> None:
    client = create_app(runtime=any_runtime).test_client()
    address, same = email(), key()
    assert client.post("/api/v1/people", json=sign_up_body(address)).status_code == 201
    sign_in = {"email": address, "password": PASSWORD}
    first = client.post("/api/v1/sessions", json=sign_in, headers=same)
    before = counts(any_runtime)
    again = client.post("/api/v1/sessions", json=sign_in, headers=same)
    assert (first.status_code, again.json["token"]) == (201, first.json["token"])
    assert counts(any_runtime) == before
    stored = str(any_runtime.db.query("SELECT * FROM idempotency_keys"))
    assert first.json["token"] not in stored and same["Idempotency-Key"] not in stored and address not in stored


def test_the_same_key_with_another_body_is_422_and_stores_nothing(any_runtime: Runtime) -> None:
    client = create_app(runtime=any_runtime).test_client()
    same = key()
    assert client.post("/api/v1/people", json=sign_up_body(email()), headers=same).status_code == 201
    before = counts(any_runtime)
    other = client.post("/api/v1/people", json=sign_up_body(email()), headers=same)
    assert other.status_code == 422 and other.content_type == "application/problem+json"
    assert "Idempotency-Key" in other.json["errors"]
    assert counts(any_runtime) == before


def test_a_key_belongs_to_whoever_sent_it(any_runtime: Runtime) -> None:
    client = create_app(runtime=any_runtime).test_client()
    tokens = []
    for _ in range(2):
        address = email()
        assert client.post("/api/v1/people", json=sign_up_body(address)).status_code == 201
        tokens.append(client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD}).json["token"])
    same = key()
    resend = lambda token: client.post(  # noqa: E731
        "/api/v1/me/verification-email", headers={**same, "Authorization": f"Bearer {token}"}
    )
    first, other, again = resend(tokens[0]), resend(tokens[1]), resend(tokens[0])
    assert [a.status_code for a in (first, other, again)] == [202, 202, 202]
    assert "Idempotent-Replayed" not in other.headers and again.headers["Idempotent-Replayed"] == "true"


def test_every_post_declares_the_header_in_the_openapi_document(sqlite_runtime: Runtime) -> None:
    spec = create_app(runtime=sqlite_runtime).test_client().get("/api/v1/openapi.json").json
    posts = [ops["post"] for ops in spec["paths"].values() if "post" in ops]
    assert posts and all({"$ref": "#/components/parameters/IdempotencyKey"} in op["parameters"] for op in posts)
    assert spec["components"]["parameters"]["IdempotencyKey"]["in"] == "header"


def test_a_key_that_is_not_printable_ascii_is_400(any_runtime: Runtime) -> None:
    client = create_app(runtime=any_runtime).test_client()
    refused = client.post("/api/v1/people", json=sign_up_body(email()), headers={"Idempotency-Key": "x" * 256})
    assert refused.status_code == 400 and refused.content_type == "application/problem+json"


def test_a_duplicate_while_the_first_is_in_flight_is_409(pg_runtime: Runtime) -> None:
    app = create_app(runtime=pg_runtime)
    same, body = key(), sign_up_body(email())
    answers: dict[str, Any] = {}
    with psycopg.connect(pg_runtime.settings.database_url) as blocker:
        blocker.execute("LOCK TABLE pipeline_events IN EXCLUSIVE MODE")  # the first sign-up's save() waits
        first = threading.Thread(
            target=lambda: answers.update(first=app.test_client().post("/api/v1/people", json=body, headers=same))
        )
        first.start()
        claimed = "SELECT count(*) AS n FROM idempotency_keys WHERE answer IS NULL"
        support.wait_until(lambda: pg_runtime.db.query(claimed)[0]["n"] == 1, timeout=30, message="the first claim")
        duplicate = app.test_client().post("/api/v1/people", json=body, headers=same)
        assert duplicate.status_code == 409 and duplicate.headers["Retry-After"]
        assert first.is_alive()
    first.join(30)
    assert answers["first"].status_code == 201
    again = app.test_client().post("/api/v1/people", json=body, headers=same)
    assert (again.status_code, again.json) == (201, answers["first"].json)


def test_a_key_is_kept_for_a_day_and_then_forgotten(any_runtime: Runtime) -> None:
    client = create_app(runtime=any_runtime).test_client()
    address, same = email(), key()
    assert client.post("/api/v1/people", json=sign_up_body(address)).status_code == 201
    sign_in = {"email": address, "password": PASSWORD}
    first = client.post("/api/v1/sessions", json=sign_in, headers=same).json["token"]

    def age(hours: float) -> None:
        moment = (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with any_runtime.db.transaction() as tx:
            tx.execute("UPDATE idempotency_keys SET created_at = :at", {"at": moment})

    age(23.9)
    assert client.post("/api/v1/sessions", json=sign_in, headers=same).json["token"] == first
    age(24.1)
    assert client.post("/api/v1/sessions", json=sign_in, headers=same).json["token"] != first


def test_a_database_copy_and_a_guessed_key_do_not_open_a_stored_answer(sqlite_runtime: Runtime) -> None:
    """The seal needs a secret kept outside the table, not only the client's key and address
    (a hostile review opened a bearer token stored under the key "7" that way)."""
    client = create_app(runtime=sqlite_runtime).test_client()
    address = email()
    assert client.post("/api/v1/people", json=sign_up_body(address)).status_code == 201
    first = client.post(
        "/api/v1/sessions", json={"email": address, "password": PASSWORD}, headers={"Idempotency-Key": "7"}
    )
    assert first.status_code == 201
    (row,) = sqlite_runtime.db.query("SELECT key_hash, answer FROM idempotency_keys")
    material = b"client:127.0.0.1\n7"  # all an attacker with the table needs to guess
    key_hash = hashlib.sha256(b"pipeline-idempotency-id\n" + material).hexdigest()
    seal = hashlib.sha256(b"pipeline-idempotency-seal\n" + material).digest()
    raw = base64.b64decode(row["answer"])
    assert row["key_hash"] != key_hash
    with pytest.raises(InvalidTag):
        AESGCM(seal).decrypt(raw[:12], raw[12:], row["key_hash"].encode())
