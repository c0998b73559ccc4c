"""On PostgreSQL a rebuild fills the projects' copy without what its statements never use and
every update of a row would pay for: its stored search vector (computed again on each update)
and its indexes other than primary keys. Both come once the copy is full: after the switch the
column and every index are there as before, searches find what they found, and the view equals
its log."""

from __future__ import annotations

import pytest

from projections import beside, projects, rebuilds, verify
from projections.registry import get
from tests.integration.test_rebuild_one_pass import story
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def columns(rt: Runtime, table: str) -> list[str]:
    rows = rt.db.query(
        "SELECT column_name AS name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = :t ORDER BY ordinal_position",
        {"t": table},
    )
    return [r["name"] for r in rows]


def test_a_rebuilt_projects_view_gets_its_search_vector_after_the_fill(pg_runtime: Runtime) -> None:
    rt = pg_runtime
    head = story(rt)
    live = get("projects")
    before = [p["id"] for p in projects.search(rt.db, {"q": "bins"}, sort="title", offset=0, limit=50)]
    assert before
    copy, _ = rebuilds.open_copy(rt.db, live, beside.REBUILD)
    assert "search" not in columns(rt, "rebuild_projects")
    assert rebuilds.rebuild_all(rt.app, rt.db, [live]) == {"projects": head}
    assert columns(rt, "projects")[-1] == "search"  # where `pipeline init` puts it, last
    after = [p["id"] for p in projects.search(rt.db, {"q": "bins"}, sort="title", offset=0, limit=50)]
    assert after == before
    check = verify.verify(rt.app, rt.db, live, advance=lambda n: None)
    assert check.identical, check.tables


def indexes(rt: Runtime, prefix: str = "") -> dict[str, str]:
    """The projects view's indexes by name and definition, ``prefix`` taken off both."""
    tables = [prefix + t for t in get("projects").tables_for("postgres")]
    rows = rt.db.query(
        "SELECT indexname AS name, indexdef AS sql FROM pg_indexes"
        " WHERE schemaname = current_schema() AND tablename = ANY(:tables)",
        {"tables": tables},
    )
    return {r["name"].removeprefix(prefix): r["sql"].replace(prefix, "") for r in rows}


def test_a_rebuilt_projects_view_is_filled_with_primary_keys_only_and_indexed_after(pg_runtime: Runtime) -> None:
    rt = pg_runtime
    head = story(rt)
    live = get("projects")
    before = indexes(rt)
    assert "projects_by_updated" in before and "project_tags_by_tag" in before
    rebuilds.open_copy(rt.db, live, beside.REBUILD)
    filling = indexes(rt, beside.REBUILD)
    assert filling and all(name.endswith("_pkey") for name in filling)
    assert rebuilds.rebuild_all(rt.app, rt.db, [live]) == {"projects": head}
    assert indexes(rt) == before
