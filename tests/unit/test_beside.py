"""A view's copy writes only to its own tables: every name the view creates is prefixed in its
DDL and statements, and nothing else in the SQL changes."""

from __future__ import annotations

import re

import pytest

from projections import beside
from projections.registry import all_projections
from workers.runtime import follow


def test_the_renamer_leaves_parameters_literals_and_columns_alone() -> None:
    rename = beside.Renamer({"people", "activity", "projects_fts"}, "rebuild_")
    sql = (
        "INSERT INTO people (id, kind) VALUES (:people, 'people') "
        "ON CONFLICT (id) DO UPDATE SET n = people.n + 1, m = x.people; DELETE FROM projects_fts"
    )
    assert rename(sql) == (
        "INSERT INTO rebuild_people (id, kind) VALUES (:people, 'people') "
        "ON CONFLICT (id) DO UPDATE SET n = rebuild_people.n + 1, m = x.people; DELETE FROM rebuild_projects_fts"
    )


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
@pytest.mark.parametrize("view", [f for f in follow.all_followers() if not f.starts_at_head], ids=lambda f: f.name)
def test_a_copy_creates_only_prefixed_names(view: beside.Projection, dialect: str) -> None:
    copy = beside.beside(view, beside.REBUILD)
    made = {m.group(1) for sql in copy.ddl_for(dialect) for m in beside._CREATED.finditer(sql)}
    assert made and all(name.startswith("rebuild_") for name in made)
    assert set(copy.tables_for(dialect)) == {f"rebuild_{t}" for t in view.tables_for(dialect)}
    live = beside.created_names(view)
    for sql in copy.ddl_for(dialect):
        words = set(re.findall(r"(?<![\w:.])\w+", re.sub(r"'[^']*'", "", sql)))
        assert not words & live, f"a live name left in {sql}"


def test_no_column_shares_a_name_with_a_table_of_its_view() -> None:
    """The renamer would rename such a column too; the copy would then differ from the view."""
    for view in all_projections():
        names = beside.created_names(view)
        for sql in view.ddl_for("sqlite") + view.ddl_for("postgres"):
            body = sql.split("(", 1)[1] if sql.lstrip().upper().startswith("CREATE TABLE") else ""
            columns = {line.strip().split()[0] for line in re.split(r",", body) if line.strip()}
            assert not columns & names, f"{view.name}: column(s) {columns & names} named like a table"
