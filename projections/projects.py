"""Projects directory: each project with its owner, phase, tags, team, follower and
need counts, live pledges and their totals, and its goal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from markdown_it import MarkdownIt

from domain.history import HistoryMark
from domain.interest import Follow, Need, StatusUpdate
from domain.project import EDITABLE, GOAL_OPEN, Project, count_contributions
from domain.reminders import ProjectNudge, ProjectWentQuiet
from projections import textsearch
from projections.base import Projection, Reveal, Statement, handles, reads, timestamp
from projections.context import FollowerContext
from projections.db import Reader
from projections.markdown_dialect import original_headings

_markdown = MarkdownIt("commonmark", {"html": False})  # raw HTML is escaped; unsafe link schemes refused


def render_markdown(text: str | None) -> str:
    """Project text as HTML, in the dialect of ``projections.markdown_dialect``."""
    return _markdown.render(original_headings(text or ""))


def pence(value: Any) -> int:
    return int((Decimal(str(value or 0)) * 100).to_integral_value())


# Every editable field has a column of its own, but for the lists stored as JSON.
DETAIL_COLUMNS = tuple(field for field in EDITABLE if field not in ("tags", "links"))


def _detail_columns(details: dict[str, Any]) -> dict[str, Any]:
    columns = {c: details.get(c) for c in DETAIL_COLUMNS if c in details}
    if "key_contact_id" in columns and columns["key_contact_id"] is not None:
        columns["key_contact_id"] = str(columns["key_contact_id"])
    if "description" in details:
        columns["description_html"] = render_markdown(details.get("description"))
    if "tags" in details:
        columns["tags"] = json.dumps(details.get("tags") or [])
        columns["tags_text"] = " ".join(details.get("tags") or [])
    if "links" in details:
        columns["links"] = json.dumps(details.get("links") or {})
    return columns


def _update(project_id: Any, at: str, **columns: Any) -> Statement:
    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    return Statement(
        f"UPDATE projects SET {assignments}, updated_at = :at WHERE id = :id",
        {**columns, "id": str(project_id), "at": at},
    )


def _tags(project_id: Any, tags: list[str]) -> Iterator[Statement]:
    yield Statement("DELETE FROM project_tags WHERE project_id = :id", {"id": str(project_id)})
    for tag in dict.fromkeys(tags):
        yield Statement(
            "INSERT INTO project_tags (project_id, tag) VALUES (:id, :tag)", {"id": str(project_id), "tag": tag}
        )


RECOUNT_PLEDGES = """UPDATE projects SET
    pledged_pence = (SELECT COALESCE(SUM(money_pence), 0) FROM project_pledges WHERE project_id = :id),
    pledged_days_hundredths = (SELECT COALESCE(SUM(days_hundredths), 0) FROM project_pledges WHERE project_id = :id),
    pledge_count = (SELECT COUNT(*) FROM project_pledges WHERE project_id = :id),
    partner_count = (SELECT COUNT(*) FROM project_pledges
                     WHERE project_id = :id AND organisation_id <> projects.organisation_id),
    updated_at = :at
  WHERE id = :id"""


# A sign of life: a status update, an edit, a phase change. The idle spell starts again, its
# nudges are forgotten and the project is no longer quiet. GREATEST, written portably: history
# written late (an import) never moves ``active_at`` back.
ACTIVE = (
    "UPDATE projects SET active_at = CASE WHEN active_at > :at THEN active_at ELSE :at END,"
    " nudges = 0, nudged_at = NULL, quiet = FALSE WHERE id = :id"
)
ACTIVE_BY_UPDATE = (
    "UPDATE projects SET active_at = CASE WHEN active_at > :at THEN active_at ELSE :at END,"
    " nudges = 0, nudged_at = NULL, quiet = FALSE"
    " WHERE id = (SELECT project_id FROM project_status_updates WHERE update_id = :update)"
)
POSTED = (
    "INSERT INTO project_status_updates (update_id, project_id) VALUES (:update, :project)"
    " ON CONFLICT (update_id) DO NOTHING"
)
# History (``domain.history``) arrives when its mark was written, not when it happened: a
# project taken in today is idle from today. The mark comes before the events it lists, so
# the floor is kept until the project's row exists.
HISTORY_FLOOR = (
    "INSERT INTO project_history_floor (project_id, at) VALUES (:id, :at) ON CONFLICT (project_id)"
    " DO UPDATE SET at = CASE WHEN project_history_floor.at > excluded.at"
    " THEN project_history_floor.at ELSE excluded.at END"
)
RAISE_TO_FLOOR = (
    "UPDATE projects SET active_at = (SELECT f.at FROM project_history_floor f WHERE f.project_id = projects.id),"
    " nudges = 0, nudged_at = NULL, quiet = FALSE"
    " WHERE id = :id AND active_at < (SELECT f.at FROM project_history_floor f WHERE f.project_id = :id)"
)
PROJECT_TOPIC = "domain.project:Project."
FOLLOWERS = "UPDATE projects SET follower_count = follower_count + :n WHERE id = :p"
RECOUNT_NEEDS = (
    "UPDATE projects SET need_count = (SELECT COUNT(*) FROM project_needs WHERE project_id = :p) WHERE id = :p"
)
# The parameter naming the project whose rows a statement touches (``ProjectsProjection.row_of``).
_PROJECT_KEYS = ("id", "p", "project")
# What each count statement is keyed by: the project whose row it changes.
_COUNTS = {FOLLOWERS: "p", RECOUNT_PLEDGES: "id", RECOUNT_NEEDS: "p"}


def counts_merged(statements: list[Statement]) -> list[Statement]:
    """A batch's count statements on each project's row as one, placed where its last one was: a
    busy project's counts are written once per batch, not once per follow or pledge. Follower
    changes add up; of several recounts only the last is kept, since it sees every change before
    it and sets everything the earlier ones set (its ``updated_at`` the latest of theirs). No
    other statement reads these columns, so moving them later changes no other row. A project's
    insert closes its merges: a count before the row exists still changes nothing."""
    out: list[Statement | None] = []
    open_at: dict[tuple[str, Any], int] = {}  # (count SQL, project id) -> index in ``out``
    for statement in statements:
        key = _COUNTS.get(statement.sql)
        if key is None:
            if statement.sql.startswith("INSERT INTO projects "):
                project = statement.params["id"]
                open_at = {k: i for k, i in open_at.items() if k[1] != project}
            out.append(statement)
            continue
        slot = (statement.sql, statement.params[key])
        at = open_at.get(slot)
        if at is not None:
            previous = out[at]
            out[at] = None
            if statement.sql == FOLLOWERS and previous is not None:
                statement = Statement(
                    FOLLOWERS, {**statement.params, "n": previous.params["n"] + statement.params["n"]}
                )
        open_at[slot] = len(out)
        out.append(statement)
    return [s for s in out if s is not None]


def corrections_placed(statements: list[Statement]) -> list[Statement]:
    """A correction's sign of life as a project's own (``ACTIVE``) when the update it corrects was
    posted in the same batch: the same change (the update's row names that project, and an
    update is posted once), but with its project known, so ``row_of`` can place it beside the
    project's other statements instead of in order with every statement of the batch."""
    posted: dict[str, str] = {}
    out = []
    for statement in statements:
        if statement.sql == POSTED:
            posted[statement.params["update"]] = statement.params["project"]
        elif statement.sql == ACTIVE_BY_UPDATE and statement.params["update"] in posted:
            statement = Statement(ACTIVE, {"id": posted[statement.params["update"]], "at": statement.params["at"]})
        out.append(statement)
    return out


