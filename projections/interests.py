"""Interests, found by term: the tags and words each person chose to hear about
(``NotificationPreferences``), and each live project's tags and significant title words.
The notifier asks it, when a project is proposed, who declared an interest in any of its
terms and which other organisations' projects share them, without loading every person or
project. ``terms`` (in ``domain.notifications``) is the one definition of a "significant
word" (used here, by the notifier's policy and to refuse an interest word that could never
match, so every side of a match is cut the same way).

It keeps an erased person's rows (what the log holds in plain anyway): it follows no
person event, so an erasure never has the notifier wait for it, and the notifier's policy
tells nobody erased."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from domain.notifications import STOPWORDS, NotificationPreferences, stem, terms
from domain.project import Project
from domain.tags import TagAlias
from projections.base import Projection, Reveal, Statement, handles, reads, timestamp
from projections.db import Reader

TAG, WORD = "tag", "word"
__all__ = ["STOPWORDS", "InterestsProjection", "stem", "terms"]  # terms and stem live in the domain
TAG_WEIGHT, WORD_WEIGHT = 2, 1  # a shared tag says more than a shared title word
MAX_KEYS = 2000  # terms asked about at once (a long description is cut, not refused)


class InterestsProjection(Projection):
    name = "interests"
    # 2: an operator's tag renames apply to the tags people chose (interest_tag_aliases)
    version = 2
    tables = ("interest_terms", "interest_people", "project_terms", "interest_projects", "interest_tag_aliases")
    ddl = (
        # each renamed tag and what it is called now (``new`` is the end of any chain of renames)
        "CREATE TABLE IF NOT EXISTS interest_tag_aliases (id TEXT PRIMARY KEY, old TEXT NOT NULL,"
        " new TEXT NOT NULL, active BOOLEAN NOT NULL)",
        "CREATE TABLE IF NOT EXISTS interest_people (preferences_id TEXT PRIMARY KEY, person_id TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS interest_people_by_person ON interest_people (person_id)",
        "CREATE TABLE IF NOT EXISTS interest_terms (preferences_id TEXT NOT NULL, kind TEXT NOT NULL,"
        " term TEXT NOT NULL, term_key TEXT NOT NULL, PRIMARY KEY (preferences_id, kind, term))",
        "CREATE INDEX IF NOT EXISTS interest_terms_by_key ON interest_terms (term_key)",
        "CREATE TABLE IF NOT EXISTS interest_projects (project_id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL,"
        " proposed_at TEXT NOT NULL, archived BOOLEAN NOT NULL DEFAULT FALSE)",
        "CREATE TABLE IF NOT EXISTS project_terms (project_id TEXT NOT NULL, kind TEXT NOT NULL,"
        " term_key TEXT NOT NULL, PRIMARY KEY (project_id, kind, term_key))",
        "CREATE INDEX IF NOT EXISTS project_terms_by_key ON project_terms (term_key)",
    )

    # ----------------------------------------------------------- people
    @handles(NotificationPreferences.Chosen)
    def chosen(self, event: NotificationPreferences.Chosen, reveal: Reveal) -> Iterator[Statement]:
        yield Statement(
            "INSERT INTO interest_people (preferences_id, person_id) VALUES (:id, :person)"
            " ON CONFLICT (preferences_id) DO NOTHING",
            {"id": str(event.originator_id), "person": str(event.person_id)},
        )
        yield from _declared(str(event.originator_id), event.tags, event.words)

    @handles(NotificationPreferences.Changed)
    def changed(self, event: NotificationPreferences.Changed, reveal: Reveal) -> Iterator[Statement]:
        yield from _declared(str(event.originator_id), event.tags, event.words)

    # ---------------------------------------------------------- projects
    @handles(Project.Proposed)
    def proposed(self, event: Project.Proposed, reveal: Reveal) -> Iterator[Statement]:
        project = str(event.originator_id)
        yield Statement(
            "INSERT INTO interest_projects (project_id, organisation_id, proposed_at) VALUES (:id, :org, :at)",
            {"id": project, "org": str(event.organisation_id), "at": timestamp(event.timestamp)},
        )
        yield from _project_terms(project, TAG, event.details.get("tags") or ())
        yield from _project_terms(project, WORD, terms(event.details.get("title")))

    @handles(Project.Edited, Project.FieldRestored, Project.TagRenamed)
    def edited(
        self, event: Project.Edited | Project.FieldRestored | Project.TagRenamed, reveal: Reveal
    ) -> Iterator[Statement]:
        project = str(event.originator_id)
        for field, kind in (("tags", TAG), ("title", WORD)):
            if field in event.changes:
                new = event.changes[field]["to"]
                yield Statement(
                    "DELETE FROM project_terms WHERE project_id = :id AND kind = :kind", {"id": project, "kind": kind}
                )
                yield from _project_terms(project, kind, (new or ()) if kind == TAG else terms(new))

    # ------------------------------------------------------ tag renames
    @handles(TagAlias.Renamed, TagAlias.Repointed)
    def tag_renamed(self, event: TagAlias.Renamed | TagAlias.Repointed, reveal: Reveal) -> Iterator[Statement]:
        """A person's chosen tag (``term``) is matched under what it is called now (``term_key``)."""
        alias, new = str(event.originator_id), event.new
        if isinstance(event, TagAlias.Renamed):
            yield Statement(
                "INSERT INTO interest_tag_aliases (id, old, new, active) VALUES (:id, :old, :new, TRUE)",
                {"id": alias, "old": event.old, "new": new},
            )
        else:
            yield Statement(
                "UPDATE interest_tag_aliases SET new = :new, active = TRUE WHERE id = :id", {"id": alias, "new": new}
            )
        old = "(SELECT old FROM interest_tag_aliases WHERE id = :id)"
        yield Statement(f"UPDATE interest_tag_aliases SET new = :new WHERE new = {old}", {"id": alias, "new": new})
        yield Statement(
            f"UPDATE interest_terms SET term_key = :new WHERE kind = '{TAG}' AND (term_key = {old} OR term = {old})",
            {"id": alias, "new": new},
        )

    @handles(TagAlias.Retired)
    def tag_retired(self, event: TagAlias.Retired, reveal: Reveal) -> Iterator[Statement]:
        """The old name is a tag of its own again: those who chose it are matched by it."""
        alias = {"id": str(event.originator_id)}
        yield Statement("UPDATE interest_tag_aliases SET active = FALSE WHERE id = :id", alias)
        old = "(SELECT old FROM interest_tag_aliases WHERE id = :id)"
        yield Statement(f"UPDATE interest_terms SET term_key = {old} WHERE kind = '{TAG}' AND term = {old}", alias)

    @handles(Project.Archived, Project.Restored)
    def archived(self, event: Project.Archived | Project.Restored, reveal: Reveal) -> Iterator[Statement]:
        yield Statement(
            "UPDATE interest_projects SET archived = :archived WHERE project_id = :id",
            {"id": str(event.originator_id), "archived": isinstance(event, Project.Archived)},
        )


