"""The ``pipeline`` command: init, serve, worker, projections status|rebuild|migrate|verify, keys new|rotate|retire."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

import click

from projections import runner
from web.cli.roles import role_commands
from workers.runtime import follow
from workers.runtime.bootstrap import build_runtime, initialise
from workers.runtime.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from projections.base import Projection
    from workers.adapters.keys import KeyStore
    from workers.runtime.bootstrap import Runtime

T = TypeVar("T")


@click.group(help="Pipeline: where council digital teams publish, find and back shared projects.")
def main() -> None:
    from workers.adapters.log_redaction import install

    install()  # every record redacted: werkzeug's request lines carry the tokens of emailed links
    logging.basicConfig(level=Settings.from_env().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command()
def init() -> None:
    """Create tables, load the council register and catch projections up. Safe to repeat."""
    from workers.adapters.kek import KekError
    from workers.adapters.secret_key import ensure_key

    settings = Settings.from_env()
    _require_reachable(settings)
    from web.cli.progress import progress

    made = ensure_key(settings)
    if made:
        click.echo(f"Created the key-encryption key {made} (mode 0600): keep it out of database backups.")
    try:
        loaded = initialise(settings, reporter=progress)
    except KekError as error:
        raise click.ClickException(f"{WRONG_KEK} ({_where(settings)}: {error})") from None
    click.echo(f"Initialised {_where(settings)}: register {loaded.added} councils added, {loaded.amended} amended.")
    click.echo(
        f"Email domains: {loaded.domains_added} added to councils; {len(loaded.unplaced)} owners not placed "
        "(`pipeline domains unplaced` lists them)"
        + (f"; held by another organisation: {', '.join(loaded.domains_taken)}" if loaded.domains_taken else "")
    )


@main.command()
@click.option("--host", default=None, help="Interface to bind (default: HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: PORT or 8000).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the API: Flask's server in the embedded mode, gunicorn with REDIS_URL set."""
    settings = Settings.from_env()
    host, port = host or settings.host, port or settings.port
    _require_reachable(settings)
    _require_initialised(settings)
    _migrate_outdated(settings)
    if settings.embedded:
        from web.app import create_app
        from web.http.headers import QuietRequestHandler

        app = create_app()
        rt = app.extensions["pipeline"]
        follow.sweep(rt)  # apply anything written before a crash; send mail left over; decide goals due
        _start_ticker(rt)
        click.echo(f"Pipeline (embedded: {_where(settings)}) on http://{host}:{port}/ (the API at /api/v1)")
        app.run(host=host, port=port, threaded=True, use_reloader=False, request_handler=QuietRequestHandler)
        return
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    args = [
        gunicorn,
        "--config",
        "python:web.gunicorn_conf",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(settings.web_concurrency),
        "--worker-class",
        "gthread",
        "--threads",
        str(settings.web_threads),
        "--access-logfile",
        "-",
        "web.wsgi:app",
    ]
    os.execv(gunicorn, args)


@main.command()
@click.option("--burst", is_flag=True, help="Exit once the queue is empty (for scripts and tests).")
def worker(burst: bool) -> None:
    """Run an RQ worker that builds projections (needs REDIS_URL)."""
    from workers.runtime.worker import run_worker

    settings = Settings.from_env()
    _require_reachable(settings)
    _require_initialised(settings)
    _migrate_outdated(settings)
    run_worker(burst=burst)


@main.group()
def projections() -> None:
    """Inspect and rebuild read models."""


@projections.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def projections_status(as_json: bool) -> None:
    """State (ok, behind, failing), position, head of the log and lag of every projection;
    for a failing one, its error, since when, and when it is tried again; a rebuild under way
    (or stopped part-way) and how far it is. Exits 1 if any fails."""
    from projections import rebuilds

    _require_reachable(Settings.from_env())
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
    _require_reachable(Settings.from_env())
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

    _require_reachable(Settings.from_env())
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


def _migrate_outdated(settings: Settings) -> None:
    """At start-up: a view whose code changed version is rebuilt beside its tables and
    switched in before this process serves or works (no manual SQL)."""
    rt = build_runtime(settings)
    try:
        _migrate(rt)
    finally:
        rt.close()


