"""What a person's page shows beyond the people directory: their projects, the pledges they
made for their organisation, what they follow and what they said. Queries only, over the projects and
organisations views (and the comments view); which of them a page shows is the person's choice (``people.shown``)."""

from __future__ import annotations

from typing import Any

from projections.base import reads
from projections.db import Reader
from projections.projects import pledge_row

ON_TEAM = "EXISTS (SELECT 1 FROM project_team t WHERE t.project_id = p.id AND t.person_id = :id)"
OWNER = "o.name AS organisation_name, o.code AS organisation_code"


@reads("projects", "organisations")
def projects_of(db: Reader, person_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """Live projects they proposed, are on the team of, or are the key contact for; latest first."""
    rows = db.query(
        f"SELECT p.id, p.title, p.phase, p.organisation_id, {OWNER}, p.updated_at,"
        f" p.proposer_id = :id AS proposed, p.key_contact_id = :id AS key_contact, {ON_TEAM} AS on_team"
        " FROM projects p JOIN organisations o ON o.id = p.organisation_id"
        f" WHERE p.archived = FALSE AND (p.proposer_id = :id OR p.key_contact_id = :id OR {ON_TEAM})"
        " ORDER BY p.updated_at DESC, p.id LIMIT :limit",
        {"id": person_id, "limit": limit},
    )
    return [_roles(dict(row)) for row in rows]


def _roles(row: dict[str, Any]) -> dict[str, Any]:
    roles = [role for role in ("proposed", "on_team", "key_contact") if row.pop(role)]
    return {**row, "roles": ["proposer" if r == "proposed" else "team" if r == "on_team" else r for r in roles]}


@reads("projects", "organisations")
def pledges_by(db: Reader, person_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The live pledges they made (or last amended) for their organisation; latest first."""
    rows = db.query(
        "SELECT pl.project_id, pl.organisation_id, pl.money_pence, pl.days_hundredths, pl.contributions,"
        f" pl.pledged_at, pl.updated_at, pr.title AS project_title, {OWNER}"
        " FROM project_pledges pl JOIN projects pr ON pr.id = pl.project_id"
        " JOIN organisations o ON o.id = pl.organisation_id"
        " WHERE pl.person_id = :id AND pr.archived = FALSE ORDER BY pl.updated_at DESC, pl.project_id LIMIT :limit",
        {"id": person_id, "limit": limit},
    )
    return [pledge_row(dict(row)) for row in rows]


@reads("comments", "projects", "organisations")
def comments_of(db: Reader, person_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """What they said on live projects (2014 messages included), newest first; not the
    comments an operator hid, none once they are erased."""
    return db.query(
        "SELECT c.id, c.project_id, p.title AS project_title, c.body, c.posted_at, c.edited_at, c.origin,"
        f" c.parent_id, p.organisation_id, {OWNER}"
        " FROM comments c JOIN projects p ON p.id = c.project_id JOIN organisations o ON o.id = p.organisation_id"
        " WHERE c.author_id = :id AND c.author_erased = FALSE AND c.hidden_reason IS NULL AND p.archived = FALSE"
        " ORDER BY c.posted_at DESC, c.id LIMIT :limit",
        {"id": person_id, "limit": limit},
    )


@reads("projects", "organisations")
def follows_of(db: Reader, person_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The live projects they follow, most recently followed first."""
    return db.query(
        f"SELECT p.id, p.title, p.phase, p.organisation_id, {OWNER}, f.since"
        " FROM project_followers f JOIN projects p ON p.id = f.project_id"
        " JOIN organisations o ON o.id = p.organisation_id"
        " WHERE f.person_id = :id AND p.archived = FALSE ORDER BY f.since DESC, p.id LIMIT :limit",
        {"id": person_id, "limit": limit},
    )
