"""``pipeline demo``: a seeded, realistic history modelled on the 2014 alpha, for evaluators
(the story: ``workers.history.demo.story``; how it is written: ``workers.history.demo.run``)."""

from __future__ import annotations

import json
import time

import click

from web.cli.checks import require_reachable
from web.cli.progress import progress
from workers.history.demo.planning import plan
from workers.history.demo.run import Refused, StepFailed, Summary, catch_up, prepare, write
from workers.history.demo.story import LONDON, Options
from workers.runtime import follow
from workers.runtime.settings import Settings

DEFAULTS = Options()


@click.command()
@click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True, help="Same seed, same history.")
@click.option(
    "--councils",
    type=click.IntRange(1, 300),
    default=DEFAULTS.councils,
    show_default=True,
    help="Councils taking part.",
)
@click.option("--suppliers", type=click.IntRange(0, 12), default=DEFAULTS.suppliers, show_default=True)
@click.option("--projects", type=click.IntRange(0, 500), default=DEFAULTS.projects, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def demo(seed: int, councils: int, suppliers: int, projects: int, as_json: bool) -> None:
    """Write a seeded history modelled on the 2014 alpha (September 2014 to April 2015) into a
    NEW, empty store, through the ordinary commands with the clock set to 2014-15. It refuses a
    store that holds people, or whose council register was loaded after the story begins."""
    from workers.runtime.bootstrap import build_runtime

    settings = Settings.from_env()
    require_reachable(settings)
    story = plan(Options(seed, councils, suppliers, projects))
    began = time.monotonic()
    try:
        made = prepare(settings, story)
    except Refused as error:
        raise click.ClickException(str(error)) from None
    if made:
        click.echo(f"Created the key-encryption key {made} (mode 0600): keep it out of database backups.", err=True)
    rt = build_runtime(settings)
    try:
        with progress("demo: writing the story", len(story.steps)) as advance:
            summary = write(rt, story, advance)
        with progress("demo: catching up views", len(follow.names())) as advance:
            failing = catch_up(rt, advance)
    except StepFailed as error:
        raise click.ClickException(f"The demo stopped: {error}. Start again from an empty database.") from None
    finally:
        rt.close()
    took = time.monotonic() - began
    if as_json:
        click.echo(json.dumps({**summary.as_dict(), "seconds": round(took, 1), "failing": failing}))
    else:
        click.echo(describe(summary, took, failing))
    if failing:
        raise SystemExit(1)


def describe(summary: Summary, took: float, failing: list[str]) -> str:
    s, o, orgs = summary.steps, summary.outcomes, summary.organisations
    first = f"{summary.first.astimezone(LONDON):%d %b %Y %H:%M}" if summary.first else "-"
    last = f"{summary.last.astimezone(LONDON):%d %b %Y %H:%M}" if summary.last else "-"
    answered = o["request approved"] + o["request declined"]
    lines = [
        f"Demo history written (seed {summary.seed}), {first} to {last} (London time):",
        f"  organisations  {orgs['council']} councils, {orgs['supplier']} suppliers",
        f"  people         {s['sign_up']} signed up, {s['verify']} verified, {s['approve']} let in by an admin",
        f"  projects       {s['propose']} proposed; {s['edit']} edits, {s['phase']} phase changes,"
        f" {s['status']} status updates",
        f"  interest       {s['follow']} follows, {s['need']} 'we need this too',"
        f" {s['request']} contribution requests ({o['request approved']} approved, {o['request declined']} declined,"
        f" {s['request'] - answered} never answered)",
        f"  pledges        {s['pledge']} made, {s['withdraw']} withdrawn",
        f"  goals          {s['goal']} set: {o['goal met']} met, {o['goal missed']} missed (at their deadlines)",
        f"  log            {summary.positions[1] - summary.positions[0]} events, positions"
        f" {summary.positions[0] + 1} to {summary.positions[1]}; took {took:.0f} s",
    ]
    if failing:
        lines.append(f"  FAILING        {', '.join(failing)}: see `pipeline projections status`")
    return "\n".join(lines)
