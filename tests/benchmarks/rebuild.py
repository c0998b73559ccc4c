"""The rebuild figures: `pipeline projections rebuild --all` (one read of the log for every view)
as a subprocess, beside one read-and-decode pass of the same log, with its peak RSS and each
view's share, on PostgreSQL and on SQLite (the same log exported and imported).

``run.py`` calls ``rebuild_phase`` on the production database after the load; the ``--scale``
run calls ``scale_rebuild(report, url)`` on a copy of the 1M-event template. Standalone:

    .venv/bin/python tests/benchmarks/rebuild.py --events 100000   # a copy of scale.py's template
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make the `tests` package importable

from projections.rebuilds import BATCH  # noqa: E402
from tests import support  # noqa: E402
from tests.benchmarks.common import Report, count_events, per_s, ratio, runtime_for, say, timed  # noqa: E402

_RSS = (
    "import resource, subprocess, sys, json\n"
    "code = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True).returncode\n"
    "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'code': code, 'rss_kb': use.ru_maxrss, 'cpu': use.ru_utime + use.ru_stime}))\n"
)


def read_whole_log(app: object, page: int = BATCH) -> int:
    """The baseline: page through the log and decode every event; returns how many."""
    recorder, mapper = app.recorder, app.mapper  # type: ignore[attr-defined]
    count, start = 0, 1
    while notifications := recorder.select_notifications(start, limit=page):
        for notification in notifications:
            mapper.to_domain_event(notification)
        count += len(notifications)
        start = notifications[-1].id + 1
    return count


def read_rate(database_url: str, passes: int = 1) -> tuple[int, float]:
    """Events in the log and the seconds of one read-and-decode pass (the fastest of ``passes``)."""
    with runtime_for(database_url, init=False) as rt:
        runs = [timed(lambda: read_whole_log(rt.app)) for _ in range(passes)]
    return runs[0][0], min(seconds for _, seconds in runs)


@dataclass
class CliRun:
    seconds: float  # net of the interpreter's start-up and connections
    rss_mb: float
    cpu: float  # the command's own CPU seconds, start-up included (PostgreSQL's not): steadier on a busy machine
    start_up: float  # wall seconds of `projections status`, taken off ``seconds``


def cli_rebuild(database_url: str, workdir: Path) -> CliRun:
    """`pipeline projections rebuild --all` in a child process: seconds, peak RSS, each view's line."""
    env = support.pipeline_env(DATABASE_URL=database_url)
    _, start_up = timed(lambda: support.run_cli("projections", "status", env=env, cwd=workdir, timeout=600))
    out = workdir / "rebuild.out"
    command = [sys.executable, "-c", _RSS, str(support.BIN / "pipeline"), "projections", "rebuild", "--all"]
    with out.open("w") as sink:
        started = time.perf_counter()
        child = subprocess.run(command, env=dict(env), cwd=workdir, stdout=subprocess.PIPE, stderr=sink, text=True)
        seconds = time.perf_counter() - started
    result = json.loads(child.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise RuntimeError(f"rebuild --all failed ({result['code']}): {out.read_text()[-2000:]}")
    return CliRun(max(seconds - start_up, 1e-9), result["rss_kb"] / 1024, result["cpu"], start_up)


def views_of(database_url: str, workdir: Path) -> dict[str, tuple[int, float, float]]:
    """Each view's events, the seconds its lane spent mapping and writing, and the CPU seconds of
    those, from an in-process one-pass rebuild (the same code the command runs)."""
    from projections import rebuilds
    from projections.onepass import Pass
    from workers.runtime import follow

    timings: list[Pass] = []
    with runtime_for(database_url, init=False) as rt:
        rebuilds.rebuild_all(rt.app, rt.db, follow.all_followers(), timings=timings)
    shares: dict[str, tuple[int, float, float]] = {}
    for one in timings:
        for feed in one.feeds:
            events, seconds, cpu = shares.get(feed.copy.live.name, (0, 0.0, 0.0))
            shares[feed.copy.live.name] = (events + feed.events, seconds + feed.seconds, cpu + feed.cpu)
    return shares


def measure(report: Report, database_url: str, label: str, *, per_view: bool = True) -> None:
    """The rows for one database: the command beside one read pass, its RSS, each view's share."""
    workdir = Path(tempfile.mkdtemp(prefix="pipeline-bench-rebuild-"))
    try:
        events, read_seconds = read_rate(database_url)
        say(f"  {label}: {events:,} events; one read-and-decode pass {read_seconds:.1f} s")
        run = cli_rebuild(database_url, workdir)
        say(
            f"  {label}: rebuild --all {run.seconds:.1f} s net (start-up {run.start_up:.1f} s),"
            f" {run.cpu:.1f} CPU s, peak RSS {run.rss_mb:.0f} MB"
        )
        _, again = read_rate(database_url)  # beside it again: the machine is shared, take the faster
        read_seconds = min(read_seconds, again)
        report.add(
            f"{label}: `pipeline projections rebuild --all` (one pass), {events:,} events: seconds",
            f"{run.seconds:.1f} s = {per_s(events / run.seconds)}",
            f"{read_seconds:.1f} s = {per_s(events / read_seconds)} (one read + decode pass)",
            ratio(run.seconds, read_seconds),
        )
        report.add(
            f"{label}: rebuild --all, the command's CPU with its start-up ({run.start_up:.1f} s wall)",
            f"{run.cpu:.1f} s",
            "",
            "",
        )
        report.add(f"{label}: rebuild --all peak RSS ({events:,} events)", f"{run.rss_mb:.0f} MB", "flat", "")
        if per_view:
            for name, (mine, seconds, cpu) in sorted(views_of(database_url, workdir).items()):
                rate = events / seconds if seconds else float("inf")
                report.add(
                    f"{label}: {name} in the pass ({mine:,} of {events:,} events are its; its lane's seconds,"
                    " of them CPU)",
                    f"{seconds:.2f} s = {per_s(rate)} log events/s (CPU {cpu:.2f} s)",
                    "20,000/s (target)",
                    ratio(rate, 20_000),
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def as_sqlite(database_url: str, stack: contextlib.ExitStack) -> str:
    """The same log in a SQLite store: `pipeline events export` here, `import` there."""
    folder = Path(tempfile.mkdtemp(prefix="pipeline-bench-sqlite-"))
    stack.callback(shutil.rmtree, folder, True)
    dump = folder / "log.jsonl"
    support.run_cli("events", "export", str(dump), env=support.pipeline_env(DATABASE_URL=database_url), timeout=3600)
    sqlite_url = f"sqlite:///{folder}/pipeline.sqlite3"
    env = support.pipeline_env(DATABASE_URL=sqlite_url)
    support.run_cli("events", "import", str(dump), env=env, cwd=folder, timeout=7200)
    dump.unlink()
    return sqlite_url


def rebuild_both(report: Report, database_url: str, *, sqlite: bool = True) -> None:
    measure(report, database_url, "PostgreSQL")
    if sqlite:
        with contextlib.ExitStack() as stack:
            say("  exporting the log into a SQLite store")
            measure(report, as_sqlite(database_url, stack), "SQLite")


def scale_rebuild(report: Report, url: str) -> None:
    """For the ``--scale`` run, on a copy of the 1M-event template: PostgreSQL, and SQLite when
    PIPELINE_BENCH_SCALE_SQLITE=1 (exporting and importing a million events takes long)."""
    say(f"rebuild at scale: {count_events(url):,} events")
    rebuild_both(report, url, sqlite=os.environ.get("PIPELINE_BENCH_SCALE_SQLITE") == "1")


def main(argv: list[str] | None = None) -> int:
    from tests.benchmarks import scale
    from tests.benchmarks.common import markdown_table

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="which scale.py template to copy")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    name = scale.template_name(args.events)
    if not scale._complete(name):
        raise SystemExit(f"{name} is not built (complete): run tests/benchmarks/scale.py --events {args.events}")
    url = _copy(scale, name)
    report = Report()
    try:
        rebuild_both(report, url, sqlite=not args.no_sqlite)
    finally:
        support.drop_database(url)
    print(markdown_table(report.rows))
    for line in report.failures:
        print("FAIL:", line)
    return 1 if report.failures else 0


def _copy(scale: object, name: str) -> str:
    for _ in range(60):  # the template is busy while another session is connected to it
        try:
            return scale.copy_of(name)  # type: ignore[attr-defined]
        except Exception:
            time.sleep(1)
    return scale.copy_of(name)  # type: ignore[attr-defined]


if __name__ == "__main__":
    raise SystemExit(main())
