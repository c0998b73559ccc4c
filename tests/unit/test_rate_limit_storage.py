"""Rate-limit counters when their storage fails: counted in memory meanwhile, the failure
logged with its traceback, and the storage tried again once the dead time has passed."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from web.http.limits import DEAD_STORAGE_SECONDS, Counters


class Storage:
    """Stands in for Flask-Limiter's strategy: refuses while ``down``, counts the calls it gets."""

    def __init__(self) -> None:
        self.down, self.calls = True, 0

    def hit(self, limit: Any, key: str) -> bool:
        self.calls += 1
        if self.down:
            raise ConnectionError("storage refused the connection")
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Limiter:
    def __init__(self, storage: Storage) -> None:
        self.limiter = storage


def test_a_storage_failure_is_logged_with_its_traceback_and_counting_moves_to_memory(
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage, clock = Storage(), Clock()
    counters = Counters(Limiter(storage), "test", enabled=True, clock=clock)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="web.http.limits"):
        counters.hit("2/minute", "someone")
    (record,) = caplog.records
    assert record.exc_info is not None and "storage refused" in str(record.exc_info[1])
    assert counters.wait_seconds("2/minute", "someone") == 0
    counters.hit("2/minute", "someone")
    assert counters.wait_seconds("2/minute", "someone") > 0  # the limit held, counted in memory
    assert storage.calls == 1  # the dead storage is left alone meanwhile


def test_the_storage_is_tried_again_once_the_dead_time_has_passed() -> None:
    storage, clock = Storage(), Clock()
    counters = Counters(Limiter(storage), "test", enabled=True, clock=clock)  # type: ignore[arg-type]
    counters.hit("5/minute", "someone")
    storage.down = False
    clock.now += DEAD_STORAGE_SECONDS - 0.1
    counters.hit("5/minute", "someone")
    assert storage.calls == 1
    clock.now += 0.2
    counters.hit("5/minute", "someone")
    assert storage.calls == 2
