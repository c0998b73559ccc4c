"""Status updates (newest first, with their revision count) and contribution requests
(with their decision), per project."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from domain.interest import ContributionRequest, StatusUpdate
from projections.base import Projection, Reveal, Statement, handles, reads, timestamp
from projections.db import Reader


class ProjectUpdatesProjection(Projection):
    name = "project_updates"
    # 2: contribution requests withdrawn (a join taken back between two files of the original),
    # and hidden_reason (an operator hid the update)
    version = 2
    indexes_after_fill = True  # its statements find rows by primary key only
    tables = ("status_updates", "contribution_requests")
    ddl = (
        """CREATE TABLE IF NOT EXISTS status_updates (
            id TEXT PRIMARY KEY, project_id TEXT NOT NULL, author_id TEXT NOT NULL, body TEXT NOT NULL,
            posted_at TEXT NOT NULL, revised_at TEXT, revisions INTEGER NOT NULL DEFAULT 1,
            retracted BOOLEAN NOT NULL DEFAULT FALSE, hidden_reason TEXT)""",
        "CREATE INDEX IF NOT EXISTS status_updates_by_project ON status_updates (project_id, posted_at)",
        """CREATE TABLE IF NOT EXISTS contribution_requests (
            id TEXT PRIMARY KEY, project_id TEXT NOT NULL, person_id TEXT NOT NULL, organisation_id TEXT NOT NULL,
            message TEXT, requested_at TEXT NOT NULL, decision TEXT, decided_at TEXT, decided_by TEXT,
            reason TEXT)""",
        "CREATE INDEX IF NOT EXISTS contribution_requests_by_project ON contribution_requests (project_id)",
    )

    @handles(StatusUpdate.Posted)
    def posted(self, event: StatusUpdate.Posted, reveal: Reveal) -> Iterator[Statement]:
        yield Statement(
            "INSERT INTO status_updates (id, project_id, author_id, body, posted_at)"
            " VALUES (:id, :project, :author, :body, :at)",
            {
                "id": str(event.originator_id),
                "project": str(event.project_id),
                "author": str(event.author_id),
                "body": event.body,
                "at": timestamp(event.timestamp),
            },
        )

    @handles(StatusUpdate.Corrected)
    def corrected(self, event: StatusUpdate.Corrected, reveal: Reveal) -> Iterator[Statement]:
        yield Statement(
            "UPDATE status_updates SET body = :body, revised_at = :at, revisions = revisions + 1 WHERE id = :id",
            {"id": str(event.originator_id), "body": event.body, "at": timestamp(event.timestamp)},
        )

    @handles(StatusUpdate.Retracted)
    def retracted(self, event: StatusUpdate.Retracted, reveal: Reveal) -> Iterator[Statement]:
        yield Statement(
            "UPDATE status_updates SET retracted = TRUE, revised_at = :at WHERE id = :id",
            {"id": str(event.originator_id), "at": timestamp(event.timestamp)},
        )

    @handles(StatusUpdate.Hidden, StatusUpdate.Unhidden)
    def hidden(self, event: StatusUpdate.Hidden | StatusUpdate.Unhidden, reveal: Reveal) -> Iterator[Statement]:
        reason = event.reason if isinstance(event, StatusUpdate.Hidden) else None  # un-hidden: listed again
        yield Statement(
            "UPDATE status_updates SET hidden_reason = :reason WHERE id = :id",
            {"id": str(event.originator_id), "reason": reason},
        )

    @handles(ContributionRequest.Requested)
    def requested(self, event: ContributionRequest.Requested, reveal: Reveal) -> Iterator[Statement]:
        yield Statement(
            "INSERT INTO contribution_requests (id, project_id, person_id, organisation_id, message, requested_at)"
            " VALUES (:id, :project, :person, :org, :message, :at)",
            {
                "id": str(event.originator_id),
                "project": str(event.project_id),
                "person": str(event.person_id),
                "org": str(event.organisation_id),
                "message": event.message,
                "at": timestamp(event.timestamp),
            },
        )

    @handles(ContributionRequest.Approved, ContributionRequest.Declined)
    def decided(
        self, event: ContributionRequest.Approved | ContributionRequest.Declined, reveal: Reveal
    ) -> Iterator[Statement]:
        yield Statement(
            "UPDATE contribution_requests SET decision = :decision, decided_at = :at, decided_by = :by,"
            " reason = :reason WHERE id = :id",
            {
                "id": str(event.originator_id),
                "decision": "declined" if isinstance(event, ContributionRequest.Declined) else "approved",
                "at": timestamp(event.timestamp),
                "by": str(event.actor),
                "reason": event.reason if isinstance(event, ContributionRequest.Declined) else None,
            },
        )

    @handles(ContributionRequest.Withdrawn)
    def withdrawn(self, event: ContributionRequest.Withdrawn, reveal: Reveal) -> Iterator[Statement]:
        yield Statement(
            "UPDATE contribution_requests SET decision = 'withdrawn', decided_at = :at, decided_by = :by,"
            " reason = :reason WHERE id = :id",
            {"id": str(event.originator_id), "at": timestamp(event.timestamp), "by": str(event.actor),
             "reason": event.reason},
        )  # fmt: skip


# ------------------------------------------------------------------ queries
@reads("project_updates", "people")
def status_updates(
    db: Reader,
    project_id: str,
    *,
    limit: int = 50,
    include_retracted: bool = False,
    after: Sequence[str] | None = None,
) -> list[dict]:
    """Newest first (ties by id); ``after`` is the (posted_at, id) of the last one already seen."""
    params: dict[str, Any] = {"id": project_id, "limit": limit}
    if after is not None:
        params["at"], params["after_id"] = after
    sql = (
        "SELECT s.*, pe.name AS author_name FROM status_updates s LEFT JOIN people pe ON pe.id = s.author_id"
        " WHERE s.project_id = :id"
        + ("" if include_retracted else " AND s.retracted = FALSE AND s.hidden_reason IS NULL")
        + ("" if after is None else " AND (s.posted_at < :at OR (s.posted_at = :at AND s.id > :after_id))")
        + " ORDER BY s.posted_at DESC, s.id LIMIT :limit"
    )
    rows = db.query(sql, params)
    for row in rows:
        row["retracted"] = bool(row["retracted"])
    return rows


@reads("project_updates", "people", "organisations")
def contribution_requests(db: Reader, project_id: str) -> list[dict]:
    return db.query(
        "SELECT c.*, pe.name AS person_name, o.name AS organisation_name FROM contribution_requests c"
        " LEFT JOIN people pe ON pe.id = c.person_id LEFT JOIN organisations o"
        " ON o.id = c.organisation_id WHERE c.project_id = :id ORDER BY c.requested_at",
        {"id": project_id},
    )
