"""Abuse limits, counted in the real Redis as in production: mail per recipient and per
account, and one budget per client address for sign-in, verification and reset."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PASSWORD, email
from web.app import create_app
from workers.runtime.bootstrap import Runtime, build_runtime, initialise
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def runtime(pg_settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(replace(pg_settings, sign_up_ip_limit="1000/minute", sign_in_ip_limit="1000/minute"))
    yield rt
    rt.close()


@pytest.fixture
def client(runtime: Runtime) -> Any:
    return create_app(runtime=runtime).test_client()


def sign_up(client: Any, address: str, name: str = "Rae") -> Any:
    return client.post(
        "/api/v1/people", json={"name": name, "email": address, "organisation_code": "WGN", "password": PASSWORD}
    )


def signed_in(client: Any, address: str) -> dict[str, str]:
    assert sign_up(client, address).status_code == 201
    token = client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def notified(runtime: Runtime) -> None:
    """What the worker does after writes in production: the notifier writes the mail."""
    runtime.catch_up()


def mails(runtime: Runtime, person_id: str | None = None, kind: str | None = None) -> int:
    notified(runtime)
    rows = runtime.db.query("SELECT person_id, kind FROM outbox")
    return sum(1 for r in rows if person_id in (None, r["person_id"]) and kind in (None, r["kind"]))


def test_forty_resends_do_not_send_forty_emails(client: Any, runtime: Runtime) -> None:
    address = email()
    me = signed_in(client, address)
    person_id = client.get("/api/v1/me", headers=me).json["id"]
    answers = [client.post("/api/v1/me/verification-email", headers=me).status_code for _ in range(40)]
    assert answers[:2] == [202, 202] and set(answers[2:]) == {429}
    assert mails(runtime, person_id) == 3  # the sign-up's and two resends: the address's hourly budget


def test_changing_email_again_and_again_mails_only_a_few_third_parties(client: Any, runtime: Runtime) -> None:
    me = signed_in(client, email())
    person_id = client.get("/api/v1/me", headers=me).json["id"]
    notified(runtime)

    def change_email() -> int:
        answer = client.patch(
            "/api/v1/me", json={"email": email(), "current_password": PASSWORD}, headers=me
        ).status_code
        notified(runtime)  # a worker keeping up: a change it sees after the next one is not mailed
        return answer

    answers = [change_email() for _ in range(8)]
    assert answers == [200] * 5 + [429] * 3
    assert mails(runtime, person_id, "verify-email") == 1 + 5
    assert mails(runtime, person_id, "email-changed") == 5  # each address given up is told once
    refused = client.patch("/api/v1/me", json={"email": email(), "current_password": PASSWORD}, headers=me)
    assert refused.content_type == "application/problem+json" and int(refused.headers["Retry-After"]) > 0
    assert client.patch("/api/v1/me", json={"job_title": "Still allowed"}, headers=me).status_code == 200
    current = client.get("/api/v1/me", headers=me).json["email"]
    assert client.patch("/api/v1/me", json={"email": current.upper()}, headers=me).status_code == 200
    assert mails(runtime, person_id) == 1 + 5 + 5  # the same address again: no mail, no budget spent


def test_password_resets_to_one_address_are_limited_whether_or_not_it_is_registered(
    client: Any, runtime: Runtime
) -> None:
    registered, unknown = email(), email()
    assert sign_up(client, registered).status_code == 201

    def ask(address: str) -> int:  # buffered: the test client then closes the answer, as servers do
        return client.post("/api/v1/password-resets", json={"email": address}, buffered=True).status_code

    assert [ask(registered) for _ in range(5)] == [202, 202, 429, 429, 429]  # the sign-up mail spent one of three
    assert [ask(unknown) for _ in range(5)] == [202, 202, 202, 429, 429]
    assert mails(runtime, kind="reset-password") == 2


def test_sign_in_verification_and_reset_share_one_budget_per_client_address(pg_settings: Settings) -> None:
    rt = build_runtime(replace(pg_settings, sign_in_ip_limit="6/minute", sign_up_ip_limit="1000/minute"))
    try:
        client = create_app(runtime=rt).test_client()
        address = email()
        assert sign_up(client, address).status_code == 201
        sign_in = {"email": address, "password": PASSWORD}
        assert [client.post("/api/v1/sessions", json=sign_in).status_code for _ in range(3)] == [201] * 3
        bad_token = {"token": "x" * 40}
        assert [client.post("/api/v1/email-verifications", json=bad_token).status_code for _ in range(2)] == [422] * 2
        confirm = {**bad_token, "new_password": PASSWORD}
        assert client.post("/api/v1/password-resets/confirm", json=confirm).status_code == 422
        refused = client.post("/api/v1/password-resets", json={"email": email()})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert client.post("/api/v1/sessions", json=sign_in).status_code == 429
    finally:
        rt.close()


def test_a_reset_link_goes_to_the_accounts_own_address_not_the_one_typed(tmp_path: Path) -> None:
    """The letters "ß" and "ss" (and case) are one address to the lookup: the link must still go only to
    the address the account holds (found by a hostile review)."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/p.sqlite3", outbox_dir=str(tmp_path / "outbox"))
    initialise(settings)
    runtime = build_runtime(settings)
    try:
        client = create_app(runtime=runtime).test_client()
        body = {"name": "Jo", "email": "jo@grossmann.example.org", "organisation_code": "WGN", "password": PASSWORD}
        assert client.post("/api/v1/people", json=body).status_code == 201
        asked = client.post("/api/v1/password-resets", json={"email": "JO@großmann.example.org"}, buffered=True)
        assert asked.status_code == 202
        sent = [p.read_text() for p in (tmp_path / "outbox").glob("*.eml") if "reset-password?token=" in p.read_text()]
        assert len(sent) == 1 and "To: jo@grossmann.example.org" in sent[0]
    finally:
        runtime.close()


def test_wrong_current_passwords_behind_a_session_count_as_failed_sign_ins(client: Any) -> None:
    """A stolen session must not let anyone guess the password without limit (found by a
    hostile review): PUT /me/password and DELETE /me share the account's lockout."""
    me = signed_in(client, email())
    wrong = {"current_password": "not the password at all", "new_password": "a brand new passphrase"}
    answers = [client.put("/api/v1/me/password", json=wrong, headers=me).status_code for _ in range(5)]
    answers += [client.delete("/api/v1/me", json={"password": "still not it"}, headers=me).status_code]
    assert answers == [403] * 5 + [429]
    right = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    assert client.put("/api/v1/me/password", json=right, headers=me).status_code == 429  # locked for a while


def test_the_sign_up_mail_carries_no_text_the_signer_chose(client: Any, runtime: Runtime) -> None:
    """Whoever signs up types the address: the mail to it must not greet with their chosen name."""
    assert sign_up(client, email(), name="BUY CHEAP PILLS AT pills.example").status_code == 201
    notified(runtime)
    bodies = [r["body"] or "" for r in runtime.db.query("SELECT body FROM outbox WHERE kind = 'verify-email'")]
    assert bodies and not any("PILLS" in body for body in bodies)
