"""The projects of ``pipeline demo``'s story: proposals, the few that stay alive, the interest
around them, pledges, and goals decided at their deadlines (see ``workers.history.demo.story``)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from domain.project import BUDGET_BANDS, COLLABORATION_LEVELS, CONTRIBUTION_KINDS, PHASES
from workers.history.demo import data as words
from workers.history.demo.story import END, LONDON, Person, Plan, before_end, day_text

EXTRA_TAGS = ("shared service", "open source", "local digital", "common platform", "user research")
MORE = (
    "Other councils are welcome to reuse the design.",
    "We are looking for partners to share the cost.",
    "Code will be published on GitHub.",
)
FIRST_WEEKS = timedelta(days=21)


@dataclass
class Proposal:
    index: int
    owner: Person
    at: datetime
    phase: str
    details: dict[str, Any]  # as they are now, in the story
    proposed: dict[str, Any]  # as the propose step records them
    team: set[int] = field(default_factory=set)
    pledged: set[int] = field(default_factory=set)  # organisations (by index) with a live pledge


def plan_projects(rng: random.Random, story: Plan) -> None:
    used: dict[int, set[str]] = defaultdict(set)  # ideas each organisation has proposed
    proposals = [_propose(rng, story, owner, used[owner.org.index]) for owner in _proposers(rng, story)]
    _name_alike(proposals)
    for proposal in proposals:
        _early_edits(rng, story, proposal)
        if rng.random() < 0.25:
            _lively(rng, story, proposal)
        _interest(rng, story, proposal)
    goals = _with_goals(rng, proposals)
    met = {p.index for p in rng.sample(goals, max(1, (len(goals) + 1) // 3))} if goals else set()
    for proposal in goals:
        _goal(rng, story, proposal, met=proposal.index in met)
    with_goal = {p.index for p in goals}
    for proposal in proposals:
        if proposal.index not in with_goal and rng.random() < 0.22:
            _stray_pledges(rng, story, proposal)


def _proposers(rng: random.Random, story: Plan) -> list[Person]:
    able = [p for p in story.people if p.member is not None and before_end(p.member, timedelta(days=35))]
    if not able:
        return []
    councils = [p for p in able if p.org.kind == "council"] or able
    owners: Counter[int] = Counter()
    chosen = []
    for _ in range(story.options.projects):
        person = rng.choice(councils if rng.random() < 0.93 else able)
        if owners[person.index] < 3:
            owners[person.index] += 1
            chosen.append(person)
    return chosen


def _propose(rng: random.Random, story: Plan, owner: Person, used: set[str]) -> Proposal:
    assert owner.member is not None
    at = owner.member + timedelta(days=min(rng.expovariate(1 / 9), 50), minutes=rng.randint(5, 240))
    if not before_end(at, timedelta(days=30)):
        at = owner.member + timedelta(minutes=rng.randint(5, 240))
    idea = rng.choice([i for i in words.IDEAS if i.title not in used] or words.IDEAS)
    used.add(idea.title)
    phase = rng.choices(PHASES[:5], weights=(35, 30, 15, 12, 8))[0]
    details: dict[str, Any] = {
        "title": idea.title,
        "summary": idea.summary,
        "description": f"## What\n\n{idea.summary}\n\n## Why\n\nResidents ask for it and it saves phone calls.",
        "tags": list(idea.tags),
        "department": idea.department,
        "phase_start": day_text(at, -rng.randint(0, 40)),
        "phase_end": day_text(at, rng.randint(30, 150)),
        "phase_dates_estimated": True,
        "budget_band": rng.choice(BUDGET_BANDS[:4]),
        "collaboration_level": rng.choice(COLLABORATION_LEVELS),
    }
    proposed = {**details, "tags": list(details["tags"])}  # as proposed: later edits change ``details`` only
    proposal = Proposal(story.projects, owner, at, phase, details, proposed, team={owner.index})
    story.projects += 1
    story.add(at, "propose", project=proposal.index, person=owner.index, phase=phase, details=proposed)
    return proposal


def _name_alike(proposals: list[Proposal]) -> None:
    """Councils build the same services: the second "Report a pothole" is told apart by its owner."""
    seen: set[str] = set()
    for proposal in sorted(proposals, key=lambda p: p.at):
        title = proposal.details["title"]
        if title in seen:
            title = f"{title} ({proposal.owner.org.name})"
            proposal.details["title"] = proposal.proposed["title"] = title
        seen.add(title)


# ------------------------------------------------------------------ changes
def _early_edits(rng: random.Random, story: Plan, proposal: Proposal) -> None:
    if rng.random() < 0.45:
        for _ in range(rng.choice((1, 1, 2))):
            _edit(rng, story, proposal, proposal.at + timedelta(hours=rng.uniform(1, FIRST_WEEKS.days * 24)))


def _edit(rng: random.Random, story: Plan, proposal: Proposal, at: datetime) -> None:
    details = proposal.details
    field_name = rng.choice(("tags", "summary", "budget_band", "collaboration_level", "phase_end"))
    if field_name == "tags":
        value: Any = [*details["tags"], *[t for t in EXTRA_TAGS if t not in details["tags"]][:1]]
    elif field_name == "summary":
        value = f"{details['summary']} {rng.choice(MORE)}"
    elif field_name == "phase_end":
        value = day_text(at, rng.randint(30, 120))
    else:
        choices = BUDGET_BANDS[:5] if field_name == "budget_band" else COLLABORATION_LEVELS
        value = rng.choice([c for c in choices if c != details[field_name]])
    if value != details[field_name] and before_end(at):
        details[field_name] = value
        story.add(at, "edit", project=proposal.index, person=proposal.owner.index, changes={field_name: value})


def _lively(rng: random.Random, story: Plan, proposal: Proposal) -> None:
    """A project its team keeps alive: updates, the odd edit, moving through the phases."""
    at = proposal.at + FIRST_WEEKS
    while True:
        at += timedelta(days=rng.uniform(12, 45))
        if not before_end(at, timedelta(days=1)):
            return
        roll = rng.random()
        if roll < 0.55:
            story.add(at, "status", project=proposal.index, person=proposal.owner.index, body=_update(rng))
        elif roll < 0.8 and PHASES.index(proposal.phase) < 4:
            proposal.phase = PHASES[PHASES.index(proposal.phase) + 1]
            story.add(at, "phase", project=proposal.index, person=proposal.owner.index, phase=proposal.phase)
        else:
            _edit(rng, story, proposal, at)


def _update(rng: random.Random) -> str:
    return rng.choice(words.STATUS_UPDATES)


# ----------------------------------------------------------------- interest
def _interest(rng: random.Random, story: Plan, proposal: Proposal) -> None:
    followers = set()
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 2, 3, 4, 6))):
        at = proposal.at + timedelta(hours=1 + rng.expovariate(1 / (8 * 24)))
        who = _someone(rng, story, at, lambda p: p.index != proposal.owner.index and p.index not in followers)
        if who is not None and before_end(at):
            followers.add(who.index)
            story.add(at, "follow", project=proposal.index, person=who.index)
    if rng.random() < 0.3:
        at = proposal.at + timedelta(hours=2 + rng.expovariate(1 / (12 * 24)))
        who = _someone(rng, story, at, lambda p: p.org is not proposal.owner.org)
        if who is not None and before_end(at):
            story.add(at, "need", project=proposal.index, person=who.index, comment=rng.choice(words.NEED_COMMENTS))
    if rng.random() < 0.25:
        _request(rng, story, proposal)


def _request(rng: random.Random, story: Plan, proposal: Proposal) -> None:
    at = proposal.at + timedelta(hours=3 + rng.expovariate(1 / (15 * 24)))
    who = _someone(rng, story, at, lambda p: p.org is not proposal.owner.org and p.index not in proposal.team)
    if who is None or not before_end(at):
        return
    request = story.requests
    story.requests += 1
    story.add(at, "request", request=request, project=proposal.index, person=who.index, message=_pick(rng))
    answered = at + timedelta(hours=rng.uniform(4, 10 * 24))
    if rng.random() < 0.5 and before_end(answered):  # half are never answered: nobody was told
        approve = rng.random() < 0.8
        story.add(
            answered,
            "decide_request",
            request=request,
            project=proposal.index,
            person=proposal.owner.index,
            approve=approve,
            reason=None if approve else "We have the skills we need for now, thank you.",
        )
        if approve:
            proposal.team.add(who.index)


def _pick(rng: random.Random) -> str | None:
    return rng.choice(words.REQUEST_MESSAGES)


def _someone(rng: random.Random, story: Plan, at: datetime, fits: Any, member: bool = False) -> Person | None:
    """A random person able (verified; a member, if ``member``) at ``at`` who ``fits``."""
    able = [p for p in story.people if (p.member if member else p.verified) is not None and fits(p)]
    able = [p for p in able if (p.member if member else p.verified) < at]  # type: ignore[operator]
    return rng.choice(able) if able else None


# ------------------------------------------------------------ pledges, goals
def _with_goals(rng: random.Random, proposals: list[Proposal]) -> list[Proposal]:
    early = [p for p in proposals if before_end(p.at, timedelta(days=100))]
    wanted = max(1, round(len(proposals) * 0.13)) if proposals else 0
    return rng.sample(early, min(wanted, len(early)))


def _goal(rng: random.Random, story: Plan, proposal: Proposal, *, met: bool) -> None:
    set_at = proposal.at + timedelta(days=rng.uniform(3, 20))
    day = set_at.astimezone(LONDON).date() + timedelta(weeks=rng.randint(6, 10))
    deadline = datetime.combine(day, time(17, 0), tzinfo=LONDON)
    if not before_end(deadline, timedelta(days=1)):
        deadline = END - timedelta(days=2)
    partners = rng.choice((2, 2, 3))
    money, days = rng.choice((10_000, 20_000, 30_000, 40_000)), rng.choice((20, 30, 40, 60))
    goal = {
        "min_partners": partners,
        "money": f"{money}.00",
        "days": f"{days}.00",
        "deadline": deadline.astimezone(UTC).isoformat(),
    }
    story.add(set_at, "goal", project=proposal.index, person=proposal.owner.index, goal=goal)
    count = partners + rng.randint(0, 1) if met else rng.randint(0, partners - 1)
    for _ in range(count):
        at = set_at + (deadline - set_at) * rng.uniform(0.05, 0.9)
        share = 1 / count if met else rng.uniform(0.1, 0.4)
        _pledge(rng, story, proposal, at, money=_round_up(money * share, 500), days=_round_up(days * share, 1))
    story.add(deadline, "decide_goal", project=proposal.index)


def _stray_pledges(rng: random.Random, story: Plan, proposal: Proposal) -> None:
    """Pledges on a project with no goal: promises nothing comes of."""
    for _ in range(rng.choice((1, 1, 2))):
        at = proposal.at + timedelta(days=rng.uniform(1, 40))
        who = _pledge(rng, story, proposal, at, money=0, days=rng.choice((0, 2, 5, 10)))
        if who is not None and rng.random() < 0.2:
            later = at + timedelta(days=rng.uniform(10, 60))
            if before_end(later):
                story.add(later, "withdraw", project=proposal.index, person=who.index)
                proposal.pledged.discard(who.org.index)


def _pledge(
    rng: random.Random, story: Plan, proposal: Proposal, at: datetime, *, money: int, days: int
) -> Person | None:
    def fits(p: Person) -> bool:
        return p.org is not proposal.owner.org and p.org.index not in proposal.pledged

    who = _someone(rng, story, at, fits, member=True)
    if who is None or not before_end(at):
        return None
    kinds = sorted(rng.sample(CONTRIBUTION_KINDS[:6], rng.choice((0, 1, 1, 2))))
    if not (money or days or kinds):
        kinds = ["user_research"]
    pledge = {"money": f"{money}.00", "days": f"{days}.00", "contributions": kinds, "message": _pick_pledge(rng)}
    proposal.pledged.add(who.org.index)
    story.add(at, "pledge", project=proposal.index, person=who.index, pledge=pledge)
    return who


def _pick_pledge(rng: random.Random) -> str | None:
    return rng.choice(words.PLEDGE_MESSAGES)


def _round_up(value: float, unit: int) -> int:
    return int(-(-value // unit) * unit)
