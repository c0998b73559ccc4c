"""The discussion on each project: comments and replies with every version of their text,
hidden ones with the moderator's reason, and the like and join messages taken in from the
original Pipeline (2014) as the first comments of their project, at their original times.

An imported message is read from the events the legacy importer already records: a like
(``Follow.Followed``) whose ``imported`` carries a ``comment``, a join
(``ContributionRequest.Requested`` with ``imported``) with a message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from domain.comment import Comment, HiddenMessage
from domain.interest import ContributionRequest, Follow
from domain.personal import FORMER_MEMBER
from projections.base import Projection, Reveal, Statement, handles, reads, timestamp
from projections.db import Reader

HIDDEN = "This comment was hidden by a moderator: {reason}"


class CommentsProjection(Projection):
    name = "comments"
    version = 2  # 2: a 2014 like's or join's message hidden by an operator (HiddenMessage.Hidden)
    tables = ("comments", "comment_versions")
    ddl = (
        """CREATE TABLE IF NOT EXISTS comments (
            id TEXT PRIMARY KEY, project_id TEXT NOT NULL, parent_id TEXT, thread_id TEXT,
            author_id TEXT NOT NULL, organisation_id TEXT, origin TEXT, body TEXT, mentions TEXT NOT NULL,
            posted_at TEXT NOT NULL, edited_at TEXT, versions INTEGER NOT NULL DEFAULT 1,
            hidden_reason TEXT, hidden_by TEXT, hidden_at TEXT,
            author_erased BOOLEAN NOT NULL DEFAULT FALSE, text_removed BOOLEAN NOT NULL DEFAULT FALSE)""",
        "CREATE INDEX IF NOT EXISTS comments_by_project ON comments (project_id, posted_at)",
        "CREATE INDEX IF NOT EXISTS comments_by_author ON comments (author_id)",
        """CREATE TABLE IF NOT EXISTS comment_versions (
            comment_id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT, written_at TEXT NOT NULL,
            PRIMARY KEY (comment_id, version))""",
    )

    @handles(Comment.Posted)
    def posted(self, event: Comment.Posted, reveal: Reveal) -> Iterator[Statement]:
        yield from _insert(
            event,
            project=event.project_id,
            author=event.author_id,
            org=event.organisation_id,
            body=reveal(event.author_id, event.body),  # None once the author is erased
            origin=None,
            parent=event.parent_id,
            thread=event.thread_id,
            mentions=event.mentions,
        )

    @handles(Comment.Edited)
    def edited(self, event: Comment.Edited, reveal: Reveal) -> Iterator[Statement]:
        params = {
            "id": str(event.originator_id),
            "body": reveal(event.actor, event.body),  # only the author edits
            "mentions": json.dumps(event.mentions),
            "at": timestamp(event.timestamp),
            "version": event.originator_version,  # edits come before any hiding or erasure: 2, 3, ...
        }
        yield Statement(
            "UPDATE comments SET body = :body, mentions = :mentions, edited_at = :at, versions = :version"
            " WHERE id = :id",
            params,
        )
        yield Statement(
            "INSERT INTO comment_versions (comment_id, version, body, written_at) VALUES (:id, :version, :body, :at)",
            params,
        )

    @handles(Comment.Hidden)
    def hidden(self, event: Comment.Hidden, reveal: Reveal) -> Iterator[Statement]:
        yield _hide(event.originator_id, event)

    @handles(HiddenMessage.Hidden)
    def message_hidden(self, event: HiddenMessage.Hidden, reveal: Reveal) -> Iterator[Statement]:
        """A message taken in from 2014, hidden as a comment is (its row has the message's id)."""
        yield _hide(event.message_id, event)

    @handles(Comment.Unhidden)
    def unhidden(self, event: Comment.Unhidden, reveal: Reveal) -> Iterator[Statement]:
        yield _show(event.originator_id)

    @handles(HiddenMessage.Unhidden, HiddenMessage.HiddenAgain)
    def message_unhidden(
        self, event: HiddenMessage.Unhidden | HiddenMessage.HiddenAgain, reveal: Reveal
    ) -> Iterator[Statement]:
        if isinstance(event, HiddenMessage.HiddenAgain):
            yield _hide(event.message_id, event)
        else:
            yield _show(event.message_id)

    @handles(Comment.AuthorErased)
    def author_erased(self, event: Comment.AuthorErased, reveal: Reveal) -> Iterator[Statement]:
        """Every version's text went with the author's key; the last one stays if it was kept
        (written out in this event). A rebuild, which never saw the text, ends the same."""
        params = {"id": str(event.originator_id), "body": event.body, "version": event.text_version}
        yield Statement("UPDATE comment_versions SET body = NULL WHERE comment_id = :id", params)
        if event.text_kept:
            yield Statement("UPDATE comments SET author_erased = TRUE, body = :body WHERE id = :id", params)
            yield Statement(
                "UPDATE comment_versions SET body = :body WHERE comment_id = :id AND version = :version", params
            )
            return
        yield Statement(
            "UPDATE comments SET author_erased = TRUE, text_removed = TRUE, body = NULL, mentions = '[]'"
            " WHERE id = :id",
            params,
        )

    @handles(Follow.Followed)
    def liked(self, event: Follow.Followed, reveal: Reveal) -> Iterator[Statement]:
        text = (event.imported or {}).get("comment")
        if text:
            yield from _insert(
                event, project=event.project_id, author=event.person_id, org=None, body=text, origin="like"
            )

    @handles(ContributionRequest.Requested)
    def joined(self, event: ContributionRequest.Requested, reveal: Reveal) -> Iterator[Statement]:
        if event.imported and event.message:
            org = event.organisation_id
            yield from _insert(
                event, project=event.project_id, author=event.person_id, org=org, body=event.message, origin="join"
            )


def _show(row_id: Any) -> Statement:
    """Un-hidden: the text reads again; the hiding and its reason stay in the comment's events."""
    return Statement(
        "UPDATE comments SET hidden_reason = NULL, hidden_by = NULL, hidden_at = NULL WHERE id = :id",
        {"id": str(row_id)},
    )


def _hide(row_id: Any, event: Comment.Hidden | HiddenMessage.Hidden | HiddenMessage.HiddenAgain) -> Statement:
    return Statement(
        "UPDATE comments SET hidden_reason = :reason, hidden_by = :by, hidden_at = :at WHERE id = :id",
        {"id": str(row_id), "reason": event.reason, "by": str(event.actor), "at": timestamp(event.timestamp)},
    )


def _insert(
    event: Any, *, project: Any, author: Any, org: Any, body: str | None, origin: str | None, **more: Any
) -> Iterator[Statement]:
    params = {
        "id": str(event.originator_id),
        "project": str(project),
        "author": str(author),
        "org": str(org) if org else None,
        "origin": origin,
        "body": body,
        "mentions": json.dumps(more.get("mentions") or []),
        "parent": str(more["parent"]) if more.get("parent") else None,
        "thread": str(more["thread"]) if more.get("thread") else None,
        "at": timestamp(event.timestamp),
    }
    yield Statement(
        "INSERT INTO comments (id, project_id, parent_id, thread_id, author_id, organisation_id, origin, body,"
        " mentions, posted_at) VALUES (:id, :project, :parent, :thread, :author, :org, :origin, :body, :mentions, :at)",
        params,
    )
    yield Statement(
        "INSERT INTO comment_versions (comment_id, version, body, written_at) VALUES (:id, 1, :body, :at)", params
    )


# ------------------------------------------------------------------ queries
SELECT = (
    "SELECT c.*, pe.name AS author_name, o.name AS organisation_name FROM comments c"
    " LEFT JOIN people pe ON pe.id = c.author_id"
    " LEFT JOIN organisations o ON o.id = COALESCE(c.organisation_id, pe.organisation_id)"
)


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """A row as people read it: "Former member" for an erased author, no text once hidden or removed."""
    row["author_erased"], row["text_removed"] = bool(row["author_erased"]), bool(row["text_removed"])
    row["mentions"] = json.loads(row["mentions"] or "[]")
    row["hidden"] = row["hidden_reason"] is not None
    if row["author_erased"] or not row.get("author_name"):
        row["author_name"] = FORMER_MEMBER
        row["organisation_name"] = row["organisation_name"] if row["organisation_id"] else None
    if row["hidden"]:
        row["body"], row["mentions"] = None, []
    return row


@reads("comments", "people", "organisations")
def project_comments(db: Reader, project_id: str, *, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    """The project's comments in thread order: each thread's first comment (oldest first), then
    its replies (oldest first). With ``limit``, only the threads ``offset`` to ``offset + limit``
    (a thread is never split across pages)."""
    window, params = "", dict[str, Any](id=project_id)
    if limit is not None:
        window = " LIMIT :limit OFFSET :offset"
        params.update(limit=limit, offset=offset)
    roots = db.query(
        SELECT + " WHERE c.project_id = :id AND c.thread_id IS NULL ORDER BY c.posted_at, c.id" + window, params
    )
    if not roots:
        return []
    ids = {f"t{i}": row["id"] for i, row in enumerate(roots)}
    replies: dict[str, list[dict[str, Any]]] = {}
    for row in db.query(
        SELECT + f" WHERE c.project_id = :id AND c.thread_id IN ({', '.join(':' + k for k in ids)})"
        " ORDER BY c.posted_at, c.id",
        {"id": project_id, **ids},
    ):
        replies.setdefault(row["thread_id"], []).append(shown(row))
    return [comment for root in roots for comment in (shown(root), *replies.get(root["id"], []))]


@reads("comments")
def thread_count(db: Reader, project_id: str) -> int:
    """How many threads the project's discussion has (what pages are counted in)."""
    rows = db.query(
        "SELECT COUNT(*) AS n FROM comments WHERE project_id = :id AND thread_id IS NULL", {"id": project_id}
    )
    return int(rows[0]["n"])


@reads("comments", "people", "organisations")
def comment(db: Reader, comment_id: str) -> dict[str, Any] | None:
    rows = db.query(SELECT + " WHERE c.id = :id", {"id": comment_id})
    return shown(rows[0]) if rows else None


@reads("comments")
def versions(db: Reader, comment_id: str) -> list[dict[str, Any]]:
    """Every version of the comment's text, oldest first (no text once removed)."""
    return db.query(
        "SELECT version, body, written_at FROM comment_versions WHERE comment_id = :id ORDER BY version",
        {"id": comment_id},
    )


@reads("comments", "people", "organisations")
def by_author(db: Reader, person_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """A person's comments, newest first (for their page); none once they are erased."""
    rows = db.query(
        SELECT + " WHERE c.author_id = :id AND c.author_erased = FALSE ORDER BY c.posted_at DESC, c.id LIMIT :limit",
        {"id": person_id, "limit": limit},
    )
    return [shown(r) for r in rows]
