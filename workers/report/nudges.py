"""Do nudges work? The share of nudges followed by a sign of life (a status update, an edit,
a phase change) within the answer window, against idle spells that reached the same length
without a nudge (before nudges existed, or with the sweep not running): the share of those
that came back to life within as long.

The idle length is read from the nudges themselves (the shortest gap between a first nudge
and the idle spell it was for: the sweep sends it at PIPELINE_NUDGE_DAYS, or a little after),
so the figures depend only on the log; with no nudge yet it is the default."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from workers.report.world import World
from workers.runtime.settings import NUDGE_ANSWER_DAYS, NUDGE_DAYS


def idle_days(world: World) -> int:
    gaps = [(at - since).days for at, _project, number, since in world.nudges if number == 1 and since is not None]
    return min(gaps, default=NUDGE_DAYS)


def measure(
    world: World, start: datetime | None, end: datetime, answer_days: int = NUDGE_ANSWER_DAYS
) -> dict[str, Any]:
    """Nudges sent in the period, and idle spells that reached the nudge length in it unnudged;
    each answered if a sign of life came within ``answer_days``. One whose window runs past
    the end of the period is ``pending``, and left out of the share."""
    days, answer = idle_days(world), timedelta(days=answer_days)
    inside = lambda moment: (start is None or moment >= start) and moment < end  # noqa: E731
    alive = {pid: sorted([p.proposed_at, *p.updates]) for pid, p in world.projects.items()}
    nudged: dict[UUID, list[datetime]] = defaultdict(list)
    counts = {"nudged": _tally(), "not_nudged": _tally()}
    for at, project_id, _number, _since in world.nudges:
        nudged[project_id].append(at)
        if inside(at) and project_id in alive:
            _count(counts["nudged"], _next(alive[project_id], at), at + answer, end)
    for project_id, times in alive.items():
        if world.projects[project_id].archived:
            continue
        for spell_start, spell_end in zip(times, [*times[1:], None], strict=True):
            reached = spell_start + timedelta(days=days)
            if not inside(reached) or (spell_end is not None and spell_end <= reached):
                continue
            if any(spell_start <= n < (spell_end or end) for n in nudged[project_id]):
                continue
            _count(counts["not_nudged"], spell_end, reached + answer, end)
    for tally in counts.values():
        decided = tally["answered"] + tally["unanswered"]
        tally["share_answered"] = round(tally["answered"] / decided, 3) if decided else None
    return {"idle_days": days, "answer_days": answer_days, **counts}


def _tally() -> dict[str, Any]:
    return {"count": 0, "answered": 0, "unanswered": 0, "pending": 0}


def _next(times: list[datetime], after: datetime) -> datetime | None:
    found = bisect_right(times, after)
    return times[found] if found < len(times) else None


def _count(tally: dict[str, Any], sign_of_life: datetime | None, by: datetime, end: datetime) -> None:
    tally["count"] += 1
    if sign_of_life is not None and sign_of_life <= by and sign_of_life < end:
        tally["answered"] += 1
    elif by >= end:
        tally["pending"] += 1
    else:
        tally["unanswered"] += 1
