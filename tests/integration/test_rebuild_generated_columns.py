"""On PostgreSQL a rebuild fills the projects' copy without its stored search vector (computed
again on every update of a row) and adds it once the copy is full: after the switch the column
is there, searches find what they found before, and the view equals its log."""

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
