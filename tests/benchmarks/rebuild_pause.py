"""How long a rebuild of the people view takes, and the longest a reader waited meanwhile
(HTTP GETs through the app, in threads, before and during the rebuild and its switch).

    .venv/bin/python tests/benchmarks/rebuild_pause.py --sign-ups 20000            # PostgreSQL
    .venv/bin/python tests/benchmarks/rebuild_pause.py --sign-ups 20000 --sqlite   # embedded

Not part of `make bench`: it measures one thing for docs/performance.md. It drops what it made."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from projections import rebuilds
from projections.registry import get
from tests import support
from tests.factories import bulk_sign_ups
from web.app import create_app
from workers.runtime.bootstrap import Runtime, build_runtime, initialise
from workers.runtime.settings import Settings


def readers(rt: Runtime, stop: threading.Event, out: list[tuple[float, float]], count: int = 2) -> list[Any]:
    app = create_app(runtime=rt)

    def read() -> None:
        client = app.test_client()
        while not stop.is_set():
            started = time.monotonic()
            response = client.get("/api/v1/people?limit=50")
            if response.status_code != 200 or len(response.get_json()["items"]) != 50:
                raise SystemExit(f"a reader got {response.status_code}: {response.get_data(as_text=True)[:200]}")
            out.append((started, time.monotonic() - started))

    threads = [threading.Thread(target=read, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    return threads


def measure(rt: Runtime) -> None:
    switches: list[tuple[float, float]] = []
    real_switch = rebuilds.switch

    def timed_switch(*args: Any) -> int | None:
        started = time.monotonic()
        try:
            return real_switch(*args)
        finally:
            switches.append((started, time.monotonic()))

    rebuilds.switch = timed_switch  # type: ignore[assignment]
    stop, reads = threading.Event(), []
    threads = readers(rt, stop, reads)
    time.sleep(3)
    began = time.monotonic()
    at = rebuilds.rebuild(rt.app, rt.db, get("people"), batch_size=1000)
    ended = time.monotonic()
    time.sleep(1)
    stop.set()
    for t in threads:
        t.join(30)
    before = [lat for s, lat in reads if s < began]
    during = [lat for s, lat in reads if began <= s <= ended]
    switch_start, switch_end = switches[-1]
    around = [lat for s, lat in reads if switch_start - 1 <= s <= switch_end]
    people = rt.db.query("SELECT COUNT(*) AS n FROM people")[0]["n"]
    print(f"{rt.db.dialect}: rebuilt people ({people} rows) to position {at} in {ended - began:.1f} s")
    print(
        f"  {at / (ended - began):,.0f} log positions/s; switch transaction {1000 * (switch_end - switch_start):.0f} ms"
    )
    for label, sample in (("before", before), ("during the rebuild", during), ("around the switch", around)):
        if sample:
            print(
                f"  reader GET /api/v1/people?limit=50 {label}: {len(sample)} reads, median"
                f" {1000 * statistics.median(sample):.1f} ms, longest {1000 * max(sample):.1f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sign-ups", type=int, default=20000)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/pipeline.sqlite3" if args.sqlite else support.create_database()
        try:
            settings = Settings(database_url=url, secret_key=support.SECRET_KEY)
            initialise(settings)
            rt = build_runtime(settings)
            try:
                bulk_sign_ups(rt.app, args.sign_ups)
                rt.catch_up()
                measure(rt)
            finally:
                rt.close()
        finally:
            if not args.sqlite:
                support.drop_database(url)


if __name__ == "__main__":
    main()
