"""``pipeline import legacy FILE.sqlite``: take in the original Pipeline's database."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from domain.errors import RegisterNotLoaded
from web.cli.checks import require_initialised, require_reachable
from web.cli.progress import progress
from workers.history.legacy.file import NotALegacyFile, read
from workers.history.legacy.importer import Report, import_legacy
from workers.history.legacy.planned import MembersPlanned, members_planned

COUNTS = (
    "organisations resolved to the register",
    "organisations created",
    "organisations already known",
    "people",
    "people verified",
    "people members",
    "people with a migration stamp",
    "people whose sign-up time is unknown",
    "people already imported",
    "projects",
    "pages with pruned versions",
    "versions -> edits",
    "phase changes",
    "versions without a change",
    "versions not written",
    "projects already imported",
    "versions added to projects already imported",
    "likes -> follows",
    "likes with a comment (kept in imported.comment)",
    "joins -> contribution requests",
    "likes already imported",
    "joins already imported",
    "changes between files (times are bounds)",
)


@click.group("import")
def import_() -> None:
    """Take in data from elsewhere, as history with its original times."""


@import_.command("legacy")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask before creating the members listed (for scripts).")
@click.option(
    "--taken-at",
    "taken_at",
    metavar="TIME",
    help="When the file was copied (ISO, with a zone), if known: the bound of changes since an earlier file."
    " Default: the file's latest time.",
)
def import_legacy_command(file: str, yes: bool, taken_at: str | None) -> None:
    """Write the original Pipeline's SQLite database (2014 schema) as events. Safe to repeat.

    First lists how many members (verified or not) of which organisations it will create,
    and asks before writing anything, unless --yes."""
    from workers.runtime.bootstrap import build_runtime
    from workers.runtime.settings import Settings

    try:
        data = read(file, taken_at=_moment(taken_at) if taken_at else None)
    except NotALegacyFile as error:
        raise click.ClickException(str(error)) from None
    settings = Settings.from_env()
    require_reachable(settings)
    require_initialised(settings)
    rt = build_runtime(settings)
    try:
        _confirm_members(members_planned(rt.app, data), yes)
        with progress("importing", data.facts) as advance:
            report = import_legacy(rt, data, advance)
    except RegisterNotLoaded as error:
        raise click.ClickException(str(error)) from None
    except click.ClickException:
        raise
    except Exception as error:  # not a traceback: what stopped it, and that a second run continues
        raise click.ClickException(
            f"The import stopped: {type(error).__name__}: {error}. The file was checked before writing;"
            " the saves made before this are kept and a second run adds only what is missing."
        ) from None
    finally:
        rt.close()
    _versions = sum(len(v) for v in data.versions.values())
    click.echo(
        f"Read {file}: {len(data.orgs)} organisations, {len(data.users)} people, {len(data.pages)} projects"
        f" ({_versions} versions), {len(data.relationships)} likes and joins."
    )
    click.echo("\n".join(render(report)))


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO time (2014-10-31T12:00:00+00:00).") from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{text!r} has no time zone: add Z or an offset such as +01:00.")
    return moment.astimezone(UTC)


def _confirm_members(planned: list[MembersPlanned], yes: bool) -> None:
    """A legacy file can name any council: say whom it makes members where, and ask."""
    if not planned:
        click.echo("This file creates no new members.")
        return
    total, verified = sum(p.members for p in planned), sum(p.verified for p in planned)
    click.echo(f"This file will create up to {total} members ({verified} verified) of {len(planned)} organisations:")
    for p in planned:
        click.echo(f"  {p.organisation}: {p.members} members ({p.verified} verified)")
    if yes:
        return
    try:
        confirmed = click.confirm("Create these members?", default=False)
    except click.Abort:  # no answer (end of input): not a yes
        confirmed = False
    if not confirmed:
        raise click.ClickException("Nothing imported (not confirmed; pass --yes to import without asking).")


def render(report: Report) -> list[str]:
    """What the import did, for a person to read (no names or emails of people in it)."""
    lines = [
        "Migration stamps (a createdon shared by 3 or more users: imported as such, flagged"
        " created_on_is_migration_stamp, not counted as sign-ups at that time):"
    ]
    lines += [f"  {at:%Y-%m-%d %H:%M:%S} UTC: {count} users" for at, count in report.stamps] or ["  none"]
    lines.append("Organisations:")
    lines += [f"  {name!r}: {how}" for name, how in report.resolutions] or ["  none"]
    lines.append("Written:" if not report.nothing_new else "Nothing new: everything in the file is already there.")
    width = max(len(key) for key in COUNTS)
    lines += [f"  {key:<{width}}  {report.counts[key]}" for key in COUNTS if report.counts[key]]
    lines.append(f"Not placed ({len(report.unplaced)}):")
    lines += [f"  {item}" for item in report.unplaced] or ["  nothing"]
    if report.notes:
        lines.append(f"Notes ({len(report.notes)}):")
        lines += [f"  {note}" for note in report.notes]
    lines.append(f"Event log: position {report.head_before} -> {report.head_after}.")
    return lines
