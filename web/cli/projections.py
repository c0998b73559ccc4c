"""``pipeline projections status|rebuild|migrate|verify``: inspect and rebuild the read models."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from projections import runner
from web.cli.checks import require_reachable
from workers.runtime import follow
from workers.runtime.bootstrap import build_runtime
from workers.runtime.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from projections.base import Projection
    from workers.runtime.bootstrap import Runtime


@click.group()
def projections() -> None:
    """Inspect and rebuild read models."""


@projections.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def projections_status(as_json: bool) -> None:
    """State (ok, behind, failing), position, head of the log and lag of every projection;
    for a failing one, its error, since when, and when it is tried again; a rebuild under way
    (or stopped part-way) and how far it is. Exits 1 if any fails."""
    from projections import rebuilds

    require_reachable(Settings.from_env())
    rt = build_runtime()
    try:
        for projection in follow.all_followers():
            runner.position(rt.db, projection.name)
        statuses = runner.status(rt.app, rt.db, follow.all_followers())
        rebuilding = rebuilds.in_progress(rt.db)
    except runner.NotInitialised as error:
        raise click.ClickException(str(error)) from None
    finally:
        rt.close()
    if as_json:
        click.echo(json.dumps([{**s.as_dict(), "rebuild_position": rebuilding.get(s.name)} for s in statuses]))
    else:
        _print_statuses(statuses)
        for name, at in rebuilding.items():
            click.echo(
                f"\n{name}: a rebuild is under way or was stopped at position {at} (the live view serves meanwhile)"
            )
    if any(s.failure for s in statuses):
        sys.exit(1)


def _print_statuses(statuses: list[runner.Status]) -> None:
    click.echo(f"{'projection':<20}{'state':>9}{'position':>10}{'head':>10}{'lag':>8}")
    for s in statuses:
        click.echo(f"{s.name:<20}{s.state:>9}{s.position:>10}{s.head:>10}{s.lag:>8}")
    for s in statuses:
        if s.failure:
            f = s.failure
            click.echo(
                f"\n{s.name} is failing at position {f.position} since {f.since}"
                f" ({f.attempts} attempts; next at {f.retry_at}):\n  {f.error}"
            )


@projections.command("rebuild")
@click.argument("names", nargs=-1, type=click.Choice(sorted(follow.names())))
@click.option("--all", "rebuild_all", is_flag=True, help="Rebuild every projection.")
def projections_rebuild(names: tuple[str, ...], rebuild_all: bool) -> None:
    """Replay the whole event log into a copy of each projection named (NAMES, or --all) beside
    the live one, then switch it in at once: readers are served throughout. The log is read once
    for all of them. Run again after a crash, it carries on where it stopped. A process that acts
    on the world (the notifier) is left where it is."""
    from projections import rebuilds
    from web.cli.progress import progress

    if bool(names) == rebuild_all:
        raise click.UsageError("Give projection NAMES or --all (not both).")
    targets = follow.all_followers() if rebuild_all else [follow.follower(n) for n in dict.fromkeys(names)]
    rt = build_runtime()
    try:
        for projection in targets:
            runner.position(rt.db, projection.name)
        resumed = rebuilds.in_progress(rt.db)
        for projection in targets:
            if projection.starts_at_head:
                at = runner.position(rt.db, projection.name)
                click.echo(f"{projection.name}: a process, not rebuilt; it carries on from position {at}")
            elif projection.name in resumed:
                click.echo(
                    f"{projection.name}: carrying on from position {resumed[projection.name]}, where a rebuild stopped"
                )
        views = [p for p in targets if not p.starts_at_head]
        if not views:
            return
        label = "rebuilding " + ", ".join(p.name for p in views)
        with progress(label, runner.head(rt.app)) as advance:
            reached = rebuilds.rebuild_all(rt.app, rt.db, views, batch_size=_batch(rt), advance=advance)
        for projection in views:
            click.echo(f"{projection.name}: rebuilt to position {reached[projection.name]}")
    except runner.NotInitialised as error:
        raise click.ClickException(str(error)) from None
    finally:
        rt.close()


@projections.command("migrate")
def projections_migrate() -> None:
    """Rebuild every view whose code is another version than its tables (beside them, then
    switched in). `pipeline init`, `serve` and `worker` do this when they start."""
    require_reachable(Settings.from_env())
    rt = build_runtime()
    try:
        migrated = _migrate(rt)
    except runner.NotInitialised as error:
        raise click.ClickException(str(error)) from None
    finally:
        rt.close()
    if not migrated:
        click.echo("Every view's tables are its code's version: nothing to migrate.")


@projections.command("verify")
@click.argument("name", required=False, type=click.Choice(sorted(follow.names())))
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Differences shown per table.")
def projections_verify(name: str | None, limit: int) -> None:
    """Rebuild views (NAME, or all) into scratch tables up to their live position and compare
    them row by row; print the differences. Exits 1 if any view differs from its log."""
    from projections import verify
    from web.cli.progress import progress

    require_reachable(Settings.from_env())
    targets = [p for p in follow.all_followers() if not p.starts_at_head and name in (None, p.name)]
    if not targets:
        raise click.UsageError(f"{name} is a process, not a view: it has no tables to verify.")
    rt = build_runtime()
    drift = False
    try:
        for projection in targets:
            with progress(f"verifying {projection.name}", runner.position(rt.db, projection.name)) as advance:
                check = verify.verify(rt.app, rt.db, projection, batch_size=_batch(rt), advance=advance)
            rows = sum(t.rows for t in check.tables)
            if check.identical:
                click.echo(f"{check.name}: identical to its log at position {check.position} ({rows} rows)")
                continue
            drift = True
            for line in verify.report(check, limit):
                click.echo(line)
            count = sum(len(t.differences) + bool(t.schema) for t in check.tables)
            click.echo(f"{check.name}: DIFFERS from its log at position {check.position}: {count} difference(s)")
    except runner.NotInitialised as error:
        raise click.ClickException(str(error)) from None
    finally:
        rt.close()
    if drift:
        sys.exit(1)


def _batch(rt: Runtime) -> int:
    from projections.rebuilds import BATCH

    return max(rt.settings.batch_size, BATCH)


def _migrate(rt: Runtime) -> list[tuple[Projection, int]]:
    from projections import rebuilds
    from web.cli.progress import progress

    migrated = rebuilds.migrate(rt.app, rt.db, follow.all_followers(), batch_size=_batch(rt), reporter=progress)
    for projection, at in migrated:
        click.echo(f"{projection.name}: rebuilt for version {projection.version} and switched in at position {at}")
    return migrated


def migrate_outdated(settings: Settings) -> None:
    """At start-up: a view whose code changed version is rebuilt beside its tables and
    switched in before this process serves or works (no manual SQL)."""
    rt = build_runtime(settings)
    try:
        _migrate(rt)
    finally:
        rt.close()
