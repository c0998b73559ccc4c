"""Emailed tokens are bound to the address they were sent to, also in databases made
before that was so (``pipeline init`` adds the column)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from workers.runtime.bootstrap import Runtime, build_runtime, initialise
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


def test_a_token_redeems_only_for_the_address_it_was_sent_to(any_runtime: Runtime) -> None:
    person_id, tokens = uuid.uuid4(), any_runtime.tokens
    token = tokens.issue("verify-email", person_id, "ann@example.gov.uk")
    assert tokens.redeem("verify-email", token, "eve@example.gov.uk") is None
    redeemed = tokens.redeem("verify-email", token, " ANN@example.gov.uk")  # the same address, normalised
    assert redeemed is not None and redeemed.person_id == person_id
    assert tokens.redeem("verify-email", token, "ann@example.gov.uk") is None  # once only


def test_init_adds_the_binding_to_a_database_made_before_it(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:  # account_tokens as it was made before tokens were bound
        old.execute(
            "CREATE TABLE account_tokens (token_hash TEXT PRIMARY KEY, purpose TEXT NOT NULL,"
            " person_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT)"
        )
    old.close()
    settings = Settings(database_url=f"sqlite:///{path}", outbox_dir=str(tmp_path / "outbox"))
    initialise(settings)
    runtime = build_runtime(settings)
    try:
        person_id = uuid.uuid4()
        token = runtime.tokens.issue("verify-email", person_id, "new@example.gov.uk")
        redeemed = runtime.tokens.redeem("verify-email", token, "new@example.gov.uk")
        assert redeemed is not None and redeemed.person_id == person_id
    finally:
        runtime.close()