class ProjectsProjection(Projection):
    name = "projects"
    # 2: indexes for the CSV's keyset pages and the open goals' deadlines; SQLite's full-text
    # rows found by key; PostgreSQL leaves room on each page for HOT updates of the counters
    # 3: active_at, nudges, nudged_at and quiet (issue 11's nudges), and the tables they need
    # 4: description_html renders headings written without a space (``##Plan``), as the original did;
    # also locked_reason (an operator's lock), and tag renames and restored fields applied
    version = 4
    # Its statements find rows by primary key (or its first columns) only: a rebuild's copy gets
    # its other indexes once full, and meanwhile an update of a row's counts or ``updated_at``
    # touches no index at all (PostgreSQL updates it in place) instead of a new entry in seven.
    indexes_after_fill = True
    tables = (
        "project_tags",
        "project_team",
        "project_pledges",
        "project_followers",
        "project_needs",
        "project_status_updates",
        "project_history_floor",
        "projects",
    )
    ddl = (
        """CREATE TABLE IF NOT EXISTS projects (
            id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL, proposer_id TEXT NOT NULL,
            title TEXT NOT NULL, summary TEXT, description TEXT, description_html TEXT,
            tags TEXT NOT NULL DEFAULT '[]', tags_text TEXT NOT NULL DEFAULT '', department TEXT,
            key_contact_id TEXT, phase TEXT NOT NULL, phase_start TEXT, phase_end TEXT,
            phase_dates_estimated BOOLEAN, budget_band TEXT, collaboration_level TEXT, next_assessment TEXT,
            links TEXT NOT NULL DEFAULT '{}', archived BOOLEAN NOT NULL DEFAULT FALSE,
            team_size INTEGER NOT NULL DEFAULT 1, follower_count INTEGER NOT NULL DEFAULT 0,
            need_count INTEGER NOT NULL DEFAULT 0,
            pledged_pence BIGINT NOT NULL DEFAULT 0, pledged_days_hundredths BIGINT NOT NULL DEFAULT 0,
            pledge_count INTEGER NOT NULL DEFAULT 0, partner_count INTEGER NOT NULL DEFAULT 0,
            goal_state TEXT NOT NULL DEFAULT 'none', goal_min_partners INTEGER, goal_pence BIGINT,
            goal_days_hundredths BIGINT, goal_deadline TEXT, goal_decided_at TEXT,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL, active_at TEXT,
            nudges INTEGER NOT NULL DEFAULT 0, nudged_at TEXT, quiet BOOLEAN NOT NULL DEFAULT FALSE,
            locked_reason TEXT)""",
        "CREATE INDEX IF NOT EXISTS projects_by_updated ON projects (updated_at, id)",
        "CREATE INDEX IF NOT EXISTS projects_by_organisation ON projects (organisation_id)",
        "CREATE INDEX IF NOT EXISTS projects_by_created ON projects (created_at, id)",  # the CSV's keyset pages
        "CREATE INDEX IF NOT EXISTS projects_open_goals ON projects (goal_deadline) WHERE goal_state = 'open'",
        "CREATE INDEX IF NOT EXISTS projects_idle ON projects (active_at) WHERE archived = FALSE",  # the nudge sweep
        "CREATE INDEX IF NOT EXISTS projects_quiet ON projects (updated_at, id) WHERE quiet = TRUE",
        "CREATE TABLE IF NOT EXISTS project_status_updates (update_id TEXT PRIMARY KEY, project_id TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS project_history_floor (project_id TEXT PRIMARY KEY, at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS project_tags (project_id TEXT NOT NULL, tag TEXT NOT NULL,"
        " PRIMARY KEY (project_id, tag))",
        "CREATE INDEX IF NOT EXISTS project_tags_by_tag ON project_tags (tag)",
        "CREATE TABLE IF NOT EXISTS project_team (project_id TEXT NOT NULL, person_id TEXT NOT NULL,"
        " organisation_id TEXT, joined_at TEXT NOT NULL, PRIMARY KEY (project_id, person_id))",
        """CREATE TABLE IF NOT EXISTS project_pledges (
            project_id TEXT NOT NULL, organisation_id TEXT NOT NULL, person_id TEXT NOT NULL,
            money_pence BIGINT NOT NULL, days_hundredths BIGINT NOT NULL, contributions TEXT NOT NULL,
            message TEXT, pledged_at TEXT NOT NULL, updated_at TEXT NOT NULL,
            PRIMARY KEY (project_id, organisation_id))""",
        "CREATE INDEX IF NOT EXISTS project_pledges_by_organisation ON project_pledges (organisation_id)",
        "CREATE TABLE IF NOT EXISTS project_followers (project_id TEXT NOT NULL, person_id TEXT NOT NULL,"
        " since TEXT NOT NULL, PRIMARY KEY (project_id, person_id))",
        "CREATE TABLE IF NOT EXISTS project_needs (project_id TEXT NOT NULL, organisation_id TEXT NOT NULL,"
        " comment TEXT, declared_at TEXT NOT NULL, PRIMARY KEY (project_id, organisation_id))",
    )

    def ddl_for(self, dialect: str) -> tuple[str, ...]:
        # A follow or a "we need this too" changes only a count, no indexed column: with room
        # left on the page PostgreSQL updates the row in place (HOT), without new index entries
        # (the search vector's GIN entries above all) and without leaving a dead row to vacuum.
        hot = ("ALTER TABLE projects SET (fillfactor = 70)",) if dialect == "postgres" else ()
        return self.ddl + hot + textsearch.ddl(dialect)

    def tables_for(self, dialect: str) -> tuple[str, ...]:
        return textsearch.extra_tables(dialect) + self.tables

    def batch(self, events: list[Any], reveal: Reveal, context: FollowerContext | None) -> list[Statement]:
        return counts_merged(corrections_placed(super().batch(events, reveal, context)))

    def row_of(self, statement: Statement) -> str | None:
        """The project whose rows a statement changes or reads (``projections.bulk.by_row``): every
        statement finds them by the project's id, under one of ``_PROJECT_KEYS``, so statements on
        different projects commute. None for a correction's sign of life, which finds its project
        through the update's row: it keeps its place in the log's order against every statement."""
        params = statement.params
        for name in _PROJECT_KEYS:
            if name in params:
                return params[name]
        return None

    # ---------------------------------------------------------------- project
    @handles(Project.Proposed)
    def proposed(self, event: Project.Proposed, reveal: Reveal) -> Iterator[Statement]:
        at = timestamp(event.timestamp)
        row = {
            "id": str(event.originator_id),
            "organisation_id": str(event.organisation_id),
            "proposer_id": str(event.proposer_id),
            "phase": event.phase,
            "created_at": at,
            "updated_at": at,
            "active_at": at,
            "title": event.details.get("title") or "",
            **_detail_columns(event.details),
        }
        columns = ", ".join(row)
        yield Statement(f"INSERT INTO projects ({columns}) VALUES ({', '.join(':' + c for c in row)})", row)
        yield Statement(RAISE_TO_FLOOR, {"id": row["id"]})
        yield from _tags(event.originator_id, event.details.get("tags") or [])
        yield Statement(
            "INSERT INTO project_team (project_id, person_id, organisation_id, joined_at)"
            " VALUES (:id, :person, :org, :at)",
            {
                "id": str(event.originator_id),
                "person": str(event.proposer_id),
                "org": str(event.organisation_id),
                "at": at,
            },
        )

    @handles(Project.Edited, Project.FieldRestored)
    def edited(self, event: Project.Edited | Project.FieldRestored, reveal: Reveal) -> Iterator[Statement]:
        new = {field: change["to"] for field, change in event.changes.items()}
        yield _update(event.originator_id, timestamp(event.timestamp), **_detail_columns(new))
        yield Statement(ACTIVE, {"id": str(event.originator_id), "at": timestamp(event.timestamp)})
        if "tags" in new:
            yield from _tags(event.originator_id, new["tags"] or [])

    @handles(Project.TagRenamed)
    def tag_renamed(self, event: Project.TagRenamed, reveal: Reveal) -> Iterator[Statement]:
        """An operator's renaming: not a sign of life, so neither updated_at nor active_at moves."""
        tags = event.changes["tags"]["to"] or []
        columns = _detail_columns({"tags": tags})
        assignments = ", ".join(f"{c} = :{c}" for c in columns)
        yield Statement(
            f"UPDATE projects SET {assignments} WHERE id = :id", {**columns, "id": str(event.originator_id)}
        )
        yield from _tags(event.originator_id, tags)

    @handles(Project.Locked, Project.Unlocked)
    def locked(self, event: Project.Locked | Project.Unlocked, reveal: Reveal) -> Iterator[Statement]:
        reason = event.reason if isinstance(event, Project.Locked) else None
        yield Statement(
            "UPDATE projects SET locked_reason = :reason WHERE id = :id",
            {"reason": reason, "id": str(event.originator_id)},
        )

    @handles(Project.PhaseChanged)
    def phase_changed(self, event: Project.PhaseChanged, reveal: Reveal) -> Iterator[Statement]:
        yield _update(event.originator_id, timestamp(event.timestamp), phase=event.phase)
        yield Statement(ACTIVE, {"id": str(event.originator_id), "at": timestamp(event.timestamp)})

    # ------------------------------------------------ signs of life, nudges
    @handles(StatusUpdate.Posted)
    def status_posted(self, event: StatusUpdate.Posted, reveal: Reveal) -> Iterator[Statement]:
        project = str(event.project_id)
        yield Statement(POSTED, {"update": str(event.originator_id), "project": project})
        yield Statement(ACTIVE, {"id": project, "at": timestamp(event.timestamp)})

    @handles(StatusUpdate.Corrected)
    def status_corrected(self, event: StatusUpdate.Corrected, reveal: Reveal) -> Iterator[Statement]:
        yield Statement(ACTIVE_BY_UPDATE, {"update": str(event.originator_id), "at": timestamp(event.timestamp)})

    @handles(ProjectNudge.Sent)
    def nudged(self, event: ProjectNudge.Sent, reveal: Reveal) -> Iterator[Statement]:
        """Counted only for the idle spell it was for: an update since started a new one."""
        yield Statement(
            "UPDATE projects SET nudges = :number, nudged_at = :at"
            " WHERE id = :id AND active_at = :idle AND nudges < :number",
            {
                "id": str(event.project_id),
                "number": int(event.number),
                "at": timestamp(event.timestamp),
                "idle": idle_since(event.idle_since),
            },
        )

    @handles(ProjectWentQuiet.Marked)
    def went_quiet(self, event: ProjectWentQuiet.Marked, reveal: Reveal) -> Iterator[Statement]:
        yield Statement(
            "UPDATE projects SET quiet = TRUE WHERE id = :id AND active_at = :idle",
            {"id": str(event.project_id), "idle": idle_since(event.idle_since)},
        )

    @handles(HistoryMark.Written)
    def history_written(self, event: HistoryMark.Written, reveal: Reveal) -> Iterator[Statement]:
        written_at = getattr(event, "written_at", None)  # marks of earlier versions lack it
        if not written_at:
            return
        at = timestamp(datetime.fromisoformat(written_at))
        for project in dict.fromkeys(str(i) for i, _v, topic in event.events if topic.startswith(PROJECT_TOPIC)):
            yield Statement(HISTORY_FLOOR, {"id": project, "at": at})
            yield Statement(RAISE_TO_FLOOR, {"id": project})

    @handles(Project.Archived, Project.Restored)
    def archived(self, event: Project.Archived | Project.Restored, reveal: Reveal) -> Iterator[Statement]:
        yield _update(event.originator_id, timestamp(event.timestamp), archived=isinstance(event, Project.Archived))

    @handles(Project.TeamMemberAdded)
    def team_member_added(self, event: Project.TeamMemberAdded, reveal: Reveal) -> Iterator[Statement]:
        at = timestamp(event.timestamp)
        yield Statement(
            "INSERT INTO project_team (project_id, person_id, organisation_id, joined_at)"
            " VALUES (:id, :person, :org, :at)",
            {
                "id": str(event.originator_id),
                "person": str(event.person_id),
                "org": str(event.organisation_id),
                "at": at,
            },
        )
        yield Statement(
            "UPDATE projects SET team_size = team_size + 1, updated_at = :at WHERE id = :id",
            {"id": str(event.originator_id), "at": at},
        )

    # ------------------------------------------------------------ goal, pledges
    @handles(Project.GoalSet)
    def goal_set(self, event: Project.GoalSet, reveal: Reveal) -> Iterator[Statement]:
        goal = event.goal
        yield _update(
            event.originator_id,
            timestamp(event.timestamp),
            goal_state=GOAL_OPEN,
            goal_min_partners=int(goal.get("min_partners") or 0),
            goal_pence=pence(goal.get("money")),
            goal_days_hundredths=pence(goal.get("days")),
            goal_deadline=goal["deadline"],
        )

    @handles(Project.GoalDecided)
    def goal_decided(self, event: Project.GoalDecided, reveal: Reveal) -> Iterator[Statement]:
        at = timestamp(event.timestamp)
        yield _update(event.originator_id, at, goal_state=event.outcome, goal_decided_at=at)

    @handles(Project.PledgeMade, Project.PledgeAmended)
    def pledged(self, event: Project.PledgeMade | Project.PledgeAmended, reveal: Reveal) -> Iterator[Statement]:
        at, pledge = timestamp(event.timestamp), event.pledge
        yield Statement(
            """INSERT INTO project_pledges (project_id, organisation_id, person_id, money_pence, days_hundredths,
                   contributions, message, pledged_at, updated_at)
               VALUES (:id, :org, :person, :money, :days, :contributions, :message, :at, :at)
               ON CONFLICT (project_id, organisation_id) DO UPDATE SET person_id = :person, money_pence = :money,
                   days_hundredths = :days, contributions = :contributions, message = :message, updated_at = :at""",
            {
                "id": str(event.originator_id),
                "org": str(event.organisation_id),
                "person": str(event.person_id),
                "money": pence(pledge.get("money")),
                "days": pence(pledge.get("days")),
                "contributions": json.dumps(pledge.get("contributions") or []),
                "message": pledge.get("message"),
                "at": at,
            },
        )
        yield Statement(RECOUNT_PLEDGES, {"id": str(event.originator_id), "at": at})

    @handles(Project.PledgeWithdrawn)
    def withdrawn(self, event: Project.PledgeWithdrawn, reveal: Reveal) -> Iterator[Statement]:
        at = timestamp(event.timestamp)
        yield Statement(
            "DELETE FROM project_pledges WHERE project_id = :id AND organisation_id = :org",
            {"id": str(event.originator_id), "org": str(event.organisation_id)},
        )
        yield Statement(RECOUNT_PLEDGES, {"id": str(event.originator_id), "at": at})

    # --------------------------------------------------------------- interest
    @handles(Follow.Followed, Follow.Refollowed)
    def followed(self, event: Follow.Followed | Follow.Refollowed, reveal: Reveal) -> Iterator[Statement]:
        at = timestamp(event.timestamp)
        project, person = _follow_keys(event)
        yield Statement(
            "INSERT INTO project_followers (project_id, person_id, since) VALUES (:p, :person, :at)",
            {"p": project, "person": person, "at": at},
        )
        yield Statement(FOLLOWERS, {"p": project, "n": 1})

    @handles(Follow.Unfollowed)
    def unfollowed(self, event: Follow.Unfollowed, reveal: Reveal) -> Iterator[Statement]:
        project, person = _follow_keys(event)
        yield Statement(
            "DELETE FROM project_followers WHERE project_id = :p AND person_id = :person",
            {"p": project, "person": person},
        )
        yield Statement(FOLLOWERS, {"p": project, "n": -1})

    @handles(Need.Declared, Need.Redeclared)
    def need_declared(self, event: Need.Declared | Need.Redeclared, reveal: Reveal) -> Iterator[Statement]:
        project, org = _need_keys(event)
        params = {"p": project, "org": org, "comment": event.comment, "at": timestamp(event.timestamp)}
        yield Statement("DELETE FROM project_needs WHERE project_id = :p AND organisation_id = :org", params)
        yield Statement(
            "INSERT INTO project_needs (project_id, organisation_id, comment, declared_at)"
            " VALUES (:p, :org, :comment, :at)",
            params,
        )
        yield Statement(RECOUNT_NEEDS, params)

    @handles(Need.Withdrawn)
    def need_withdrawn(self, event: Need.Withdrawn, reveal: Reveal) -> Iterator[Statement]:
        project, org = _need_keys(event)
        params = {"p": project, "org": org}
        yield Statement("DELETE FROM project_needs WHERE project_id = :p AND organisation_id = :org", params)
        yield Statement(RECOUNT_NEEDS, params)


