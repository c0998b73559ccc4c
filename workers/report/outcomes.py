"""The funnel, timing, the network of organisations and cohorts: the second half of the
report, from a ``World`` and the window."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from statistics import median
from typing import Any
from uuid import UUID

from workers.report.figures import Window, org_kind, org_ref, proposed_in
from workers.report.params import TICK
from workers.report.world import World

STEPS = ("signed_up", "proposed", "followed_or_pledged", "posted")


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


# ---------------------------------------------------------------------- funnel
def _did(steps: dict[UUID, dict[str, list[datetime]]], who: UUID, step: str, w: Window) -> bool:
    return any(w.inside(t) for t in steps.get(who, {}).get(step, ()))


def _stages(start: set[UUID], steps: dict[UUID, dict[str, list[datetime]]], w: Window) -> list[dict[str, Any]]:
    stages: list[dict[str, Any]] = []
    current = start
    for step in STEPS:
        if step != "signed_up":
            current = {who for who in current if _did(steps, who, step, w)}
        previous = stages[-1]["count"] if stages else len(current)
        stages.append(
            {
                "step": step,
                "count": len(current),
                "of_previous": rate(len(current), previous),
                "of_signed_up": rate(len(current), len(start)),
            }
        )
    return stages


def funnel(world: World, w: Window) -> dict[str, Any]:
    signed = {pid: p for pid, p in world.people.items() if w.inside(p.signed_up_at)}
    orgs = {p.first_org for p in signed.values() if p.first_org is not None}
    return {
        "organisations": _stages(orgs, world.org_steps, w),
        "people": _stages(set(signed), world.person_steps, w),
    }


# ---------------------------------------------------------------------- timing
def _days(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 86400, 2)


def _median(values: list[float]) -> dict[str, Any]:
    return {"median_days": round(median(values), 2) if values else None, "projects": len(values)}


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def timing(world: World, w: Window) -> dict[str, Any]:
    chosen = proposed_in(world, w).values()
    pledged: dict[str, dict[str, Any]] = {}
    for project in chosen:
        for org, (money, days) in project.pledges.items():
            row = pledged.setdefault(org_kind(world, org), {"money": Decimal(0), "days": Decimal(0), "pledges": 0})
            row["money"] += money
            row["days"] += days
            row["pledges"] += 1
    return {
        "first_follower": _median([_days(p.proposed_at, min(p.followed_at)) for p in chosen if p.followed_at]),
        "first_pledge": _median([_days(p.proposed_at, min(p.pledged_at)) for p in chosen if p.pledged_at]),
        "goal_met": _median(
            [_days(p.proposed_at, p.decided_at) for p in chosen if p.outcome == "met" and p.decided_at]
        ),
        "goals": {
            "met": sum(1 for p in chosen if p.outcome == "met"),
            "missed": sum(1 for p in chosen if p.outcome == "missed"),
        },
        "pledged_by_kind": {
            kind: {"money": _money(row["money"]), "days": _money(row["days"]), "pledges": row["pledges"]}
            for kind, row in sorted(pledged.items())
        },
    }


# --------------------------------------------------------------------- network
def network(world: World, w: Window) -> dict[str, Any]:
    links: dict[tuple[UUID, UUID], dict[str, set[Any]]] = {}
    for pid, project in proposed_in(world, w).items():
        for partner, vias in project.partners.items():
            pair = tuple(sorted((project.org, partner), key=lambda org: (_name(world, org), str(org))))
            link = links.setdefault(pair, {"via": set(), "projects": set()})  # type: ignore[arg-type]
            link["via"] |= vias
            link["projects"].add(pid)
    neighbours: dict[UUID, set[UUID]] = defaultdict(set)
    for a, b in links:
        neighbours[a].add(b)
        neighbours[b].add(a)
    ranked = sorted(neighbours.items(), key=lambda item: (-len(item[1]), _name(world, item[0]), str(item[0])))
    return {
        "links": [
            {
                "organisations": [org_ref(world, a), org_ref(world, b)],
                "via": sorted(link["via"]),
                "projects": len(link["projects"]),
            }
            for (a, b), link in sorted(
                links.items(),
                key=lambda item: (-len(item[1]["projects"]), _name(world, item[0][0]), _name(world, item[0][1])),
            )
        ],
        "organisations": [
            {
                **(org_ref(world, org) or {}),
                "partners": len(others),
                "partner_names": sorted(_name(world, o) for o in others),
            }
            for org, others in ranked
        ],
    }


def _name(world: World, org: UUID) -> str:
    found = world.orgs.get(org)
    return found.name if found else str(org)


# --------------------------------------------------------------------- cohorts
def month(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def months_between(first: str, last: str) -> list[str]:
    year, mon = int(first[:4]), int(first[5:])
    out = []
    while f"{year:04d}-{mon:02d}" <= last:
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return out


def cohorts(world: World, w: Window) -> list[dict[str, Any]]:
    groups: dict[str, list[UUID]] = defaultdict(list)
    for pid, person in world.people.items():
        if w.inside(person.signed_up_at) and not person.undated:
            groups[month(person.signed_up_at)].append(pid)
    last = month(w.end - TICK)
    active = {pid: {month(t) for t in world.person_acts.get(pid, ())} for members in groups.values() for pid in members}
    return [
        {
            "month": cohort,
            "people": len(members),
            "active": [
                {"month": m, "people": sum(1 for pid in members if m in active[pid])}
                for m in months_between(cohort, last)
            ],
        }
        for cohort, members in sorted(groups.items())
    ]
