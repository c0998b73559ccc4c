"""The project list's region filter finds a region's organisations by an index, not a scan."""

from __future__ import annotations

import pytest

from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def plan(runtime: Runtime) -> str:
    sql = "SELECT id FROM organisations WHERE region = :region"
    with runtime.db.transaction() as tx:
        if runtime.db.dialect == "postgres":
            tx.execute("SET LOCAL enable_seqscan = off")  # a few hundred rows: show what it may use
            rows = tx.query("EXPLAIN " + sql, {"region": "London"})
        else:
            rows = tx.query("EXPLAIN QUERY PLAN " + sql, {"region": "London"})
    return "\n".join(str(value) for row in rows for value in row.values())


def test_organisations_in_a_region_are_found_by_an_index(any_runtime: Runtime) -> None:
    assert "organisations_by_region" in plan(any_runtime)