def idle_since(value: str) -> str:
    """A nudge's ``idle_since`` (ISO) as the view keeps ``active_at``."""
    return timestamp(datetime.fromisoformat(value))


def _follow_keys(event: Follow.Followed | Follow.Refollowed | Follow.Unfollowed) -> tuple[str, str]:
    return str(event.project_id), str(event.person_id)


def _need_keys(event: Need.Declared | Need.Redeclared | Need.Withdrawn) -> tuple[str, str]:
    return str(event.project_id), str(event.organisation_id)


# ------------------------------------------------------------------ queries
SORTS = {
    "relevance": "rank DESC, p.updated_at DESC, p.id",
    "updated": "p.updated_at DESC, p.id",
    "created": "p.created_at DESC, p.id",
    "title": "p.title, p.id",
    "pledged": "p.pledged_pence DESC, p.updated_at DESC, p.id",
    "deadline": "CASE WHEN p.goal_deadline IS NULL THEN 1 ELSE 0 END, p.goal_deadline, p.id",
}
SELECT = (
    "SELECT p.*, o.code AS organisation_code, o.name AS organisation_name, o.kind AS organisation_kind,"
    " o.nation AS organisation_nation, o.region AS organisation_region"
)
FILTERS = {  # argument -> condition
    "phase": "p.phase = :phase",
    "organisation_id": "p.organisation_id = :organisation_id",
    "organisation_kind": "o.kind = :organisation_kind",
    "nation": "o.nation = :nation",
    "region": "o.region = :region",
    "collaboration_level": "p.collaboration_level = :collaboration_level",
    "budget_band": "p.budget_band = :budget_band",
    "goal_state": "p.goal_state = :goal_state",
    "quiet": "p.quiet = :quiet",
    "updated_since": "p.updated_at >= :updated_since",
    "updated_until": "p.updated_at <= :updated_until",
    "tag": "EXISTS (SELECT 1 FROM project_tags t WHERE t.project_id = p.id AND t.tag = :tag)",
}


