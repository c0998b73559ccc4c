"""A worker's catch-up beside the one-pass rebuild, on the same log in one run.

    .venv/bin/python tests/benchmarks/catchup.py [--events 20000] [--batch-size N]

Makes a fresh PostgreSQL database, writes a log of at least ``--events`` events in bulk with
``history.top_up`` (sign-ups and the stories around projects, the views left behind), then times:

- (a) one read + decode pass over the whole log (``rebuild.read_whole_log``);
- (c) a worker's catch-up: every view emptied and put back at position 0 in one transaction,
  then ``runner.catch_up`` per view in turn with the configured batch size (``PIPELINE_BATCH_SIZE``,
  or ``--batch-size``), as a job does; then ``verify`` of every view, which must be clean;
- (b) ``rebuilds.rebuild_all`` of every view (one read of the log, copies beside, switch).

It prints events/s for each, the ratios (c)/(b) and (b)/(a), and each view's share: its
catch-up's seconds against its lane's seconds in the pass (both as log events/s). Exit status 1
if a view differs from the log after (c). The database is dropped at the end."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make the `tests` package importable

from projections import rebuilds, runner, verify  # noqa: E402
from projections.base import Projection  # noqa: E402
from projections.db import ReadDatabase  # noqa: E402
from projections.onepass import Pass  # noqa: E402
from projections.registry import all_projections  # noqa: E402
from tests.benchmarks import history  # noqa: E402
from tests.benchmarks.common import (  # noqa: E402
    Row,
    count_events,
    fresh_postgres,
    markdown_table,
    per_s,
    runtime_for,
    say,
    timed,
)
from tests.benchmarks.rebuild import read_whole_log  # noqa: E402


def views() -> list[Projection]:
    return [p for p in all_projections() if not p.starts_at_head]


def empty(db: ReadDatabase, view: Projection) -> None:
    """The view's tables emptied and its position back to 0, as a new view's would be."""
    with db.transaction() as tx:
        for table in view.tables_for(db.dialect):
            tx.execute(f"DELETE FROM {table}")
        tx.execute("UPDATE projection_positions SET position = 0 WHERE name = :name", {"name": view.name})


def rate(events: int, seconds: float) -> str:
    return f"{seconds:.2f} s = {per_s(events / seconds if seconds else float('inf'))}"


def catch_up_all(rt: Any, batch: int) -> dict[str, float]:
    """(c): every view emptied at position 0, then caught up in turn as a job would; seconds each."""
    seconds: dict[str, float] = {}
    for view in views():
        empty(rt.db, view)
    for view in views():
        started = time.perf_counter()
        runner.catch_up(rt.app, rt.db, view, batch_size=batch)
        seconds[view.name] = time.perf_counter() - started
        say(f"    {view.name}: caught up in {seconds[view.name]:.2f} s")
    return seconds


def differing(rt: Any) -> list[str]:
    """The views ``verify`` finds different from the log."""
    return [v.name for v in views() if not verify.verify(rt.app, rt.db, v, advance=lambda n: None).identical]


def rebuild_all(rt: Any) -> tuple[float, dict[str, float]]:
    """(b): the one-pass rebuild of every view; its seconds, and each view's lane seconds."""
    timings: list[Pass] = []
    _, seconds = timed(lambda: rebuilds.rebuild_all(rt.app, rt.db, views(), timings=timings))
    lanes: dict[str, float] = {}
    for one in timings:
        for feed in one.feeds:
            lanes[feed.copy.live.name] = lanes.get(feed.copy.live.name, 0.0) + feed.seconds
    return seconds, lanes


def table(
    events: int, batch: int, read_s: float, rebuild_s: float, catch_s: dict[str, float], lanes: dict[str, float]
) -> str:
    total = sum(catch_s.values())
    rows = [
        Row("(a) one read + decode pass", rate(events, read_s), "", ""),
        Row("(b) one-pass rebuild, all views", rate(events, rebuild_s), "(a)", f"(b)/(a) = {read_s / rebuild_s:.2f}"),
        Row(
            f"(c) catch-up, all views, batch {batch}", rate(events, total), "(b)", f"(c)/(b) = {rebuild_s / total:.2f}"
        ),
    ]
    for name, mine in catch_s.items():
        lane = lanes.get(name, 0.0)
        rows.append(
            Row(
                f"(c) {name} (log events/s)",
                rate(events, mine),
                f"(b) lane: {rate(events, lane)}",
                f"{lane / mine:.2f}",
            )
        )
    note = f"`rebuild --all` takes {rebuild_s / read_s:.1f}x the read pass; (c) takes {total / read_s:.1f}x"
    return markdown_table(rows) + "\n\n" + note


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=None, help="default: the settings' (PIPELINE_BATCH_SIZE)")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        url = fresh_postgres(stack)
        rt = stack.enter_context(runtime_for(url))
        rt.app.log_moved = None  # write first; the views are applied below
        mix, seconds = timed(lambda: history.top_up(rt.app, lambda: count_events(url), args.events))
        events = count_events(url)
        say(f"wrote {events:,} events in {seconds:.0f} s: {mix.describe()}")
        batch = args.batch_size or rt.settings.batch_size
        _, read_s = timed(lambda: read_whole_log(rt.app))
        say(f"(a) one read + decode pass: {rate(events, read_s)}")
        catch_s = catch_up_all(rt, batch)
        say(f"(c) catch-up of every view, batch {batch}: {rate(events, sum(catch_s.values()))}")
        wrong = differing(rt)
        say("verify after (c): " + (f"DIFFERS: {', '.join(wrong)}" if wrong else "clean"))
        rebuild_s, lanes = rebuild_all(rt)
        say(f"(b) one-pass rebuild of every view: {rate(events, rebuild_s)}")
    print(f"\n{events:,} events, PostgreSQL, one run\n")
    print(table(events, batch, read_s, rebuild_s, catch_s, lanes))
    if wrong:
        print("FAIL: verify differs after the catch-up:", ", ".join(wrong))
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
