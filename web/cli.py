"""The ``pipeline`` command: init, serve, worker, projections status|rebuild."""

from __future__ import annotations

import json
import logging
import os
import sys

import click

from projections import runner
from projections.registry import PROJECTIONS, all_projections, get
from workers.runtime import build_runtime, initialise
from workers.settings import Settings


@click.group(help="Pipeline: where council digital teams publish, find and back shared projects.")
def main() -> None:
    logging.basicConfig(level=Settings.from_env().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command()
def init() -> None:
    """Create tables, load the council register and catch projections up. Safe to repeat."""
    settings = Settings.from_env()
    _require_reachable(settings)
    loaded = initialise(settings)
    click.echo(f"Initialised {_where(settings)}: register {loaded.added} councils added, {loaded.amended} amended.")


@main.command()
@click.option("--host", default=None, help="Interface to bind (default: HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: PORT or 8000).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the API: Flask's server in the embedded mode, gunicorn with REDIS_URL set."""
    settings = Settings.from_env()
    host, port = host or settings.host, port or settings.port
    _require_reachable(settings)
    _require_initialised(settings)
    if settings.embedded:
        from web.app import create_app

        app = create_app()
        rt = app.extensions["pipeline"]
        rt.catch_up_all()  # apply anything written before a crash
        for message_id in rt.outbox.unsent():  # and send mail that failed last time
            rt.dispatcher.request_email(message_id)
        _start_ticker(rt)
        click.echo(f"Pipeline API (embedded: {_where(settings)}) on http://{host}:{port}/api/v1/organisations")
        app.run(host=host, port=port, threaded=True, use_reloader=False)
        return
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    args = [
        gunicorn,
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
        "--graceful-timeout",
        "20",
        "web.wsgi:app",
    ]
    os.execv(gunicorn, args)


@main.command()
@click.option("--burst", is_flag=True, help="Exit once the queue is empty (for scripts and tests).")
def worker(burst: bool) -> None:
    """Run an RQ worker that builds projections (needs REDIS_URL)."""
    from workers.worker import run_worker

    settings = Settings.from_env()
    _require_reachable(settings)
    _require_initialised(settings)
    run_worker(burst=burst)


@main.group()
def projections() -> None:
    """Inspect and rebuild read models."""


@projections.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def projections_status(as_json: bool) -> None:
    """State (ok, behind, failing), position, head of the log and lag of every projection;
    for a failing one, its error, since when, and when it is tried again. Exits 1 if any fails."""
    _require_reachable(Settings.from_env())
    rt = build_runtime()
    try:
        for projection in all_projections():
            runner.position(rt.db, projection.name)
        statuses = runner.status(rt.app, rt.db, all_projections())
    except runner.NotInitialised as error:
        raise click.ClickException(str(error)) from None
    finally:
        rt.close()
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in statuses]))
    else:
        _print_statuses(statuses)
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
@click.argument("name", required=False, type=click.Choice(sorted(PROJECTIONS)))
@click.option("--all", "rebuild_all", is_flag=True, help="Rebuild every projection.")
def projections_rebuild(name: str | None, rebuild_all: bool) -> None:
    """Empty a projection and replay the whole event log into it."""
    if bool(name) == rebuild_all:
        raise click.UsageError("Give a projection NAME or --all (not both).")
    targets = all_projections() if rebuild_all else [get(name or "")]
    rt = build_runtime()
    try:
        for projection in targets:
            runner.position(rt.db, projection.name)
        total = runner.head(rt.app)
        for projection in targets:
            with click.progressbar(length=total, label=f"rebuilding {projection.name}") as bar:
                runner.rebuild(
                    rt.app, rt.db, projection, batch_size=max(rt.settings.batch_size, 1000), progress=bar.update
                )
            click.echo(f"{projection.name}: rebuilt to position {runner.position(rt.db, projection.name)}")
    except runner.NotInitialised as error:
        raise click.ClickException(str(error)) from None
    finally:
        rt.close()


@main.group()
def operators() -> None:
    """Grant or revoke the operator role (only ever from here, never through the API)."""


@operators.command("grant")
@click.argument("email")
def operators_grant(email: str) -> None:
    """Make the person with EMAIL an operator."""
    _set_operator(email, True)


@operators.command("revoke")
@click.argument("email")
def operators_revoke(email: str) -> None:
    """Take the operator role away from the person with EMAIL."""
    _set_operator(email, False)


def _set_operator(email: str, grant: bool) -> None:
    from domain.errors import DomainError

    rt = build_runtime()
    try:
        written = rt.app.set_operator(email, grant)
        rt.projections_changed()
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    finally:
        rt.close()
    state = "is now" if grant else "is no longer"
    unchanged = " (unchanged)" if written.position is None else ""
    click.echo(f"Person {written.aggregate.id} {state} an operator{unchanged}.")


@main.group()
def people() -> None:
    """Operator actions on people."""


@people.command("erase")
@click.argument("person_id", type=click.UUID)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def people_erase(person_id, yes: bool) -> None:  # type: ignore[no-untyped-def]
    """Erase a person (UK GDPR art. 17): their personal data becomes unreadable for ever."""
    from domain.errors import DomainError

    if not yes:
        click.confirm(f"Erase person {person_id}? This cannot be undone", abort=True)
    rt = build_runtime()
    try:
        written = rt.app.erase(person_id, actor=None)
        rt.sessions.forget_person(person_id)
        rt.outbox.forget_person(person_id)
        rt.projections_changed()
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    finally:
        rt.close()
    done = "was already erased" if written.position is None else f"erased at log position {written.position}"
    click.echo(f"Person {person_id} {done}.")


def _start_ticker(rt) -> None:  # type: ignore[no-untyped-def]
    """Embedded mode has no worker: a background thread decides goals whose deadline
    passed, retries unsent mail and catches projections up, every PIPELINE_SWEEP_SECONDS."""
    import threading

    from workers.jobs import decide_due_goals

    log = logging.getLogger("pipeline.ticker")

    def tick() -> None:
        while not stop.wait(max(rt.settings.sweep_seconds, 1.0)):
            try:
                decide_due_goals(rt)
                for message_id in rt.outbox.unsent():
                    rt.dispatcher.request_email(message_id)
                rt.catch_up_all()
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
    rt = build_runtime(settings)
    try:
        for projection in all_projections():
            runner.position(rt.db, projection.name)
    except runner.NotInitialised as error:
        raise click.ClickException(f"{error} ({_where(settings)})") from None
    finally:
        rt.close()


def _where(settings: Settings) -> str:
    url = settings.database_url
    return url.split("@")[-1] if "@" in url else url