def _declared(preferences: str, tags: Iterable[str], words: Iterable[str]) -> Iterator[Statement]:
    yield Statement("DELETE FROM interest_terms WHERE preferences_id = :id", {"id": preferences})
    chosen = {(TAG, tag, tag) for tag in tags} | {(WORD, word, stem(word)) for word in words}
    for kind, term, key in sorted(chosen):
        renamed = "(SELECT a.new FROM interest_tag_aliases a WHERE a.old = :term AND a.active = TRUE)"
        yield Statement(
            "INSERT INTO interest_terms (preferences_id, kind, term, term_key)"
            f" VALUES (:id, :kind, :term, {f'COALESCE({renamed}, :key)' if kind == TAG else ':key'})",
            {"id": preferences, "kind": kind, "term": term, "key": key},
        )


def _project_terms(project: str, kind: str, keys: Iterable[str]) -> Iterator[Statement]:
    for key in sorted(set(keys)):
        yield Statement(
            "INSERT INTO project_terms (project_id, kind, term_key) VALUES (:id, :kind, :key)"
            " ON CONFLICT (project_id, kind, term_key) DO NOTHING",
            {"id": project, "kind": kind, "key": key},
        )


# ------------------------------------------------------------------ queries
def _in(prefix: str, values: Iterable[str]) -> tuple[str, dict[str, str]]:
    """``(:p0, :p1, ...)`` and its parameters, for at most ``MAX_KEYS`` values."""
    chosen = sorted(set(values))[:MAX_KEYS]
    params = {f"{prefix}{i}": value for i, value in enumerate(chosen)}
    return "(" + ", ".join(f":{name}" for name in params) + ")", params


def _matching(tags: Iterable[str], words: Iterable[str]) -> tuple[str, dict[str, str]] | None:
    """``(kind = 'tag' AND term_key IN tags) OR (kind = 'word' AND term_key IN words)``."""
    clauses, params = [], {}
    for kind, prefix, keys in ((TAG, "t", tags), (WORD, "w", words)):
        marks, found = _in(prefix, keys)
        if found:
            clauses.append(f"(x.kind = '{kind}' AND x.term_key IN {marks})")
            params.update(found)
    return (" OR ".join(clauses), params) if clauses else None


@reads("interests")
def people_interested(db: Reader, tags: Iterable[str], words: Iterable[str]) -> list[tuple[str, str, str]]:
    """(person id, kind, term as they chose it) for each declared tag among ``tags`` and each
    declared word whose stem is among ``words``."""
    matching = _matching(tags, words)
    if matching is None:
        return []
    where, params = matching
    rows = db.query(
        "SELECT p.person_id, x.kind, x.term FROM interest_terms x JOIN interest_people p"
        f" ON p.preferences_id = x.preferences_id WHERE {where} ORDER BY p.person_id, x.kind, x.term",
        params,
    )
    return [(r["person_id"], r["kind"], r["term"]) for r in rows]


@reads("interests")
def projects_resembling(
    db: Reader,
    project_id: str,
    organisation_id: str,
    tags: Iterable[str],
    words: Iterable[str],
    limit: int,
    before: datetime,
) -> list[str]:
    """Other organisations' live projects proposed ``before`` (the new one: the view may
    already show later ones) sharing tags or title words with these, best first (a tag
    counts ``TAG_WEIGHT``, a word ``WORD_WEIGHT``)."""
    matching = _matching(tags, words)
    if matching is None:
        return []
    where, params = matching
    rows = db.query(
        f"SELECT x.project_id, SUM(CASE WHEN x.kind = '{TAG}' THEN {TAG_WEIGHT} ELSE {WORD_WEIGHT} END) AS score"
        " FROM project_terms x JOIN interest_projects p ON p.project_id = x.project_id"
        f" WHERE ({where}) AND p.project_id <> :id AND p.organisation_id <> :org AND p.archived = FALSE"
        " AND p.proposed_at < :before GROUP BY x.project_id ORDER BY score DESC, x.project_id LIMIT :limit",
        {**params, "id": project_id, "org": organisation_id, "limit": limit, "before": timestamp(before)},
    )
    return [r["project_id"] for r in rows]
