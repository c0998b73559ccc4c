"""``pipeline report engagement``: the lessons-learned report, from the event log."""

from __future__ import annotations

import json
from pathlib import Path

import click

from web import messages
from web.cli.progress import progress
from workers.report import charts, render
from workers.report.engagement import EngagementReports
from workers.report.params import DEFAULT_FORGOTTEN_DAYS, BadParameter, parse
from workers.runtime.bootstrap import build_runtime


@click.group()
def report() -> None:
    """Reports computed from the event history."""


@report.command("engagement")
@click.option("--from", "start", metavar="DATE_OR_TIME", help="Start of the period (ISO date or time).")
@click.option("--to", "until", metavar="DATE_OR_TIME", help="End of the period (a date includes the whole day).")
@click.option(
    "--forgotten-days",
    type=int,
    default=DEFAULT_FORGOTTEN_DAYS,
    show_default=True,
    help="A project with no edit or status update this long is forgotten.",
)
@click.option("--format", "fmt", type=click.Choice(["json", "md", "csv"]), default="json", show_default=True)
@click.option("--charts", "charts_dir", type=click.Path(file_okay=False), help="Also write the charts (SVG) here.")
def engagement(start: str | None, until: str | None, forgotten_days: int, fmt: str, charts_dir: str | None) -> None:
    """Sign-ups, organisations, projects, interest, funnel, timing, network and cohorts,
    computed in one pass over the event log (never from the read models)."""
    try:
        params = parse(start, until, forgotten_days)
    except BadParameter as error:
        said = messages.message(error.field, error.kind, error.family, **error.values)
        raise click.BadParameter(said, param_hint=f"--{error.field.replace('_', '-')}") from None
    rt = build_runtime()
    try:
        reader = EngagementReports(rt.app)
        with progress("reading the event log", int(rt.app.recorder.max_notification_id() or 0)) as advance:
            result = reader.answer(params, advance)
    finally:
        rt.close()
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(render.markdown(result) if fmt == "md" else render.tidy_csv(result), nl=False)
    if charts_dir:
        folder = Path(charts_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for name in charts.NAMES:
            (folder / f"{name}.svg").write_text(charts.svg(name, result))
        click.echo(f"Wrote {', '.join(f'{n}.svg' for n in charts.NAMES)} to {folder}", err=True)
