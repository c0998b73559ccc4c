"""The pledge phase: PUT /api/v1/projects/{id}/pledges/mine in production mode, to one
project (contended: every request races for the same aggregate) and to one project per
client (spread), each beside ``app.pledge`` in-process from 1 thread. Afterwards it checks
that no acknowledged pledge was lost and that the read model agrees with the aggregates."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.application import OrganisationRef, PipelineApplication
from domain.person import PersonEmail
from domain.project import Project
from domain.register import load_register
from tests import support
from tests.benchmarks.common import (
    Measured,
    Report,
    Timing,
    add_drain_row,
    add_load_rows,
    check_load,
    count_events,
    events_matching,
    forget_queue,
    load_notes,
    log_path,
    max_lag,
    measure_load,
    per_s,
    production_env,
    ratio,
    runtime_for,
    say,
    sql_rows,
    sql_scalar,
    timed,
    timed_loop,
    verify_views,
    warn_log_trouble,
)
from tests.benchmarks.load import pledge_value
from tests.factories import PASSWORD
from workers.runtime.bootstrap import Runtime

PLEDGE_TOPICS = (get_topic(Project.PledgeMade), get_topic(Project.PledgeAmended))
MEMBERS_PER_CLIENT = 4  # organisations each client pledges for, in turn


@dataclass(frozen=True)
class Member:
    person_id: UUID
    organisation_id: UUID
    token: str


@dataclass(frozen=True)
class Scenario:
    name: str  # "contended" or "spread"
    label: str  # the table's prefix
    projects: list[UUID]  # client i pledges to projects[i % len(projects)]


@dataclass(frozen=True)
class Outcome:
    """What one HTTP scenario did to the store, beside what load.py was told."""

    run: Measured
    answered: int  # 200 answers, warm-up included
    events: int  # PledgeMade + PledgeAmended written during the scenario
    failed_saves: int  # sequence values burnt by inserts that lost the version race
    expected: dict[str, Decimal]  # money, days and pledges from the last 200 per organisation
    aggregate: dict[str, Decimal]  # the same, summed over the aggregates
    read_model: dict[str, Decimal]  # the same, summed over the projects rows


# ---------------------------------------------------------------- setting up
def current_council_codes() -> list[str]:
    return sorted(record.code for record in load_register() if record.current)


def make_members(rt: Runtime, count: int, run_id: str) -> list[Member]:
    """``count`` verified members, each of a different current council, with a session each."""
    codes = current_council_codes()
    if count > len(codes):
        raise SystemExit(f"pledges need {count} organisations but the register has {len(codes)} current councils")
    members = []
    for code in codes[:count]:
        written = rt.app.sign_up(
            name=f"Pledger {code}",
            email=f"pledger-{run_id}-{code.lower()}@example.org",
            job_title="Head of digital",
            organisation=OrganisationRef(code=code),
            password=PASSWORD,
        )
        person = written.aggregate
        rt.app.verify_email(person.id)
        rt.app.approve_member(person.organisation_id, person.id, actor=None)  # as an operator would
        token, _ = rt.sessions.start(person.id)
        members.append(Member(person.id, person.organisation_id, token))
    return members


def propose(app: PipelineApplication, owner: Member, title: str) -> UUID:
    details = {
        "title": title,
        "summary": "A shared service that councils back with money, staff time and testing.",
        "tags": ["benchmark", "pledges"],
        "collaboration_level": "share_funding",
    }
    return app.propose_project(owner.person_id, "discovery", details).aggregate.id


@dataclass(frozen=True)
class Scene:
    """A fresh database made ready for a production phase: its queue and environment, and one
    project per client with the members who pledge to it (``MEMBERS_PER_CLIENT`` each)."""

    queue: str
    env: dict[str, str]
    members: list[Member]
    projects: list[str]


def scene_for(database_url: str, clients: int, title: str) -> Scene:
    """`pipeline init`, then the members and projects, in-process, with the views caught up."""
    queue = f"bench-{uuid.uuid4().hex[:10]}"
    env = production_env(database_url, queue)
    support.run_cli("init", env=env)
    with runtime_for(database_url, init=False) as rt:
        rt.app.log_moved = None
        owner, *members = make_members(rt, clients * MEMBERS_PER_CLIENT + 1, uuid.uuid4().hex[:10])
        projects = [str(propose(rt.app, owner, f"{title} {i}")) for i in range(clients)]
        rt.catch_up()
    return Scene(queue, env, members, projects)


def plan_for(scenario: Scenario, members: list[Member], clients: int) -> dict[str, Any]:
    """load.py's plan: client i pledges for members[i*K:(i+1)*K] (no organisation shared)."""
    k = MEMBERS_PER_CLIENT
    return {
        "clients": [
            {
                "project": str(scenario.projects[i % len(scenario.projects)]),
                "members": [
                    {"token": m.token, "organisation": str(m.organisation_id)} for m in members[i * k : (i + 1) * k]
                ],
            }
            for i in range(clients)
        ]
    }


