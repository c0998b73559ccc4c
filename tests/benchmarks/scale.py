"""The large log for the at-scale figures: a PostgreSQL database holding at least ``--events``
events (sign-ups and the stories around projects, from ``history.top_up``), its views caught
up, kept as a template database so each benchmark run copies it in seconds instead of
writing a million events again.

    .venv/bin/python tests/benchmarks/scale.py [--events 1000000] [--rebuild-template]

Prints the template's name. ``template_for(events)`` builds it once (about half an hour on
2 cores for a million events) and then returns the kept one; ``copy_of(template)`` makes a
fresh database from it. The template is named after the event count and the seed, so a
changed ``history`` (a new seed) makes a new one."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make the `tests` package importable

import psycopg  # noqa: E402

from projections import runner  # noqa: E402
from projections.registry import all_projections  # noqa: E402
from tests import support  # noqa: E402
from tests.benchmarks import history  # noqa: E402
from tests.benchmarks.common import count_events, runtime_for, say  # noqa: E402

SEED = 11
DEFAULT_EVENTS = 1_000_000


def template_name(events: int) -> str:
    return f"pipeline_bench_scale_{events}_s{SEED}"


def _url(name: str) -> str:
    return support.POSTGRES_ADMIN_URL.rpartition("/")[0] + "/" + name


def _exists(name: str) -> bool:
    with psycopg.connect(support.POSTGRES_ADMIN_URL, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def _mark_done(name: str) -> None:
    """A template is usable only once it is complete: a killed build leaves no comment."""
    with psycopg.connect(support.POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"COMMENT ON DATABASE \"{name}\" IS 'complete'")


def _complete(name: str) -> bool:
    with psycopg.connect(support.POSTGRES_ADMIN_URL, autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
    return bool(row and row[0] == "complete")


def build(name: str, events: int) -> None:
    support.drop_database(_url(name))
    with psycopg.connect(support.POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _url(name)
    started = time.monotonic()
    with runtime_for(url) as rt:
        rt.app.log_moved = None  # write first, apply to the views once at the end
        last = [time.monotonic()]

        def counted() -> int:
            n = count_events(url)
            if time.monotonic() - last[0] > 30:
                say(f"  {n:,} events after {time.monotonic() - started:.0f} s")
                last[0] = time.monotonic()
            return n

        mix = history.top_up(rt.app, counted, events, seed=SEED)
        say(f"  wrote {count_events(url):,} events in {time.monotonic() - started:.0f} s: {mix.describe()}")
        for projection in all_projections():
            if projection.starts_at_head:
                continue
            t0 = time.monotonic()
            runner.catch_up(rt.app, rt.db, projection, batch_size=1000)
            say(f"  {projection.name} caught up in {time.monotonic() - t0:.0f} s")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    _mark_done(name)


def template_for(events: int = DEFAULT_EVENTS, *, rebuild: bool = False) -> str:
    """The template database's name, built first if it is missing, incomplete or ``rebuild``."""
    name = template_name(events)
    if rebuild or not _exists(name) or not _complete(name):
        say(f"building {name} (at least {events:,} events); kept for later runs")
        build(name, events)
    return name


def copy_of(template: str) -> str:
    """A new database copied from the template; its URL (drop it with ``support.drop_database``)."""
    return support.create_database(template)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--rebuild-template", action="store_true", help="Build it again even if it is kept")
    args = parser.parse_args(argv)
    print(template_for(args.events, rebuild=args.rebuild_template))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
