"""What the account tests share (their fixtures are in conftest.py): sign-up over HTTP,
and the links mailed to an address (as the person would click them), whether the mail
was sent (embedded: a .eml file) or waits in the outbox (production without a worker)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PASSWORD
from workers.runtime.bootstrap import Runtime, build_runtime

ROOMY = {
    "mail_recipient_limit": "1000/minute",
    "mail_account_limit": "1000/minute",
    "sign_in_ip_limit": "1000/minute",
    "sign_up_ip_limit": "1000/minute",
}


def roomy_runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime in the mode ``request.param`` names (sqlite or pg) with its own outbox folder
    and roomy mail limits: for a fixture to yield from."""
    base = request.getfixturevalue(f"{request.param}_settings")
    runtime = build_runtime(dataclasses.replace(base, outbox_dir=str(tmp_path / "outbox"), **ROOMY))
    yield runtime
    runtime.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_up(client: Any, address: str, code: str = "WGN") -> tuple[uuid.UUID, dict[str, str]]:
    answer = client.post(
        "/api/v1/people",
        json={"name": "Pat Tester", "email": address, "organisation_code": code, "password": PASSWORD},
    )
    assert answer.status_code == 201, answer.json
    return uuid.UUID(answer.json["id"]), sign_in(client, address)


def sign_in(client: Any, address: str, password: str = PASSWORD) -> dict[str, str]:
    answer = client.post("/api/v1/sessions", json={"email": address, "password": password})
    assert answer.status_code == 201, answer.json
    return bearer(answer.json["token"])


def links(rt: Runtime, address: str, path: str) -> set[str]:
    """The tokens of every ``/path?token=`` link mailed to ``address`` so far (the notifier is
    caught up first: in production mode no worker runs in these tests)."""
    rt.catch_up()
    texts = [
        str(r["body"])
        for r in rt.db.query("SELECT body FROM outbox WHERE recipient = :to AND body IS NOT NULL", {"to": address})
    ]
    folder = Path(rt.settings.outbox_dir)
    texts += [p.read_text() for p in folder.glob("*.eml") if f"To: {address}" in p.read_text()]
    marker = f"/{path}?token="
    return {text.split(marker, 1)[1].split()[0] for text in texts if marker in text}


def new_link(rt: Runtime, address: str, path: str, before: set[str]) -> str:
    (token,) = links(rt, address, path) - before
    return token


def change_email(client: Any, me: dict[str, str], address: str, password: str = PASSWORD) -> Any:
    return client.patch("/api/v1/me", json={"email": address, "current_password": password}, headers=me)
