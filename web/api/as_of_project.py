"""A project as it was at a moment, in the shape of ``GET /projects/{id}``: the project
aggregate at that time, and the follows, needs and status updates around it (their ids
from the activity view, their state from the event store).

Null at a past time: ``goal.decided_at``, the ``joined_at`` of team members other
than the proposer (the aggregate keeps neither; the history endpoint has both), and
``active_at`` and ``quiet`` (the nudges' view of the present only)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.errors import NotFound
from domain.interest import Follow, Need, StatusUpdate
from domain.organisation import Organisation
from domain.project import EDITABLE, Project
from domain.timetravel import state_at, state_or_none
from projections import related
from projections.base import timestamp
from projections.projects import pence, progress, render_markdown
from web.api.as_of import name_of, summary
from web.api.common import runtime

LATEST_UPDATES = 5  # as the current answer shows


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def _goal(project: Project, totals: dict[str, Any]) -> dict[str, Any] | None:
    goal = project.goal
    if not goal:
        return None
    counts = {
        "partner_count": totals["partners"],
        "pledged_pence": pence(totals["money"]),
        "pledged_days_hundredths": pence(totals["days"]),
        "goal_min_partners": int(goal.get("min_partners") or 0),
        "goal_pence": pence(goal.get("money")),
        "goal_days_hundredths": pence(goal.get("days")),
    }
    return {
        "state": project.goal_state,
        "min_partners": counts["goal_min_partners"],
        "money": _money(Decimal(str(goal.get("money") or 0))),
        "days": _money(Decimal(str(goal.get("days") or 0))),
        "deadline": goal["deadline"],
        "decided_at": None,
        "progress": progress(counts),
    }


def _around(project_id: UUID, moment: datetime) -> list[Any]:
    """The follows, needs and status updates of the project, as they were then."""
    app = runtime().app
    ids = related.around_project(runtime().db, str(project_id))
    found = (state_or_none(app, aggregate_id, moment) for aggregate_id in sorted(ids))
    return [aggregate for aggregate in found if aggregate is not None]


def _update(update: StatusUpdate) -> dict[str, Any]:
    return {
        "id": update.id,
        "project_id": update.project_id,
        "author_id": update.author_id,
        "author_name": name_of(update.author_id),
        "body": update.body,
        "posted_at": timestamp(update.created_on),
        "revised_at": timestamp(update.modified_on) if update.version > 1 else None,
        "revisions": int(update.version),
        "retracted": False,
    }


def _team(project: Project, moment: datetime) -> list[dict[str, Any]]:
    app, team = runtime().app, []
    for person_id in project.team:
        org_id = project.joined_team_from(person_id)
        org = state_or_none(app, org_id, moment) if org_id else None
        team.append(
            {
                "person_id": person_id,
                "name": name_of(person_id),
                "organisation_id": org_id,
                "organisation_name": org.name if isinstance(org, Organisation) else None,
                "joined_at": timestamp(project.created_on) if person_id == project.proposer_id else None,
            }
        )
    return team


def _hidden_now(update: StatusUpdate) -> bool:
    """An operator's hiding holds for every moment: a past view does not show it either."""
    return bool(runtime().app.repository.get(update.id).hidden)


def project(project_id: UUID, moment: datetime) -> dict[str, Any]:
    app = runtime().app
    then = state_at(app, project_id, moment)
    if not isinstance(then, Project):
        raise NotFound(f"No project with id {project_id}.")
    details, totals = then.details, then.totals()
    around = _around(project_id, moment)
    updates = sorted(
        (a for a in around if isinstance(a, StatusUpdate) and not a.retracted and not _hidden_now(a)),
        key=lambda u: (u.created_on, str(u.id)),
        reverse=True,
    )
    org = state_or_none(app, then.organisation_id, moment)
    return {
        **{field: details.get(field) for field in EDITABLE if field not in ("tags", "links")},
        "id": then.id,
        "title": details.get("title") or "",
        "organisation": summary(org if isinstance(org, Organisation) else None, then.organisation_id),
        "phase": then.phase,
        "tags": list(details.get("tags") or []),
        "links": dict(details.get("links") or {}),
        "description_html": render_markdown(details.get("description")) if "description" in details else None,
        "archived": then.archived,
        "locked_reason": (then.locked or {}).get("reason"),
        "quiet": None,
        "active_at": None,
        "follower_count": sum(1 for a in around if isinstance(a, Follow) and a.active),
        "need_count": sum(1 for a in around if isinstance(a, Need) and a.active),
        "team_size": len(then.team),
        "pledged_money": _money(totals["money"]),
        "pledged_days": _money(totals["days"]),
        "partner_count": totals["partners"],
        "pledge_count": totals["pledges"],
        "goal": _goal(then, totals),
        "created_at": timestamp(then.created_on),
        "updated_at": timestamp(then.modified_on),
        "team": _team(then, moment),
        "contributions": totals["contributions"],
        "status_updates": [_update(u) for u in updates[:LATEST_UPDATES]],
        "as_of": timestamp(moment),
    }