def conditions(
    db: Reader, filters: dict[str, Any], include_archived: bool
) -> tuple[str, list[str], dict[str, Any], str]:
    """(join, where, params, rank) selecting ``projects p`` by ``q`` and the ``FILTERS``."""
    where: list[str] = []
    params: dict[str, Any] = {}
    join, rank = "", "0"
    if filters.get("q"):
        join, condition, rank, extra = textsearch.match(db.dialect, filters["q"])
        where.append(condition)
        params.update(extra)
    for name, condition in FILTERS.items():
        if filters.get(name) is not None:
            where.append(condition)
            params[name] = filters[name]
    if not include_archived:
        where.append("p.archived = FALSE")
    return join, where, params, rank


@reads("projects", "organisations")
def search(
    db: Reader, filters: dict[str, Any], *, sort: str, offset: int, limit: int, include_archived: bool = False
) -> list[dict[str, Any]]:
    join, where, params, rank = conditions(db, filters, include_archived)
    params.update(limit=limit, offset=offset)
    sql = (
        f"{SELECT}, {rank} AS rank FROM projects p JOIN organisations o ON o.id = p.organisation_id {join}"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY {SORTS[sort]} LIMIT :limit OFFSET :offset"
    )
    return [_row(r) for r in db.query(sql, params)]


