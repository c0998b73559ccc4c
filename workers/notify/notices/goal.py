"""Pledges and the goal: owners and team hear of each pledge made, amended or withdrawn, of
the goal passing 80% and being reached, of its deadline a week away; everyone around the
project hears how it was decided.

Progress is the lowest fraction over the goal's targets (money, person-days, partner
organisations; a target of 0 does not count), as ``projections.projects.progress`` shows
it. Whether an event crossed a mark is read from the project just before and just after it
(``Facts.project_at``), so a pledge, an amendment, a withdrawal or a new goal all count."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain import local_time
from domain.project import Project
from domain.reminders import DeadlineWarning
from workers.notify.notices.base import Facts, Message, Notice, days, listed, money, organisation, project_link, tell

NEAR = Decimal("0.8")  # "80% of the goal"
REACHED, NEARLY = "reached", "80%"


def progress(project: Project | None) -> Decimal:
    """The least fraction reached over the goal's targets, at most 1; 0 without a goal."""
    if project is None or not project.goal:
        return Decimal(0)
    totals, goal = project.totals(), project.goal
    parts = []
    for have, need in (
        (totals["partners"], goal.get("min_partners")),
        (totals["money"], goal.get("money")),
        (totals["days"], goal.get("days")),
    ):
        target = Decimal(str(need or 0))
        if target > 0:
            parts.append(min(Decimal(1), Decimal(str(have)) / target))
    return min(parts, default=Decimal(1))


def crossing(before: Project | None, after: Project | None) -> str | None:
    """``REACHED`` when the goal became met, ``NEARLY`` when progress rose past 80% without
    reaching it; None otherwise (and once the goal is decided)."""
    if after is None or not after.goal or after.outcome:
        return None
    met_before = before is not None and bool(before.goal) and before.goal_met()
    if after.goal_met():
        return None if met_before else REACHED
    return NEARLY if progress(before) < NEAR <= progress(after) else None


def standing(totals: dict[str, Any], goal: dict[str, Any]) -> list[str]:
    """What is pledged against each target: "£800.00 of £1,000.00", ..."""
    lines = [f"{money(totals['money'])} of {money(goal.get('money'))}"]
    if Decimal(str(goal.get("days") or 0)) > 0 or Decimal(str(totals["days"] or 0)) > 0:
        lines.append(f"{days(totals['days'])} of {days(goal.get('days'))}")
    if int(goal.get("min_partners") or 0):
        lines.append(f"{totals['partners']} of {int(goal['min_partners'])} partner organisations")
    return lines


def pledge_changed(
    event: Project.PledgeMade | Project.PledgeAmended | Project.PledgeWithdrawn, facts: Facts
) -> list[Message]:
    """The owners hear of the pledge, or, if it moved the goal past a mark, of that (with the
    pledge in it): one message each."""
    project = facts.project(event.originator_id)
    if project is None:
        return []
    before = facts.project_at(project.id, event.originator_version - 1)
    after = facts.project_at(project.id, event.originator_version)
    org = organisation(facts, event.organisation_id)
    if isinstance(event, Project.PledgeWithdrawn):
        old = (before.pledges.get(str(event.organisation_id)) if before else None) or {}
        what, summary = f"{org} withdrew its pledge", f"{org} withdrew its pledge of {_offer(old)}"
    else:
        verb = "pledged" if isinstance(event, Project.PledgeMade) else "changed its pledge to"
        what, summary = f"{org} {verb} {_offer(event.pledge)}", f"{org} {verb} {_offer(event.pledge)}"
    context = {
        "title": project.title,
        "pledge": summary,
        "message": "" if isinstance(event, Project.PledgeWithdrawn) else (event.pledge.get("message") or ""),
        "standing": standing(after.totals(), after.goal) if after is not None and after.goal else [],
        "link": project_link(facts, project.id),
    }
    notices = [Notice("pledge", project.owners, f"{project.title}: {what}", summary, context)]
    mark = crossing(before, after)
    if mark is not None:
        notices.insert(0, _progress_notice(project.title, project.owners, mark, context))
    return tell(facts, project, event.person_id, *notices)


def _offer(pledge: dict[str, Any]) -> str:
    parts = []
    if Decimal(str(pledge.get("money") or 0)):
        parts.append(money(pledge["money"]))
    if Decimal(str(pledge.get("days") or 0)):
        parts.append(days(pledge["days"]))
    parts += [str(c).replace("_", " ") for c in pledge.get("contributions") or ()]
    return listed(parts) or "nothing"


def _progress_notice(title: str, owners: frozenset[Any], mark: str, context: dict[str, Any]) -> Notice:
    reached = mark == REACHED
    subject = f"{title}: the goal is reached" if reached else f"{title}: 80% of the goal is pledged"
    summary = "The goal is reached" if reached else "80% of the goal is pledged"
    return Notice("goal-progress", owners, subject, summary, {**context, "reached": reached})


def goal_set(event: Project.GoalSet, facts: Facts) -> list[Message]:
    """A new goal may already be (nearly) met by the pledges there are."""
    project = facts.project(event.originator_id)
    if project is None:
        return []
    before = facts.project_at(project.id, event.originator_version - 1)
    after = facts.project_at(project.id, event.originator_version)
    mark = crossing(before, after)
    if mark is None or after is None or after.goal is None:
        return []
    context = {
        "title": project.title,
        "pledge": "",
        "message": "",
        "standing": standing(after.totals(), after.goal),
        "link": project_link(facts, project.id),
    }
    return tell(facts, project, event.actor, _progress_notice(project.title, project.owners, mark, context))


def deadline_soon(event: DeadlineWarning.Given, facts: Facts) -> list[Message]:
    project = facts.project(event.project_id)
    if project is None or project.archived:  # archived since the sweep recorded it
        return []
    now = facts.project_at(project.id, None)
    goal = now.goal if now is not None and now.goal else None
    context = {
        "title": project.title,
        "deadline": day(event.deadline),
        "standing": standing(now.totals(), goal) if now is not None and goal else [],
        "link": project_link(facts, project.id),
    }
    subject = f"{project.title}: the goal's deadline is {day(event.deadline)}"
    summary = f"The goal's deadline is {day(event.deadline)}"
    return tell(facts, project, None, Notice("deadline-soon", project.owners, subject, summary, context))


def goal_decided(event: Project.GoalDecided, facts: Facts) -> list[Message]:
    """Owners, followers, pledgers and those who asked to contribute, with the totals."""
    project = facts.project(event.originator_id)
    if project is None:
        return []
    met = event.outcome == "met"
    context = {
        "title": project.title,
        "met": met,
        "standing": standing(event.totals, event.goal),
        "link": project_link(facts, project.id),
    }
    outcome = "met" if met else "missed"
    notice = Notice(
        "goal-decided",
        project.concerned,
        f"{project.title}: the goal was {outcome}",
        f"The goal was {outcome}",
        context,
    )
    return tell(facts, project, None, notice)


def day(moment: str) -> str:
    """ "8 December 2026" from an ISO date or time: the day it is in London."""
    return local_time.day_label(moment)
