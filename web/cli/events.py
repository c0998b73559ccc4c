"""``pipeline events export FILE`` and ``pipeline events import FILE``: the whole log, with
the keys that open its personal data (wrapped under the KEK), to a file and into an empty
store. The format is described in ``workers.history.transfer.export``."""

from __future__ import annotations

from pathlib import Path

import click

from web.cli.progress import progress
from workers.runtime.bootstrap import build_runtime
from workers.runtime.settings import Settings


@click.group()
def events() -> None:
    """Export the event log to a file, or import one into an empty store."""


@events.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def events_export(file: Path) -> None:
    """Write every event (ids, versions, times and positions as stored) and the wrapped keys to FILE."""
    from projections import runner
    from workers.history.transfer import export as transfer

    rt = build_runtime()
    try:
        with progress(f"exporting to {file}", runner.head(rt.app)) as advance:
            header = transfer.export(rt, file, advance)
    finally:
        rt.close()
    click.echo(
        f"Exported {header.events:,} events (log head {header.head}) and {header.person_keys:,} personal keys"
        f" to {file}. Importing it needs key-encryption key {', '.join(header.keks) or '(none)'}."
    )


@events.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def events_import(file: Path) -> None:
    """Write the events of FILE into this (empty) store at their original positions, then build every view.
    Needs the KEK the export was made under; nobody is emailed about imported events."""
    from workers.adapters.secret_key import key_file
    from workers.history.transfer import load as log_import
    from workers.history.transfer.export import Header, TransferError

    settings = Settings.from_env()
    try:
        header = Header.read(file)
    except TransferError as error:
        raise click.ClickException(str(error)) from None
    path = key_file(settings)
    if path is not None and not settings.secret_key_file and not path.exists():
        raise click.ClickException(
            f"No key-encryption key for the target: the export needs KEK {', '.join(header.keks)}. Copy the"
            f" source's key file to {path} or set PIPELINE_SECRET_KEY_FILE (do not run `pipeline init` first)."
        )
    rt = build_runtime(settings, create_tables=True)
    try:
        with progress(f"importing {file}", header.events) as advance:
            imported = log_import.import_log(rt, file, advance=advance)
        for view in log_import.views():
            with progress(f"building {view.name}", imported.head) as advance:
                log_import.build_view(rt, view, advance)
    except TransferError as error:
        raise click.ClickException(str(error)) from None
    finally:
        rt.close()
    click.echo(
        f"Imported {header.events:,} events (log head {imported.head}) and"
        f" {header.person_keys - imported.unused_keys:,} personal keys;"
        f" built {len(imported.views)} views. Processes that send mail start at the head: nothing imported is mailed."
        + (
            f" Left out {imported.unused_keys:,} keys of people with no living sign-up in the file."
            if imported.unused_keys
            else ""
        )
    )
