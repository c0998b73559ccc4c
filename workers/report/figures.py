"""People, organisations, projects and interest: the first half of the report, from a
``World`` and the window. State figures read the world as of ``to``; activity figures
count what happened within the window (see README, "The lessons-learned report")."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from domain.organisation import KINDS
from domain.project import PHASES
from workers.report.world import Interest, Project, World

INTEREST_KINDS = ("follow", "need", "contribution_request", "legacy_like", "legacy_join")
NEVER_FOLLOWED_UP = "no_update_within_days_of_proposal"
GONE_QUIET = "no_update_in_last_days"


@dataclass(frozen=True)
class Window:
    start: datetime | None
    end: datetime  # exclusive
    days: int  # forgotten_days

    def inside(self, moment: datetime) -> bool:
        return (self.start is None or moment >= self.start) and moment < self.end


def when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def org_ref(world: World, org_id: UUID | None) -> dict[str, Any] | None:
    if org_id is None:
        return None
    org = world.orgs.get(org_id)
    return {
        "id": str(org_id),
        "name": org.name if org else None,
        "code": org.code if org else None,
        "kind": org.kind if org else None,
    }


def org_kind(world: World, org_id: UUID | None) -> str:
    org = world.orgs.get(org_id) if org_id is not None else None
    return org.kind if org else "unknown"


def project_ref(world: World, project_id: UUID) -> dict[str, Any]:
    project = world.projects[project_id]
    return {"id": str(project_id), "title": project.title, "owner": org_ref(world, project.org)}


# ---------------------------------------------------------------------- people
def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def people(world: World, w: Window) -> dict[str, Any]:
    signed = [p for p in world.people.values() if w.inside(p.signed_up_at)]
    weeks: dict[str, dict[str, Any]] = {}
    for person in sorted((p for p in signed if not p.undated), key=lambda p: p.signed_up_at):
        week = weeks.setdefault(iso_week(person.signed_up_at), {"people": [], "by_kind": defaultdict(list)})
        week["people"].append(person.first_org)
        week["by_kind"][person.first_kind or "unknown"].append(person.first_org)
    return {
        "signed_up": len(signed),
        "verified": sum(1 for p in signed if p.verified),
        "erased": sum(1 for p in signed if p.erased),
        "undated_sign_ups": sum(1 for p in signed if p.undated),
        "by_week": [
            {
                "week": name,
                "people": len(week["people"]),
                "organisations": len(set(week["people"]) - {None}),
                "by_kind": {
                    kind: {"people": len(orgs), "organisations": len(set(orgs) - {None})}
                    for kind, orgs in sorted(week["by_kind"].items())
                },
            }
            for name, week in weeks.items()
        ],
    }


# --------------------------------------------------------------- organisations
def organisations(world: World, w: Window) -> dict[str, Any]:
    current = {p.org for p in world.people.values() if p.verified_member and p.org is not None}
    by_kind = dict.fromkeys(KINDS, 0)
    for org in current:
        kind = org_kind(world, org)
        by_kind[kind] = by_kind.get(kind, 0) + 1
    first = sorted(
        ((at, org) for org, at in world.first_verified.items() if w.inside(at)),
        key=lambda item: (item[0], str(item[1])),
    )
    return {
        "signed_up": len({p.first_org for p in world.people.values() if w.inside(p.signed_up_at)} - {None}),
        "with_verified_members": len(current),
        "councils_with_verified_members": by_kind.get("council", 0),
        "by_kind": by_kind,
        "first": [{**(org_ref(world, org) or {}), "first_member_at": when(at)} for at, org in first],
    }


# -------------------------------------------------------------------- projects
def proposed_in(world: World, w: Window) -> dict[UUID, Project]:
    return {pid: p for pid, p in world.projects.items() if w.inside(p.proposed_at)}


def _forgotten_reasons(project: Project, w: Window) -> list[str]:
    """Judged only once D days have passed since the proposal; archived projects are closed, not forgotten."""
    span = timedelta(days=w.days)
    if project.archived or w.end - project.proposed_at < span:
        return []
    reasons = []
    if not any(t <= project.proposed_at + span for t in project.updates):
        reasons.append(NEVER_FOLLOWED_UP)
    if not any(t >= w.end - span for t in project.updates):
        reasons.append(GONE_QUIET)
    return reasons


def projects(world: World, w: Window) -> dict[str, Any]:
    chosen = proposed_in(world, w)
    by_phase = dict.fromkeys(PHASES, 0)
    forgotten = []
    for pid, project in sorted(chosen.items(), key=lambda item: (item[1].proposed_at, str(item[0]))):
        by_phase[project.phase] = by_phase.get(project.phase, 0) + 1
        reasons = _forgotten_reasons(project, w)
        if reasons:
            last = max(project.updates, default=None)
            forgotten.append(
                {
                    **project_ref(world, pid),
                    "proposed_at": when(project.proposed_at),
                    "last_update_at": when(last),
                    "updates": len(project.updates),
                    "reasons": reasons,
                }
            )
    return {
        "proposed": len(chosen),
        "by_phase": by_phase,
        "archived": sum(1 for p in chosen.values() if p.archived),
        "edits": sum(1 for _, t in world.edits if w.inside(t)),
        "forgotten": {"days": w.days, "count": len(forgotten), "items": forgotten},
    }


# -------------------------------------------------------------------- interest
def followed_through(world: World, interest: Interest) -> bool:
    """Whether the person, or anyone acting for their organisation, did anything more on the project."""
    later = world.projects[interest.project].acts[interest.after :]
    return any(
        (person is not None and person == interest.person) or (org is not None and org == interest.org)
        for _, person, org in later
    )


def _interest_item(world: World, interest: Interest) -> dict[str, Any]:
    return {
        "kind": interest.kind,
        "at": when(interest.at),
        "project": project_ref(world, interest.project),
        "organisation": org_ref(world, interest.org),
    }


def interest(world: World, w: Window) -> dict[str, Any]:
    acts = [i for i in world.interest if w.inside(i.at)]
    by_kind = dict.fromkeys(INTEREST_KINDS, 0)
    for act in acts:
        by_kind[act.kind] = by_kind.get(act.kind, 0) + 1
    forgotten = [i for i in acts if not followed_through(world, i)]
    forgotten_kinds = dict.fromkeys(INTEREST_KINDS, 0)
    for act in forgotten:
        forgotten_kinds[act.kind] += 1
    unanswered = [i for i in acts if i.request is not None and i.request not in world.answered]
    return {
        "expressed": len(acts),
        "by_kind": by_kind,
        "forgotten": {
            "count": len(forgotten),
            "by_kind": forgotten_kinds,
            "items": [_interest_item(world, i) for i in forgotten],
            "unanswered_requests": {
                "count": len(unanswered),
                "items": [_interest_item(world, i) for i in unanswered],
            },
        },
    }
