"""A worker's catch-up writes its batches set-wise, as a rebuild does (``projections.bulk``),
and the live view still ends equal to what the log makes (``verify``), on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from projections import db as read_db
from projections import runner, verify
from projections.registry import get
from tests.factories import bulk_sign_ups
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def copied_tables(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tables rows go into by ``copy_rows`` (COPY on PostgreSQL, one executemany on SQLite)."""
    tables: list[str] = []
    for tx_class in (read_db._PostgresTx, read_db._SQLiteTx):
        real = tx_class.copy_rows

        def spy(self: Any, table: str, *args: Any, _real: Any = real) -> None:
            tables.append(table)
            _real(self, table, *args)

        monkeypatch.setattr(tx_class, "copy_rows", spy)
    return tables


def test_a_worker_applies_a_batch_of_new_rows_in_one_piece(
    any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = bulk_sign_ups(any_runtime.app, 60)
    tables = copied_tables(monkeypatch)
    runner.catch_up(any_runtime.app, any_runtime.db, get("activity"), batch_size=500)
    assert runner.position(any_runtime.db, "activity") == head
    assert tables == ["activity"]  # the batch's 60 rows in one piece, not 60 inserts
    assert any_runtime.db.query("SELECT COUNT(*) AS n FROM activity WHERE type = 'person.signed_up'")[0]["n"] == 60
    check = verify.verify(any_runtime.app, any_runtime.db, get("activity"), advance=lambda n: None)
    assert check.identical, check.tables


def test_a_view_far_behind_catches_up_in_fewer_bigger_batches(any_runtime: Runtime) -> None:
    head = bulk_sign_ups(any_runtime.app, 1000)  # 2,000 events behind, four batches of 500
    batches: list[int] = []
    runner.catch_up(any_runtime.app, any_runtime.db, get("people"), batch_size=500, progress=batches.append)
    assert runner.position(any_runtime.db, "people") == head
    assert len(batches) == 1
    assert any_runtime.db.query("SELECT COUNT(*) AS n FROM people")[0]["n"] == 1000