@reads("projects", "organisations")
def count(db: Reader, filters: dict[str, Any], *, include_archived: bool = False) -> int:
    """How many projects ``search`` would find over all its pages."""
    join, where, params, _ = conditions(db, filters, include_archived)
    sql = f"SELECT COUNT(*) AS n FROM projects p JOIN organisations o ON o.id = p.organisation_id {join}" + (
        " WHERE " + " AND ".join(where) if where else ""
    )
    return int(db.query(sql, params)[0]["n"])


@reads("projects", "organisations")
def get(db: Reader, project_id: str) -> dict[str, Any] | None:
    rows = db.query(
        f"{SELECT} FROM projects p JOIN organisations o ON o.id = p.organisation_id WHERE p.id = :id",
        {"id": project_id},
    )
    return _row(rows[0]) if rows else None


@reads("projects", "people", "organisations")
def team(db: Reader, project_id: str) -> list[dict[str, Any]]:
    return db.query(
        "SELECT t.person_id, t.organisation_id, t.joined_at, pe.name, o.name AS organisation_name,"
        " o.code AS organisation_code FROM project_team t LEFT JOIN people pe ON pe.id = t.person_id"
        " LEFT JOIN organisations o ON o.id = t.organisation_id WHERE t.project_id = :id ORDER BY t.joined_at",
        {"id": project_id},
    )


