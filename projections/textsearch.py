"""Ranked full-text search over projects: PostgreSQL's tsvector in production, SQLite's
FTS5 when embedded. The only other place, beside ``projections.db``, where the two
databases differ; the projection writes the same rows either way."""

from __future__ import annotations

import re
from typing import Any

# FTS5 rows are found by their rowid only (its other columns are not indexed), so
# ``projects_fts_rows`` keeps each project's rowid there: an edit deletes its old text by key
# instead of scanning every project's.
_FTS_INSERT = """INSERT INTO projects_fts (project_id, title, summary, description, tags)
        VALUES (new.id, new.title, new.summary, new.description, new.tags_text);
        INSERT OR REPLACE INTO projects_fts_rows (project_id, fts_rowid) VALUES (new.id, last_insert_rowid());"""
_FTS_DELETE = (
    """DELETE FROM projects_fts WHERE rowid = (SELECT fts_rowid FROM projects_fts_rows WHERE project_id = old.id);"""
)
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS projects_fts USING fts5("
    " project_id UNINDEXED, title, summary, description, tags, tokenize='porter unicode61')",
    "CREATE TABLE IF NOT EXISTS projects_fts_rows (project_id TEXT PRIMARY KEY, fts_rowid INTEGER NOT NULL)",
    f"""CREATE TRIGGER IF NOT EXISTS projects_fts_insert AFTER INSERT ON projects BEGIN
        {_FTS_INSERT} END""",
    f"""CREATE TRIGGER IF NOT EXISTS projects_fts_update AFTER UPDATE OF title, summary, description, tags_text
        ON projects BEGIN
        {_FTS_DELETE}
        {_FTS_INSERT} END""",
    f"""CREATE TRIGGER IF NOT EXISTS projects_fts_delete AFTER DELETE ON projects BEGIN
        {_FTS_DELETE}
        DELETE FROM projects_fts_rows WHERE project_id = old.id; END""",
)
POSTGRES_DDL = (
    """ALTER TABLE projects ADD COLUMN IF NOT EXISTS search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(summary, '') || ' ' || coalesce(tags_text, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(description, '')), 'C')) STORED""",
    "CREATE INDEX IF NOT EXISTS projects_search ON projects USING GIN (search)",
)


def ddl(dialect: str) -> tuple[str, ...]:
    return SQLITE_DDL if dialect == "sqlite" else POSTGRES_DDL


def extra_tables(dialect: str) -> tuple[str, ...]:
    return ("projects_fts", "projects_fts_rows") if dialect == "sqlite" else ()


def _fts5_query(text: str) -> str:
    """User text as an FTS5 query: every word must appear (as a prefix); no operators."""
    words = re.findall(r"\w+", text.casefold())
    return " ".join(f'"{w}"*' for w in words) or '""'


def match(dialect: str, text: str) -> tuple[str, str, str, dict[str, Any]]:
    """(join, where, rank, params) to filter ``projects p`` by ``text``, best first by ``rank`` DESC."""
    if dialect == "sqlite":
        join = "JOIN projects_fts f ON f.project_id = p.id"
        # bm25 is lower-is-better; weights title 10, summary 4, description 1, tags 6
        return join, "projects_fts MATCH :q", "-bm25(projects_fts, 0, 10.0, 4.0, 1.0, 6.0)", {"q": _fts5_query(text)}
    query = "websearch_to_tsquery('english', :q)"
    return "", f"p.search @@ {query}", f"ts_rank(p.search, {query})", {"q": text}
