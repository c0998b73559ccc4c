"""Read-only queries across the project read models: tags, calendar, stats, similar
projects, the CSV export and per-organisation views. They read the projects,
organisations and people tables and write nothing; money and person-days stay exact
integer hundredths until they are turned into decimal strings here."""

from __future__ import annotations

import copy
import json
import re
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from domain.organisation import KINDS
from domain.project import PHASES
from projections import projects
from projections.base import reads
from projections.db import Reader
from projections.projects import from_hundredths

ORG = "o.id AS org_id, o.code AS org_code, o.name AS org_name, o.kind AS org_kind"


def _organisation(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["org_id"], "code": row["org_code"], "name": row["org_name"], "kind": row["org_kind"]}


# ------------------------------------------------------------------ cache
T = TypeVar("T")


class ByPosition:
    """Answers computed from whole views, kept until one of those views moves: the key is
    each view's (position, version), read before the answer is computed, so an answer kept
    under a key is never older than the key says (a write applied meanwhile only makes it
    newer, and the next read sees the moved position and computes again). A reader that
    waited for ``min_position`` therefore never gets an answer from before that position."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._computing = threading.Lock()
        self._kept: weakref.WeakKeyDictionary[Any, dict[str, tuple[Any, Any]]] = weakref.WeakKeyDictionary()

    def get(self, db: Reader, owner: Any, name: str, views: tuple[str, ...], compute: Callable[[], T]) -> T:
        marks = ", ".join(f":v{i}" for i in range(len(views)))
        rows = db.query(
            f"SELECT name, position, version FROM projection_positions WHERE name IN ({marks})",
            {f"v{i}": view for i, view in enumerate(views)},
        )
        key = tuple(sorted((r["name"], int(r["position"]), int(r["version"])) for r in rows))
        kept = self._kept_for(owner, name, key)
        if kept is None:
            with self._computing:  # one computes, the others wait for its answer, not queue the same scan
                kept = self._kept_for(owner, name, key)
                if kept is None:
                    kept = compute()
                    with self._lock:
                        self._kept.setdefault(owner, {})[name] = (key, kept)
        return copy.deepcopy(kept)

    def _kept_for(self, owner: Any, name: str, key: Any) -> Any:
        with self._lock:
            kept = self._kept.setdefault(owner, {}).get(name)
        return kept[1] if kept is not None and kept[0] == key else None


CACHE = ByPosition()


# ------------------------------------------------------------------- tags
@reads("projects")
def tags(db: Reader, owner: Any = None) -> list[dict[str, Any]]:
    """``compute_tags``, kept per ``owner`` (the database) until the projects view moves."""
    if owner is None:
        return compute_tags(db)
    return CACHE.get(db, owner, "tags", ("projects",), lambda: compute_tags(db))


@reads("projects")
def compute_tags(db: Reader) -> list[dict[str, Any]]:
    """Every tag of a live (non-archived) project, most used first, ties by tag."""
    rows = db.query(
        "SELECT t.tag, COUNT(*) AS project_count FROM project_tags t"
        " JOIN projects p ON p.id = t.project_id WHERE p.archived = FALSE GROUP BY t.tag"
    )
    rows = [{"tag": r["tag"], "project_count": int(r["project_count"])} for r in rows]
    return sorted(rows, key=lambda r: (-r["project_count"], r["tag"]))  # same order in both dialects


# --------------------------------------------------------------- calendar
def _index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def shift(month: str, by: int) -> str:
    """The YYYY-MM month ``by`` months after ``month``."""
    year, number = divmod(_index(month) + by, 12)
    return f"{year:04d}-{number + 1:02d}"


def months(first: str, last: str) -> list[str]:
    """The months from ``first`` to ``last`` inclusive, as YYYY-MM."""
    return [shift(first, i) for i in range(_index(last) - _index(first) + 1)]


@reads("projects", "organisations")
def calendar(db: Reader, first: str, last: str) -> list[dict[str, Any]]:
    """Per month: live projects whose phase (phase_start..phase_end; one date alone counts
    as that day) overlaps it, and goal deadlines falling in it."""
    span = months(first, last)
    bounds = {"first": f"{first}-01", "after": f"{shift(last, 1)}-01"}
    phases = db.query(
        f"SELECT p.id, p.title, p.phase, p.phase_start, p.phase_end, p.phase_dates_estimated, {ORG}"
        " FROM projects p JOIN organisations o ON o.id = p.organisation_id WHERE p.archived = FALSE"
        " AND COALESCE(p.phase_start, p.phase_end) < :after AND COALESCE(p.phase_end, p.phase_start) >= :first"
        " ORDER BY COALESCE(p.phase_start, p.phase_end), p.title, p.id",
        bounds,
    )
    deadlines = db.query(
        f"SELECT p.id, p.title, p.goal_deadline AS deadline, p.goal_state, {ORG}"
        " FROM projects p JOIN organisations o ON o.id = p.organisation_id WHERE p.archived = FALSE"
        " AND p.goal_state <> 'none' AND p.goal_deadline >= :first AND p.goal_deadline < :after"
        " ORDER BY p.goal_deadline, p.id",
        bounds,
    )
    calendar_months: dict[str, dict[str, Any]] = {m: {"month": m, "projects": [], "deadlines": []} for m in span}
    for row in phases:
        start, end = (row["phase_start"] or row["phase_end"])[:7], (row["phase_end"] or row["phase_start"])[:7]
        entry = {k: row[k] for k in ("id", "title", "phase", "phase_start", "phase_end")}
        entry["phase_dates_estimated"] = (
            None if row["phase_dates_estimated"] is None else bool(row["phase_dates_estimated"])
        )
        entry["organisation"] = _organisation(row)
        for month in span:
            if start <= month <= end:
                calendar_months[month]["projects"].append(entry)
    for row in deadlines:
        entry = {k: row[k] for k in ("id", "title", "deadline", "goal_state")}
        calendar_months[row["deadline"][:7]]["deadlines"].append({**entry, "organisation": _organisation(row)})
    return list(calendar_months.values())


# ---------------------------------------------------------------- similar
_WORD = re.compile(r"[^\W_]+")
_STOP = frozenset(
    {
        "the",
        "and",
        "for",
        "with",
        "from",
        "into",
        "our",
        "your",
        "that",
        "this",
        "are",
        "was",
        "were",
        "will",
        "can",
        "its",
        "not",
        "all",
        "new",
        "out",
        "how",
        "who",
        "what",
        "use",
        "using",
        "online",
        "service",
        "services",
        "council",
        "councils",
    }
)


def words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if len(w) > 2 and w not in _STOP}


@reads("projects", "organisations")
def similar(db: Reader, project_id: str, limit: int) -> list[dict[str, Any]] | None:
    """Other live projects, ranked by tags shared (first) then word overlap (Jaccard) of
    title and summary; None when there is no such project. ``score`` is the count of shared
    tags plus half the overlap, so one shared tag always outweighs any wording."""
    target = projects.get(db, project_id)
    if target is None:
        return None
    own_tags, own_words = set(target["tags"]), words(f"{target['title']} {target['summary'] or ''}")
    ranked = []
    for row in db.query(
        "SELECT id, title, summary, tags FROM projects WHERE archived = FALSE AND id <> :id", {"id": project_id}
    ):
        shared = sorted(own_tags & set(json.loads(row["tags"] or "[]")))
        theirs = words(f"{row['title']} {row['summary'] or ''}")
        overlap = len(own_words & theirs) / len(own_words | theirs) if own_words and theirs else 0.0
        if shared or overlap:
            ranked.append((-len(shared), -overlap, row["id"], shared, overlap))
    out = []
    for _, _, other_id, shared, overlap in sorted(ranked)[:limit]:
        other = projects.get(db, other_id)
        if other is not None:
            out.append(
                {
                    **other,
                    "shared_tags": shared,
                    "text_similarity": round(overlap, 4),
                    "score": round(len(shared) + overlap / 2, 4),
                }
            )
    return out


# ----------------------------------------------------------------- export
EXPORT_COLUMNS = (
    "id",
    "title",
    "summary",
    "description",
    "organisation_id",
    "organisation_code",
    "organisation_name",
    "organisation_kind",
    "department",
    "phase",
    "phase_start",
    "phase_end",
    "phase_dates_estimated",
    "budget_band",
    "collaboration_level",
    "next_assessment",
    "tags",
    "link_prototype",
    "link_repository",
    "link_blog",
    "key_contact_id",
    "archived",
    "quiet",
    "active_at",
    "team_size",
    "follower_count",
    "need_count",
    "pledge_count",
    "partner_count",
    "pledged_money",
    "pledged_days",
    "goal_state",
    "goal_min_partners",
    "goal_money",
    "goal_days",
    "goal_deadline",
    "goal_decided_at",
    "created_at",
    "updated_at",
)


def _record(row: dict[str, Any]) -> dict[str, Any]:
    links = json.loads(row["links"] or "{}")
    has_goal = row["goal_state"] != "none"
    record = {c: row.get(c) for c in EXPORT_COLUMNS}
    record.update(
        tags="; ".join(json.loads(row["tags"] or "[]")),
        link_prototype=links.get("prototype"),
        link_repository=links.get("repository"),
        link_blog=links.get("blog"),
        pledged_money=from_hundredths(row["pledged_pence"]),
        pledged_days=from_hundredths(row["pledged_days_hundredths"]),
        goal_money=from_hundredths(row["goal_pence"]) if has_goal else None,
        goal_days=from_hundredths(row["goal_days_hundredths"]) if has_goal else None,
    )
    for flag in ("archived", "phase_dates_estimated", "quiet"):
        record[flag] = None if row[flag] is None else bool(row[flag])
    return record


@reads("projects", "organisations")
def export_batches(
    db: Reader, filters: dict[str, Any], *, include_archived: bool = False, size: int = 500
) -> Iterator[list[dict[str, Any]]]:
    """Every project passing the ``projects.FILTERS`` (and ``q``), oldest first, in batches
    read by keyset so a long export never holds one query open."""
    join, where, params, _rank = projects.conditions(db, filters, include_archived)
    params["limit"] = size
    sql = f"{projects.SELECT} FROM projects p JOIN organisations o ON o.id = p.organisation_id {join} WHERE "
    first = sql + " AND ".join([*where, "TRUE"]) + " ORDER BY p.created_at, p.id LIMIT :limit"
    more = sql + " AND ".join([*where, "(p.created_at, p.id) > (:at, :id)"])  # a row value: one index range
    rows = db.query(first, params)
    while True:
        yield [_record(r) for r in rows]
        if len(rows) < size:
            return
        rows = db.query(
            more + " ORDER BY p.created_at, p.id LIMIT :limit",
            {**params, "at": rows[-1]["created_at"], "id": rows[-1]["id"]},
        )


# ------------------------------------------------------------------ stats
STATS_VIEWS = ("organisations", "projects", "people")


@reads(*STATS_VIEWS)
def stats(db: Reader, now: str, owner: Any = None) -> dict[str, Any]:
    """Home-page figures; projects, pledges and goals count live (non-archived) projects only.
    With an ``owner`` (the database), the figures that change only with the views are kept until
    one of them moves; the goals awaiting a decision depend on ``now`` as well, and are counted
    every time (an index on open goals' deadlines keeps that cheap)."""
    figures = _figures(db) if owner is None else CACHE.get(db, owner, "stats", STATS_VIEWS, lambda: _figures(db))
    figures["goals"]["awaiting_decision"] = _awaiting_decision(db, now)
    return figures


def _awaiting_decision(db: Reader, now: str) -> int:
    return int(
        db.query(
            "SELECT COUNT(*) AS n FROM projects"
            " WHERE goal_state = 'open' AND goal_deadline <= :now AND archived = FALSE",
            {"now": now},
        )[0]["n"]
    )


def _figures(db: Reader) -> dict[str, Any]:
    kinds = {k: 0 for k in KINDS}
    for r in db.query("SELECT kind, COUNT(*) AS n FROM organisations WHERE member_count > 0 GROUP BY kind"):
        kinds[r["kind"]] = int(r["n"])
    phases = {p: 0 for p in PHASES}
    for r in db.query("SELECT phase, COUNT(*) AS n FROM projects WHERE archived = FALSE GROUP BY phase"):
        phases[r["phase"]] = int(r["n"])
    goals = {"open": 0, "met": 0, "missed": 0}
    for r in db.query(
        "SELECT goal_state, COUNT(*) AS n FROM projects WHERE archived = FALSE"
        " AND goal_state <> 'none' GROUP BY goal_state"
    ):
        goals[r["goal_state"]] = int(r["n"])
    pledged = db.query(
        "SELECT COALESCE(SUM(pl.money_pence), 0) AS money, COALESCE(SUM(pl.days_hundredths), 0) AS days,"
        " COUNT(*) AS n, COUNT(DISTINCT pl.organisation_id) AS orgs FROM project_pledges pl"
        " JOIN projects p ON p.id = pl.project_id WHERE p.archived = FALSE"
    )[0]
    people = db.query("SELECT COUNT(*) AS n FROM people WHERE erased = FALSE")[0]["n"]
    return {
        "organisations": {"with_members": sum(kinds.values()), "by_kind": kinds},
        "people": int(people),
        "projects": {"total": sum(phases.values()), "by_phase": phases},
        "pledges": {
            "money": from_hundredths(pledged["money"]),
            "days": from_hundredths(pledged["days"]),
            "count": int(pledged["n"]),
            "organisations": int(pledged["orgs"]),
        },
        "goals": goals,
    }


# ---------------------------------------------------------- organisations
@reads("projects", "organisations", "people")
def organisation_pledges(
    db: Reader, organisation_id: str, *, offset: int, limit: int, include_archived: bool = False
) -> list[dict[str, Any]]:
    """Live pledges the organisation made to other organisations' projects, newest first."""
    rows = db.query(
        f"SELECT pl.*, pr.title AS project_title, pr.phase AS project_phase, pr.goal_state AS project_goal_state,"
        f" pr.archived AS project_archived, pe.name AS person_name, {ORG} FROM project_pledges pl"
        " JOIN projects pr ON pr.id = pl.project_id JOIN organisations o ON o.id = pr.organisation_id"
        " LEFT JOIN people pe ON pe.id = pl.person_id WHERE pl.organisation_id = :org AND pr.organisation_id <> :org"
        + ("" if include_archived else " AND pr.archived = FALSE")
        + " ORDER BY pl.pledged_at DESC, pl.project_id LIMIT :limit OFFSET :offset",
        {"org": organisation_id, "limit": limit, "offset": offset},
    )
    for row in rows:
        projects.pledge_row(row)
        row["project_archived"] = bool(row["project_archived"])
        row["project_organisation"] = _organisation(row)
    return rows


@reads("people")
def organisation_people(db: Reader, organisation_id: str, *, offset: int, limit: int) -> list[dict[str, Any]]:
    """Current members (accepted, not erased; pending people are not members yet): id and name
    only, oldest sign-up first."""
    return db.query(
        "SELECT id, name FROM people WHERE organisation_id = :org AND membership = 'member' AND erased = FALSE"
        " ORDER BY signed_up_at, id LIMIT :limit OFFSET :offset",
        {"org": organisation_id, "limit": limit, "offset": offset},
    )
