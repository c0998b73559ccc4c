"""``pipeline init``, ``serve`` and ``worker``: make the database ready, serve the API, work the queue."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

import click

from web.cli.checks import WRONG_KEK, require_initialised, require_reachable, where
from web.cli.projections import migrate_outdated
from workers.runtime import follow
from workers.runtime.bootstrap import initialise
from workers.runtime.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from workers.runtime.bootstrap import Runtime


@click.command()
def init() -> None:
    """Create tables, load the council register and catch projections up. Safe to repeat."""
    from workers.adapters.kek import KekError
    from workers.adapters.secret_key import ensure_key

    settings = Settings.from_env()
    require_reachable(settings)
    from web.cli.progress import progress

    made = ensure_key(settings)
    if made:
        click.echo(f"Created the key-encryption key {made} (mode 0600): keep it out of database backups.")
    try:
        loaded = initialise(settings, reporter=progress)
    except KekError as error:
        raise click.ClickException(f"{WRONG_KEK} ({where(settings)}: {error})") from None
    click.echo(f"Initialised {where(settings)}: register {loaded.added} councils added, {loaded.amended} amended.")
    click.echo(
        f"Email domains: {loaded.domains_added} added to councils; {len(loaded.unplaced)} owners not placed "
        "(`pipeline domains unplaced` lists them)"
        + (f"; held by another organisation: {', '.join(loaded.domains_taken)}" if loaded.domains_taken else "")
    )


@click.command()
@click.option("--host", default=None, help="Interface to bind (default: HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: PORT or 8000).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the API: Flask's server in the embedded mode, gunicorn with REDIS_URL set."""
    settings = Settings.from_env()
    host, port = host or settings.host, port or settings.port
    require_reachable(settings)
    require_initialised(settings)
    migrate_outdated(settings)
    if settings.embedded:
        from web.app import create_app
        from web.http.headers import QuietRequestHandler

        app = create_app()
        rt = app.extensions["pipeline"]
        follow.sweep(rt)  # apply anything written before a crash; send mail left over; decide goals due
        _start_ticker(rt)
        click.echo(f"Pipeline (embedded: {where(settings)}) on http://{host}:{port}/ (the API at /api/v1)")
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


@click.command()
@click.option("--burst", is_flag=True, help="Exit once the queue is empty (for scripts and tests).")
def worker(burst: bool) -> None:
    """Run an RQ worker that builds projections (needs REDIS_URL)."""
    from workers.runtime.worker import run_worker

    settings = Settings.from_env()
    require_reachable(settings)
    require_initialised(settings)
    migrate_outdated(settings)
    run_worker(burst=burst)


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
