"""A runtime in either mode with its own outbox folder and roomy mail limits, and its client."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from web.app import create_app
from workers.bootstrap import Runtime, build_runtime

ROOMY = {
    "mail_recipient_limit": "1000/minute",
    "mail_account_limit": "1000/minute",
    "sign_in_ip_limit": "1000/minute",
    "sign_up_ip_limit": "1000/minute",
}


@pytest.fixture(params=["sqlite", "pg"])
def rt(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """Embedded (SQLite, inline) or production (PostgreSQL, RQ with no worker running)."""
    base = request.getfixturevalue(f"{request.param}_settings")
    runtime = build_runtime(dataclasses.replace(base, outbox_dir=str(tmp_path / "outbox"), **ROOMY))
    yield runtime
    runtime.close()


@pytest.fixture
def client(rt: Runtime) -> Any:
    return create_app(runtime=rt).test_client()
