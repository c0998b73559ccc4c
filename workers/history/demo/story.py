"""The story ``pipeline demo`` tells: who signed up, proposed, followed and pledged, and when.

Modelled on the alpha (docs/DOMAIN.md): from September 2014 over eight months, about a
hundred councils and a few suppliers sign up in a burst, then a trickle; most projects are
proposed in their owners' first weeks and never touched again; interest and pledges mostly
lead nowhere; a few goals are met. ``plan`` turns a seed into a list of timed ``Step``s
(pure: the same seed gives the same steps, times and counts); ``workers.history.demo.run`` carries
them out through the application's ordinary commands, with the clock at each step's time."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from domain.email_domains import register_seed_plan
from domain.local_time import LONDON
from domain.register import load_register
from workers.history.demo import data as words

START = datetime(2014, 9, 1, tzinfo=LONDON)  # the alpha opens (and the register is recorded)
END = datetime(2015, 5, 1, tzinfo=LONDON)  # eight months later
DAYS = (END.date() - START.date()).days
BURST_DAYS = 28  # "80 people from 50 councils within weeks"
LEAVES = frozenset({"follow", "need", "status", "edit", "phase"})


@dataclass(frozen=True)
class Options:
    seed: int = 2014
    councils: int = 100
    suppliers: int = 6
    projects: int = 60


@dataclass(frozen=True)
class Step:
    """One command at one moment; ``args`` name people, projects and requests by their
    index in the plan (their ids exist only once the step before has run)."""

    at: datetime
    kind: str
    args: dict[str, Any]


@dataclass
class Org:
    index: int
    kind: str  # council or supplier
    name: str
    code: str | None
    domain: str
    arrival: float  # days after START


@dataclass
class Person:
    index: int
    org: Org
    name: str
    email: str
    job_title: str
    signed_up: datetime
    verified: datetime | None = None
    member: datetime | None = None  # from when they may act for their organisation


@dataclass
class Plan:
    options: Options
    orgs: list[Org] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    projects: int = 0
    requests: int = 0

    def add(self, at: datetime, kind: str, **args: Any) -> None:
        at = daytime(at) if kind in LEAVES else at
        self.steps.append(Step(at.astimezone(UTC).replace(microsecond=0), kind, args))

    def ordered(self) -> list[Step]:
        """In time order; steps at the same moment keep the order they were planned in."""
        return sorted(self.steps, key=lambda s: s.at)

    def window(self) -> tuple[datetime, datetime]:
        return START.astimezone(UTC), END.astimezone(UTC)


def eligible_councils() -> list[tuple[str, str, str]]:
    """(code, short name, email domain) of councils that existed throughout the window and
    have a seeded email domain (so a verified address makes its owner a member)."""
    domains = register_seed_plan().by_council
    return sorted(
        (r.code, r.short_name or r.official_name, domains[r.code][0])
        for r in load_register()
        if r.code in domains and r.current and (r.start_date or "0000") <= START.date().isoformat()
    )


def cast(rng: random.Random, story: Plan, councils: list[tuple[str, str, str]] | None = None) -> None:
    """The story's organisations and the people who sign up for them (its projects are
    planned after them, in ``workers.history.demo.projects``)."""
    _organisations(rng, story, councils if councils is not None else eligible_councils())
    _people(rng, story)


# ----------------------------------------------------------------------- when
def moment(rng: random.Random, days: float) -> datetime:
    """A working-day time (08:30 to 17:30, London) on the day ``days`` after START, moved to
    the Monday after a weekend."""
    day = START.date() + timedelta(days=int(days))
    day += timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)
    minutes = rng.randint(0, 9 * 60)
    local = datetime.combine(day, time(8, 30), tzinfo=LONDON) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def daytime(at: datetime) -> datetime:
    """``at``, or if it falls at night (London), the next morning: for steps nothing else
    waits for (``LEAVES``), so moving them later breaks no order."""
    local = at.astimezone(LONDON)
    if 8 <= local.hour < 20:
        return at
    day = local.date() + timedelta(days=1 if local.hour >= 20 else 0)
    spread = timedelta(minutes=(local.hour * 60 + local.minute) % 300, seconds=local.second)
    morning = datetime.combine(day, time(8, 0), tzinfo=LONDON) + spread
    return morning if before_end(morning) else at


def before_end(at: datetime, margin: timedelta = timedelta(0)) -> bool:
    return at < END - margin


def arrival(rng: random.Random, burst: float = 0.68) -> float:
    """Days after START an organisation's first person signs up: the launch burst, then a
    trickle that thins out."""
    if rng.random() < burst:
        return min(rng.expovariate(1 / 5), BURST_DAYS - 1)
    return BURST_DAYS + min(rng.expovariate(1 / 55), DAYS - BURST_DAYS - 2)


# ------------------------------------------------------------ organisations
def _organisations(rng: random.Random, story: Plan, councils: list[tuple[str, str, str]]) -> None:
    chosen = rng.sample(councils, min(story.options.councils, len(councils)))
    for code, name, domain in chosen:
        story.orgs.append(Org(len(story.orgs), "council", name, code, domain, arrival(rng)))
    for name, domain in rng.sample(words.SUPPLIERS, min(story.options.suppliers, len(words.SUPPLIERS))):
        story.orgs.append(Org(len(story.orgs), "supplier", name, None, domain, arrival(rng, burst=0.3)))


# ------------------------------------------------------------------- people
def _people(rng: random.Random, story: Plan) -> None:
    taken: set[str] = set()
    for org in sorted(story.orgs, key=lambda o: o.arrival):
        sizes = (1, 1, 1, 2, 2, 3) if org.kind == "council" else (1, 2, 2, 3)
        first = _person(rng, story, org, moment(rng, org.arrival), taken)
        for _ in range(rng.choice(sizes) - 1):
            later = org.arrival + rng.expovariate(1 / 20)
            if later < DAYS - 2:
                _colleague(rng, story, org, first, moment(rng, later), taken)


def _person(rng: random.Random, story: Plan, org: Org, at: datetime, taken: set[str]) -> Person:
    name, email = _name(rng, org.domain, taken)
    jobs = words.COUNCIL_JOBS if org.kind == "council" else words.SUPPLIER_JOBS
    person = Person(len(story.people), org, name, email, rng.choice(jobs), at)
    story.people.append(person)
    story.add(at, "sign_up", person=person.index)
    if rng.random() < 0.87:  # some never open the verification email
        person.verified = at + timedelta(minutes=2 + min(rng.expovariate(1 / 240), 3 * 24 * 60))
        if before_end(person.verified):
            story.add(person.verified, "verify", person=person.index)
            person.member = person.verified if org.kind == "council" or _founder(story, person) else None
        else:
            person.verified = None
    return person


def _founder(story: Plan, person: Person) -> bool:
    return all(p.org is not person.org for p in story.people[: person.index])


def _colleague(rng: random.Random, story: Plan, org: Org, first: Person, at: datetime, taken: set[str]) -> None:
    person = _person(rng, story, org, at, taken)
    if org.kind == "council" or person.verified is None or first.member is None:
        return
    approved = max(person.verified, first.member) + timedelta(hours=2 + rng.expovariate(1 / 30))
    if before_end(approved):  # a supplier's admin lets a colleague in (no domain to prove it)
        story.add(approved, "approve", person=person.index, admin=first.index)
        person.member = approved


def _name(rng: random.Random, domain: str, taken: set[str]) -> tuple[str, str]:
    while True:
        first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.SURNAMES)
        local = f"{first}.{last}".lower().replace("'", "")
        if f"{local}@{domain}" not in taken:
            taken.add(f"{local}@{domain}")
            return f"{first} {last}", f"{local}@{domain}"


def day_text(at: datetime, days: int = 0) -> str:
    return (at.astimezone(LONDON).date() + timedelta(days=days)).isoformat()
