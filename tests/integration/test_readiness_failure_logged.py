"""A readiness check that fails answers 503 and leaves the failure in the log with its
traceback, so an operator can see where it came from, not only its message."""

from __future__ import annotations

import logging

import pytest

from web.api import operations
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def test_a_failed_readiness_check_answers_503_and_logs_the_traceback(
    sqlite_runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(rt: Runtime) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(operations, "_ready", broken)
    client = create_app(runtime=sqlite_runtime).test_client()
    with caplog.at_level(logging.WARNING, logger="web.api.operations"):
        answer = client.get("/readyz")
    assert answer.status_code == 503 and "OSError" in answer.json["detail"]
    (record,) = [r for r in caplog.records if r.name == "web.api.operations"]
    assert record.exc_info is not None and str(record.exc_info[1]) == "disk on fire"