@reads("projects", "organisations", "people")
def pledges(db: Reader, *, project_id: str | None = None, organisation_id: str | None = None) -> list[dict[str, Any]]:
    where = "pl.project_id = :id" if project_id else "pl.organisation_id = :id"
    rows = db.query(
        "SELECT pl.*, o.name AS organisation_name, o.code AS organisation_code, pe.name AS person_name,"
        f" pr.title AS project_title FROM project_pledges pl JOIN organisations o ON o.id = pl.organisation_id"
        f" LEFT JOIN people pe ON pe.id = pl.person_id JOIN projects pr ON pr.id = pl.project_id"
        f" WHERE {where} ORDER BY pl.pledged_at, pl.organisation_id",
        {"id": project_id or organisation_id},
    )
    return [pledge_row(row) for row in rows]


@reads("projects")
def contribution_counts(db: Reader, project_id: str) -> dict[str, int]:
    """How many live pledges name each kind of contribution, counted as ``Project.totals`` does."""
    rows = db.query("SELECT contributions FROM project_pledges WHERE project_id = :id", {"id": project_id})
    return count_contributions(json.loads(row["contributions"] or "[]") for row in rows)


def pledge_row(row: dict[str, Any]) -> dict[str, Any]:
    """A ``project_pledges`` row as the API shows it: exact decimal strings, contribution list."""
    row["contributions"] = json.loads(row["contributions"] or "[]")
    row["money"], row["days"] = from_hundredths(row["money_pence"]), from_hundredths(row["days_hundredths"])
    return row