main.add_command(
    role_commands(
        "operator",
        "Grant or revoke the operator role (only ever from here, never through the API).",
        lambda rt, email, grant: rt.app.set_operator(email, grant),
    )
)


@main.group()
def domains() -> None:
    """Organisations' email domains: a verified address on one makes its owner a member."""


@domains.command("unplaced")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def domains_unplaced(as_json: bool) -> None:
    """Owners of the public-sector domains list that were not matched to one current council."""
    from domain.email_domains import register_seed_plan

    unplaced = register_seed_plan().unplaced
    if as_json:
        click.echo(json.dumps([u.__dict__ for u in unplaced]))
        return
    for u in unplaced:
        hint = f" (candidates: {'; '.join(u.candidates)})" if u.candidates else ""
        click.echo(f"{u.owner}: {', '.join(u.domains)}: {u.reason}{hint}")
    click.echo(f"{len(unplaced)} owners not placed; add a domain with `pipeline domains add CODE_OR_ID DOMAIN`.")


@domains.command("add")
@click.argument("organisation")
@click.argument("domain")
def domains_add(organisation: str, domain: str) -> None:
    """List DOMAIN as ORGANISATION's (a council's register code or an organisation id)."""
    _domain_command(organisation, domain, add=True)


@domains.command("remove")
@click.argument("organisation")
@click.argument("domain")
def domains_remove(organisation: str, domain: str) -> None:
    """Stop listing DOMAIN as ORGANISATION's."""
    _domain_command(organisation, domain, add=False)


def _domain_command(organisation: str, domain: str, *, add: bool) -> None:
    from domain.errors import DomainError
    from domain.organisation import organisation_id

    rt = build_runtime()
    try:
        command = rt.app.add_domain if add else rt.app.remove_domain
        written = command(organisation_id(organisation), domain, actor=None)
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    finally:
        rt.close()
    click.echo(f"{written.aggregate.name}: {', '.join(written.aggregate.domains) or 'no domains'}.")


@main.group()
def people() -> None:
    """Operator actions on people."""


@people.command("erase")
@click.argument("person_id", type=click.UUID)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def people_erase(person_id: UUID, yes: bool) -> None:
    """Erase a person (UK GDPR art. 17): their personal data becomes unreadable for ever."""
    from domain.errors import DomainError
    from workers.processes.erasure import erase_person

    if not yes:
        click.confirm(f"Erase person {person_id}? This cannot be undone", abort=True)
    rt = build_runtime()
    try:
        written = erase_person(rt, person_id, actor=None)
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    finally:
        rt.close()
    done = "was already erased" if written.position is None else f"erased at log position {written.position}"
    click.echo(f"Person {person_id} {done}.")


@main.group()
def keys() -> None:
    """Key-encryption keys (KEKs): make one, rotate to a new one, retire the old."""


@keys.command("new")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def keys_new(file: str | None) -> None:
    """Make a new KEK: into FILE (mode 0600, never overwritten) or printed."""
    from pathlib import Path

    from workers.adapters.kek import Kek
    from workers.adapters.secret_key import write_key_file

    kek = Kek.generate()
    if file is None:
        click.echo(kek.text())
        return
    write_key_file(Path(file), [kek], create=True)
    click.echo(f"Wrote key-encryption key {kek.id} to {file}.")


@keys.command("rotate")
def keys_rotate() -> None:
    """Rewrap every live key under a new KEK (the key file gets a new first key; with
    PIPELINE_SECRET_KEY, put the new key first yourself). The old KEK stays until retired."""
    from workers.adapters import secret_key
    from workers.adapters.kek import Kek

    settings = Settings.from_env()
    ring, path = secret_key.load_ring(settings), secret_key.key_file(settings)
    if path is not None and len(ring.ids) == 1:
        secret_key.write_key_file(path, [Kek.generate(), *secret_key.read_key_file(path)])
        ring = secret_key.load_ring(settings)
    elif len(ring.ids) == 1:
        raise click.ClickException(
            "PIPELINE_SECRET_KEY holds one key: put a new one (`pipeline keys new`) in front of it, separated by"
            " a space, restart every process with it, then run this again."
        )
    rotation = _with_keys(settings, lambda store: store.rotate())
    click.echo(f"Rewrapped {rotation.rewrapped} keys under key-encryption key {rotation.kek_id}.")
    click.echo(f"Keys per KEK: {_usage(rotation.usage)}.")
    click.echo("Next: `pipeline keys retire` removes the old KEK; then destroy every copy of it.")


