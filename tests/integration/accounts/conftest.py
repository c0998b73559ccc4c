"""A runtime in either mode with its own outbox folder and roomy mail limits, and its client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.accounts.helpers import roomy_runtime
from web.app import create_app
from workers.runtime.bootstrap import Runtime


@pytest.fixture(params=["sqlite", "pg"])
def rt(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """Embedded (SQLite, inline) or production (PostgreSQL, RQ with no worker running)."""
    yield from roomy_runtime(request, tmp_path)


@pytest.fixture
def client(rt: Runtime) -> Any:
    return create_app(runtime=rt).test_client()