@reads("projects", "people")
def followers(db: Reader, project_id: str) -> list[dict[str, Any]]:
    return db.query(
        "SELECT f.person_id, f.since, pe.name FROM project_followers f"
        " LEFT JOIN people pe ON pe.id = f.person_id WHERE f.project_id = :id ORDER BY f.since",
        {"id": project_id},
    )


@reads("projects", "organisations")
def needs(db: Reader, project_id: str) -> list[dict[str, Any]]:
    return db.query(
        "SELECT n.organisation_id, n.comment, n.declared_at, o.name AS organisation_name,"
        " o.code AS organisation_code FROM project_needs n JOIN organisations o"
        " ON o.id = n.organisation_id WHERE n.project_id = :id ORDER BY n.declared_at",
        {"id": project_id},
    )


def from_hundredths(value: Any) -> str:
    return str((Decimal(int(value or 0)) / 100).quantize(Decimal("0.01")))


def _row(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["tags"] = json.loads(row.get("tags") or "[]")
    row["links"] = json.loads(row.get("links") or "{}")
    for flag in ("archived", "phase_dates_estimated", "quiet"):
        row[flag] = None if row.get(flag) is None else bool(row[flag])
    row["pledged_money"] = from_hundredths(row["pledged_pence"])
    row["pledged_days"] = from_hundredths(row["pledged_days_hundredths"])
    row["goal"] = (
        None
        if row["goal_state"] == "none"
        else {
            "state": row["goal_state"],
            "min_partners": row["goal_min_partners"],
            "money": from_hundredths(row["goal_pence"]),
            "days": from_hundredths(row["goal_days_hundredths"]),
            "deadline": row["goal_deadline"],
            "decided_at": row["goal_decided_at"],
            "progress": progress(row),
        }
    )
    return row


def progress(row: dict[str, Any]) -> dict[str, int]:
    """Percent of each target reached (capped at 100), and overall: the least of them."""
    parts = {}
    for name, have, need in (
        ("partners", row["partner_count"], row["goal_min_partners"]),
        ("money", row["pledged_pence"], row["goal_pence"]),
        ("days", row["pledged_days_hundredths"], row["goal_days_hundredths"]),
    ):
        if need:
            parts[name] = min(100, int(100 * (have or 0) / need))
    return {**parts, "overall": min(parts.values(), default=100)}


@reads("projects")
def tagged(db: Reader, tag: str) -> list[str]:
    """Every project with the tag, archived ones too (an operator's rename reaches them all)."""
    return [row["project_id"] for row in db.query("SELECT project_id FROM project_tags WHERE tag = :tag", {"tag": tag})]
