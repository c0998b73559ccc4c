"""A long, realistic log for the rebuild phase, written in-process in bulk: sign-ups,
and for every ``PEOPLE_PER_PROJECT`` of them a project with what happens around one
(edits, a phase change, a goal, pledges and their amendments and withdrawals, follows,
"we need this too", status updates and their corrections, contribution requests).

Aggregates are built directly and saved a round at a time in a few large ``app.save()``
calls, like ``tests.factories.bulk_sign_ups``: no password hashing, keys made in bulk.
The events have the same shape as the commands'. ``Mix`` counts what was written, so
the rebuilt read models can be checked against it."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.application import PipelineApplication
from domain.interest import ContributionRequest, Follow, Need, StatusUpdate
from domain.organisation import council_id
from domain.person import Person, PersonEmail
from domain.project import BUDGET_BANDS, COLLABORATION_LEVELS, CONTRIBUTION_KINDS, PHASES, Project
from domain.register import load_register
from workers.adapters.keys import seal_with

PEOPLE_PER_PROJECT = 15  # the 2014 alpha: 58 projects from a few hundred people; we hope for more
PEOPLE_PER_ROUND = 300  # one save of 600 events, then the 20 projects they start
TAGS = (
    "waste",
    "parking",
    "potholes",
    "housing",
    "benefits",
    "libraries",
    "planning",
    "licensing",
    "council tax",
    "social care",
    "open data",
    "accessibility",
    "payments",
    "booking",
)


@dataclass
class Mix:
    """What the top-up wrote; ``live_*`` are the pledges and follows still standing."""

    sign_ups: int = 0
    projects: int = 0
    live_pledges: int = 0
    live_pledged_pence: int = 0
    live_follows: int = 0
    status_updates: int = 0

    def describe(self) -> str:
        return (
            f"{self.sign_ups:,} sign-ups and {self.projects:,} projects ({self.live_pledges:,} live pledges, "
            f"{self.live_follows:,} follows, {self.status_updates:,} status updates)"
        )


@dataclass(frozen=True)
class Someone:
    person_id: UUID
    organisation_id: UUID


def current_councils() -> list[str]:
    return sorted(record.code for record in load_register() if record.current)


def people(app: PipelineApplication, count: int, councils: list[str], rng: random.Random) -> list[Someone]:
    """``count`` sign-ups (Person + PersonEmail) in one save, spread over the councils."""
    ids = [uuid.uuid4() for _ in range(count)]
    secrets = app.personal.new_keys(ids)  # type: ignore[attr-defined]
    aggregates: list[Any] = []
    made = []
    for person_id in ids:
        address, secret = f"{uuid.uuid4().hex[:16]}@example.gov.uk", secrets[person_id]
        organisation = council_id(rng.choice(councils))
        aggregates += [
            Person(
                id=person_id,
                name=seal_with(secret, person_id, f"Person {person_id.hex[:6]}"),
                email=seal_with(secret, person_id, address),
                job_title=None,
                organisation_id=organisation,
                organisation_kind="council",
            ),
            PersonEmail(id=app.personal.email_index_id(address), person_id=person_id),
        ]
        made.append(Someone(person_id, organisation))
    app.save(*aggregates)
    return made


def others(rng: random.Random, pool: list[Someone], count: int, exclude: UUID) -> list[Someone]:
    """Up to ``count`` people of distinct organisations, none of ``exclude``."""
    chosen: dict[UUID, Someone] = {}
    for someone in rng.sample(pool, min(len(pool), count * 3)):
        if someone.organisation_id != exclude and someone.organisation_id not in chosen:
            chosen[someone.organisation_id] = someone
            if len(chosen) == count:
                break
    return list(chosen.values())


def pledge_offer(rng: random.Random) -> dict[str, Any]:
    offer: dict[str, Any] = {"money": "0.00", "days": "0.00", "contributions": [], "message": None}
    if rng.random() < 0.6:
        offer["money"] = f"{rng.choice((500, 1000, 2500, 5000, 10000, 20000))}.00"
    if rng.random() < 0.5:
        offer["days"] = f"{rng.choice((1, 2, 5, 10, 20))}.{rng.choice(('00', '50'))}"
    if rng.random() < 0.5 or offer["money"] == offer["days"] == "0.00":
        offer["contributions"] = sorted(rng.sample(CONTRIBUTION_KINDS, rng.randint(1, 2)))
    return offer


def project_story(rng: random.Random, owner: Someone, pool: list[Someone], now: datetime, mix: Mix) -> list[Any]:
    """One project and the aggregates around it, every event pending; the project first,
    so its row exists before anything that refers to it is projected."""
    tags = rng.sample(TAGS, rng.randint(1, 4))
    project = Project(
        organisation_id=owner.organisation_id,
        proposer_id=owner.person_id,
        phase=rng.choice(PHASES[:3]),
        details={
            "title": f"Shared {' and '.join(tags)} service",
            "summary": f"Councils building {', '.join(tags)} once, together.",
            "description": "## Why\n\nWe all build this. Let us build it **once**.\n",
            "tags": tags,
            "budget_band": rng.choice(BUDGET_BANDS),
            "collaboration_level": rng.choice(COLLABORATION_LEVELS),
        },
    )
    actor = owner.person_id
    for i in range(rng.randint(0, 3)):
        project.edit({"summary": f"Revised summary {i}: {rng.random():.6f}"}, actor=actor, moderation=False)
    if rng.random() < 0.5:
        project.change_phase(PHASES[PHASES.index(project.phase) + 1], actor=actor, moderation=False)
    if rng.random() < 0.4:
        deadline = (now + timedelta(days=rng.randint(30, 180))).isoformat()
        goal = {"min_partners": 3, "money": "40000.00", "days": "60.00", "deadline": deadline}
        project.set_goal(goal, actor=actor, now=now)
    around: list[Any] = []
    for backer in others(rng, pool, rng.randint(2, 8), exclude=owner.organisation_id):
        project.pledge_for(backer.organisation_id, backer.person_id, pledge_offer(rng), now=now)
        if rng.random() < 0.3:
            project.pledge_for(backer.organisation_id, backer.person_id, pledge_offer(rng), now=now)
        if rng.random() < 0.1:
            project.withdraw_pledge(backer.organisation_id, backer.person_id, now=now)
    for follower in rng.sample(pool, min(len(pool), rng.randint(3, 15))):
        follow = Follow(
            id=Follow.id_for(project.id, follower.person_id), project_id=project.id, person_id=follower.person_id
        )
        if rng.random() < 0.1:
            follow.unfollow()
        mix.live_follows += follow.active
        around.append(follow)
    for needing in others(rng, pool, rng.randint(0, 3), exclude=owner.organisation_id):
        need_id = Need.id_for(project.id, needing.organisation_id)
        around.append(
            Need(
                id=need_id,
                project_id=project.id,
                organisation_id=needing.organisation_id,
                person_id=needing.person_id,
                comment="We need this too.",
            )
        )
    for i in range(rng.randint(0, 6)):
        update = StatusUpdate(
            project_id=project.id, author_id=actor, body=f"Sprint {i + 1}: what we did, what is next."
        )
        if rng.random() < 0.15:
            update.correct(f"Sprint {i + 1}: what we did, what is next (corrected).", actor=actor)
        elif rng.random() < 0.05:
            update.retract(actor=actor)
        around.append(update)
        mix.status_updates += 1
    for joiner in others(rng, pool, rng.randint(0, 2), exclude=owner.organisation_id):
        request = ContributionRequest(
            project_id=project.id, person_id=joiner.person_id, organisation_id=joiner.organisation_id, message=None
        )
        chance = rng.random()
        if chance < 0.6:
            request.approve(actor=actor)
            project.add_to_team(joiner.person_id, joiner.organisation_id, actor=actor)
        elif chance < 0.8:
            request.decline(actor=actor, reason="Not this phase.")
        around.append(request)
    mix.projects += 1
    mix.live_pledges += len(project.pledges)
    mix.live_pledged_pence += sum(int(Decimal(p["money"]) * 100) for p in project.pledges.values())
    return [project, *around]


def top_up(app: PipelineApplication, count_events: Any, min_events: int, *, seed: int = 11) -> Mix:
    """Add rounds of sign-ups and projects until the log holds ``min_events``."""
    rng, mix, councils = random.Random(seed), Mix(), current_councils()
    pool: list[Someone] = []
    now = datetime.now(UTC)
    while count_events() < min_events:
        joined = people(app, PEOPLE_PER_ROUND, councils, rng)
        mix.sign_ups += len(joined)
        pool += joined
        stories: list[Any] = []
        for _ in range(PEOPLE_PER_ROUND // PEOPLE_PER_PROJECT):
            stories += project_story(rng, rng.choice(pool), pool, now, mix)
        app.save(*stories)
    return mix