@keys.command("retire")
def keys_retire() -> None:
    """Drop every KEK but the current one, once no stored key is wrapped under them."""
    from workers.adapters import secret_key

    settings = Settings.from_env()
    ring, path = secret_key.load_ring(settings), secret_key.key_file(settings)
    rotation = _with_keys(settings, lambda store: store.rotate())  # rewraps any key made under an old KEK meanwhile
    old = ring.ids[1:]
    if any(rotation.usage.get(kek_id) for kek_id in old):
        raise click.ClickException(f"Keys are still wrapped under {_usage(rotation.usage)}: run this again.")
    if not old:
        click.echo(f"Only key-encryption key {rotation.kek_id} is configured: nothing to retire.")
    elif path is not None:
        secret_key.write_key_file(path, [ring.current])
        click.echo(f"Removed KEK(s) {', '.join(old)} from {path}. Destroy every other copy of them (backups too).")
    else:
        click.echo(f"Nothing is wrapped under {', '.join(old)}: remove them from PIPELINE_SECRET_KEY and restart.")


def _with_keys(settings: Settings, action: Callable[[KeyStore], T]) -> T:
    rt = build_runtime(settings)
    try:
        return action(rt.keys)
    finally:
        rt.close()


def _usage(usage: dict[str, int]) -> str:
    return ", ".join(f"{kek_id}: {count}" for kek_id, count in sorted(usage.items())) or "none"


def _start_ticker(rt: Runtime) -> None:
    """Embedded mode has no worker: a background thread sweeps (``workers.runtime.follow.sweep``:
    goals past their deadline, unsent mail, lagging followers) every PIPELINE_SWEEP_SECONDS."""
    import threading

    log = logging.getLogger("pipeline.ticker")

    def tick() -> None:
        while not stop.wait(max(rt.settings.sweep_seconds, 1.0)):
            try:
                follow.sweep(rt)
            except Exception:
                log.exception("embedded sweep failed; trying again later")

    stop = threading.Event()
    threading.Thread(target=tick, name="pipeline-ticker", daemon=True).start()


def _require_reachable(settings: Settings) -> None:
    """Fail fast, naming the database and the reason, without a traceback."""
    from projections.db import DatabaseUnreachable, probe

    try:
        probe(settings.database_url, settings.db_connect_timeout_seconds)
    except DatabaseUnreachable as error:
        raise click.ClickException(str(error)) from None


def _require_initialised(settings: Settings) -> None:
    from workers.adapters.kek import KekError

    rt = build_runtime(settings)
    try:
        for projection in follow.all_followers():
            runner.position(rt.db, projection.name)
        rt.keys.email_index_id("start-up@pipeline.invalid")  # the KEK opens this database's keys
    except runner.NotInitialised as error:
        raise click.ClickException(f"{error} ({_where(settings)})") from None
    except KekError as error:
        raise click.ClickException(f"{WRONG_KEK} ({_where(settings)}: {error})") from None
    finally:
        rt.close()


WRONG_KEK = (
    "The key-encryption key does not open this database's keys: give the key this database was "
    "made with (PIPELINE_SECRET_KEY_FILE or PIPELINE_SECRET_KEY). Do not make a new one: nothing "
    "sealed under the old key could ever be read again"
)


def _where(settings: Settings) -> str:
    from projections.db import describe_url

    return describe_url(settings.database_url)


from web.cli.report import report  # noqa: E402

main.add_command(report)

from web.cli.legacy import import_  # noqa: E402

main.add_command(import_)

from web.cli.demo import demo  # noqa: E402

main.add_command(demo)
from web.cli.events import evaluators, events  # noqa: E402

main.add_command(events)
main.add_command(evaluators)
from web.cli.mail import mail  # noqa: E402

main.add_command(mail)