# ---------------------------------------------------------------- checking
def notification_sequence(database_url: str) -> int:
    """The events table's sequence: an insert that loses the version race burns a value too."""
    sequence = sql_scalar(database_url, "SELECT pg_get_serial_sequence('pipeline_events', 'notification_id')")
    return int(sql_scalar(database_url, f"SELECT last_value FROM {sequence}"))


def money_days(pledges: list[dict[str, Any]]) -> dict[str, Decimal]:
    return {
        "money": sum((Decimal(p["money"]) for p in pledges), Decimal(0)),
        "days": sum((Decimal(p["days"]) for p in pledges), Decimal(0)),
        "pledges": Decimal(len(pledges)),
    }


def same_pledge(actual: dict[str, Any] | None, wanted: dict[str, Any] | None) -> bool:
    if actual is None or wanted is None:
        return actual is None and wanted is None
    return (
        Decimal(actual["money"]) == Decimal(wanted["money"])
        and Decimal(actual["days"]) == Decimal(wanted["days"])
        and list(actual["contributions"]) == list(wanted["contributions"])
    )


def check_aggregates(
    report: Report, label: str, app: PipelineApplication, ledger: dict[str, dict[str, Any]], projects: list[UUID]
) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Every organisation's live pledge on each aggregate must be what its last accepted
    request said (or, where a later request's fate is unknown, that one). Returns the
    totals those pledges add up to, and the aggregates' own totals."""
    lost, expected = [], []
    found = {"money": Decimal(0), "days": Decimal(0), "pledges": Decimal(0)}
    for project_id in projects:
        project = app.get_project(project_id)
        keys = {k for k in ledger if k.startswith(f"{project_id}/")}
        never_sent = set(project.pledges) - {k.split("/", 1)[1] for k in keys}
        if never_sent:
            lost.append(f"{project_id}: pledges from organisations that never pledged: {sorted(never_sent)}")
        for key in sorted(keys):
            entry, actual = ledger[key], project.pledges.get(key.split("/", 1)[1])
            candidates = [entry["accepted"], *entry["unknown"]]
            matched = [wanted for wanted in candidates if same_pledge(actual, wanted)]
            if not matched:
                lost.append(f"{key}: the aggregate holds {actual}, the last 200 said {entry['accepted']}")
            wanted = matched[0] if matched else entry["accepted"]
            if wanted is not None:
                expected.append(wanted)
        totals = project.totals()
        for name in found:
            found[name] += Decimal(totals[name])
    if lost:
        report.fail(f"{label}: LOST PLEDGES: {len(lost)} organisations, e.g. {lost[:3]}")
    return money_days(expected), found


def read_model_totals(database_url: str, projects: list[UUID]) -> dict[str, Decimal]:
    money, days, count = sql_rows(
        database_url,
        "SELECT coalesce(sum(pledged_pence), 0), coalesce(sum(pledged_days_hundredths), 0),"
        " coalesce(sum(pledge_count), 0) FROM projects WHERE id = ANY(%s)",
        ([str(p) for p in projects],),
    )[0]
    return {"money": Decimal(money) / 100, "days": Decimal(days) / 100, "pledges": Decimal(count)}


def read_model_rows_match(database_url: str, app: PipelineApplication, projects: list[UUID]) -> list[str]:
    """Each project_pledges row against the aggregate's pledge of that organisation."""
    problems = []
    for project_id in projects:
        live = app.get_project(project_id).pledges
        rows = sql_rows(
            database_url,
            "SELECT organisation_id, money_pence, days_hundredths, contributions FROM project_pledges"
            " WHERE project_id = %s",
            (str(project_id),),
        )
        seen = {
            org: {"money": Decimal(m) / 100, "days": Decimal(d) / 100, "contributions": json.loads(c)}
            for org, m, d, c in rows
        }
        if seen.keys() != live.keys():
            problems.append(f"{project_id}: organisations {sorted(seen)} in the read model, {sorted(live)} live")
        problems += [
            f"{project_id}/{org}: read model {seen.get(org)}, aggregate {pledge}"
            for org, pledge in live.items()
            if not same_pledge(seen.get(org), pledge)
        ]
    return problems


def totals_text(totals: dict[str, Decimal]) -> str:
    return f"£{totals['money']:,.2f}, {totals['days']:,.2f} days, {totals['pledges']:.0f} pledges"


# ---------------------------------------------------------------- the HTTP scenarios
def run_scenario(
    report: Report, scenario: Scenario, base: str, rt: Runtime, members: list[Member], clients: int, cfg: Any
) -> Outcome:
    database_url = rt.settings.database_url
    sequence_before, head_before = notification_sequence(database_url), count_events(database_url)
    head_id = int(rt.app.recorder.max_notification_id() or 0)
    plan = json.dumps(plan_for(scenario, members, clients))
    run = measure_load(
        base, database_url, clients, cfg.pledge_seconds, cfg.warmup, "--scenario", "pledges", "--plan", "-", stdin=plan
    )
    check_load(report, scenario.label, run)
    answered = run.load["ok"] + run.load["warmup_ok"]
    events = events_matching(database_url, PLEDGE_TOPICS, after=head_id)
    written = count_events(database_url) - head_before
    failed_saves = notification_sequence(database_url) - sequence_before - written
    if events != answered:
        report.fail(
            f"{scenario.label}: MISMATCH {events} pledge events were written for {answered} answers of 200 "
            "(each accepted request changes the pledge, so each must write exactly one event)"
        )
    expected, aggregate = check_aggregates(report, scenario.label, rt.app, run.load["pledges"], scenario.projects)
    if expected != aggregate:
        report.fail(f"{scenario.label}: MISMATCH aggregates hold {aggregate}, the last 200 answers say {expected}")
    read_model = read_model_totals(database_url, scenario.projects)
    if run.drain_seconds is not None:  # at lag 0 the read model must equal the aggregates
        problems = read_model_rows_match(database_url, rt.app, scenario.projects)
        if read_model != aggregate or problems:
            report.fail(f"{scenario.label}: MISMATCH read model {read_model} vs aggregates {aggregate}: {problems[:3]}")
    return Outcome(run, answered, events, failed_saves, expected, aggregate, read_model)


# ---------------------------------------------------------------- baselines in-process
def pledge_loop(app: PipelineApplication, projects: list[UUID], members: list[Member], clients: int) -> Callable:
    """``app.pledge`` as the HTTP clients do it, interleaved: call n is client n % C's next request."""
    k = MEMBERS_PER_CLIENT

    def pledge(n: int) -> object:
        client, m = n % clients, n // clients
        member = members[client * k + m % k]
        return app.pledge_for_organisation(projects[client % len(projects)], member.person_id, pledge_value(client, m))

    return pledge


def raw_save_loop(app: PipelineApplication, run_id: str) -> Callable:
    """The event store's own limit: ``app.save()`` of one small new aggregate per transaction."""

    def save(n: int) -> object:
        address = f"raw-{run_id}-{n}@example.org"
        return app.save(PersonEmail(id=app.personal.email_index_id(address), person_id=uuid.uuid4()))

    return save


@dataclass(frozen=True)
class Baselines:
    contended: Timing
    spread: Timing
    raw_save: Timing
    catch_up_events: int
    catch_up_seconds: float

    @property
    def catch_up_rate(self) -> float:
        return self.catch_up_events / self.catch_up_seconds if self.catch_up_seconds else 0.0


def baselines(rt: Runtime, owner: Member, members: list[Member], clients: int, seconds: float) -> Baselines:
    one = [propose(rt.app, owner, "Baseline: one busy project")]
    each = [propose(rt.app, owner, f"Baseline: project {i}") for i in range(clients)]
    rt.catch_up()
    contended = timed_loop(seconds, pledge_loop(rt.app, one, members, clients))
    spread = timed_loop(seconds, pledge_loop(rt.app, each, members, clients))
    raw = timed_loop(seconds, raw_save_loop(rt.app, uuid.uuid4().hex[:10]))
    lag = max_lag(rt)  # nothing projected the baseline pledges yet: time catching up on them
    _, catch_up_seconds = timed(rt.catch_up)
    return Baselines(contended, spread, raw, lag, catch_up_seconds)


# ---------------------------------------------------------------- rows
def add_rows(report: Report, scenario: Scenario, outcome: Outcome, base: Baselines) -> None:
    label = scenario.label
    timing = base.contended if scenario.name == "contended" else base.spread
    add_load_rows(report, label, "pledges", outcome.run, timing, "in-process app.pledge, 1 thread")
    rps = outcome.run.load["rps"]
    report.add(
        f"{label}: pledges over HTTP vs the event store's `save()` loop",
        per_s(rps),
        f"{per_s(base.raw_save.rate)} (save of 1 small aggregate, 1 thread)",
        ratio(rps, base.raw_save.rate),
    )
    requests = outcome.run.load["requests"] + outcome.run.load["warmup_requests"]
    report.add(
        f"{label}: machine CPU ms per acknowledged pledge (warm-up included)",
        cpu_per_write(outcome.run.cpu, outcome.answered),
        "4 ms (target)",
        "",
    )
    report.add(
        f"{label}: version conflicts retried (failed saves; warm-up included)",
        f"{outcome.failed_saves} ({outcome.failed_saves / max(outcome.answered, 1):.2f} per 200)",
        f"0 of {timing.count} (1 thread: no race)",
        "",
    )
    report.add(
        f"{label}: pledge events written vs 200 answers (warm-up included)",
        f"{outcome.events}",
        f"{outcome.answered}",
        ratio(outcome.events, outcome.answered),
    )
    report.add(
        f"{label}: aggregate pledge totals vs the last 200 of each organisation",
        totals_text(outcome.aggregate),
        totals_text(outcome.expected),
        "equal" if outcome.aggregate == outcome.expected else "DIFFERENT",
    )
    report.add(
        f"{label}: read model (projects) totals at lag 0 vs the aggregates",
        totals_text(outcome.read_model),
        totals_text(outcome.aggregate),
        "equal" if outcome.read_model == outcome.aggregate else "DIFFERENT",
    )
    add_drain_row(report, label, outcome.run, base.catch_up_rate)
    load_notes(report, label, outcome.run)
    report.notes.append(
        f"{label}: {requests} requests in all (warm-up included), {outcome.answered} answered 200; "
        f"the inserts that lost the version race are counted from the events table's sequence "
        f"(each burns a value without writing a row)."
    )


# ---------------------------------------------------------------- the phase
def cpu_per_write(cpu: dict[str, float], answered: int) -> str:
    """Total CPU ms of the pipeline processes, PostgreSQL and Redis per 200, then each."""
    roles = ("pipeline server", "pipeline worker", "postgres", "redis")
    each = {role: cpu.get(role, 0.0) * 1000 / max(answered, 1) for role in roles}
    parts = ", ".join(f"{role.removeprefix('pipeline ')} {value:.1f}" for role, value in each.items())
    return f"{sum(each.values()):.1f} ({parts})"


def pledge_phase(cfg: Any, report: Report, database_url: str) -> float:
    """Returns the spread scenario's pledges/s over HTTP: the lag phase loads at half of it."""
    clients = cfg.clients
    queue = f"bench-{uuid.uuid4().hex[:10]}"
    env = production_env(database_url, queue)
    support.run_cli("init", env=env)
    run_id = uuid.uuid4().hex[:10]
    with runtime_for(database_url, init=False) as rt:
        rt.app.log_moved = None  # set-up and baselines: the commands alone (the views are caught up below)
        count = clients * MEMBERS_PER_CLIENT + 1
        say(f"  {count} verified members of different councils, with sessions, and {clients + 1} projects")
        owner, *members = make_members(rt, count, run_id)
        contended = Scenario("contended", f"pledges, 1 project x {clients} clients", [propose(rt.app, owner, "One")])
        spread = Scenario(
            "spread",
            f"pledges, {clients} projects x 1 client",
            [propose(rt.app, owner, f"Project {i}") for i in range(clients)],
        )
        rt.catch_up()
        outcomes = {}
        worker_log, server_log = log_path("pledges-worker"), log_path("pledges-server")
        worker = support.Process(["worker"], env, worker_log)
        try:
            with support.server(env, server_log) as base:
                for scenario in (contended, spread):
                    say(f"  {scenario.name}: PUT pledges/mine to {len(scenario.projects)} project(s)")
                    outcomes[scenario.name] = run_scenario(report, scenario, base, rt, members, clients, cfg)
        finally:
            worker.stop()
            forget_queue(queue)
        verify_views(report, "pledges", env)
        warn_log_trouble(report, "pledges", [server_log, worker_log])
        say(f"baseline: in-process app.pledge, 1 thread, {cfg.pledge_baseline_seconds:g} s per case")
        base = baselines(rt, owner, members, clients, cfg.pledge_baseline_seconds)
    add_rows(report, contended, outcomes["contended"], base)
    add_rows(report, spread, outcomes["spread"], base)
    report.add(
        "pledges: app.pledge in-process, 1 project vs 1 project per client",
        per_s(base.contended.rate),
        f"{per_s(base.spread.rate)} (spread, 1 thread)",
        ratio(base.contended.rate, base.spread.rate),
    )
    return float(outcomes["spread"].run.load["rps"])
