"""Group commit, in-process: pledges/s from 1, 8 and 32 threads, each pledging for its own
organisation to its own project, with each command's save on its own and with concurrent
commands' saves grouped (``domain.group_commit``), beside a raw ``INSERT ... COMMIT`` loop
on the same server (psycopg, one connection per thread, one row per transaction).

    .venv/bin/python tests/benchmarks/group_commit.py [--seconds 5]

Also run by run.py as the ``group`` phase."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import Report, fresh_postgres, per_s, ratio, runtime_for, say
from tests.benchmarks.load import pledge_value
from tests.benchmarks.pledges import make_members, propose

CLIENTS = (1, 8, 32)


def threaded_rate(clients: int, seconds: float, operation: Any) -> float:
    """Operations/s of ``clients`` threads calling ``operation(client, n)`` for ``seconds``."""
    counts = [0] * clients
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def run(i: int) -> None:
        start.wait()
        while time.monotonic() < deadline[0]:
            operation(i, counts[i])
            counts[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + seconds
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - began)


def raw_insert_rate(database_url: str, clients: int, seconds: float) -> float:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS raw_insert_bench (id bigserial PRIMARY KEY, state bytea NOT NULL)")
    connections = [psycopg.connect(database_url, autocommit=True) for _ in range(clients)]
    payload = b"x" * 300  # about a pledge event's size

    def insert(i: int, _n: int) -> None:
        connections[i].execute("INSERT INTO raw_insert_bench (state) VALUES (%s)", (payload,))

    try:
        return threaded_rate(clients, seconds, insert)
    finally:
        for conn in connections:
            conn.close()


def group_phase(report: Report, database_url: str, seconds: float) -> None:
    with runtime_for(database_url) as rt:
        rt.app.log_moved = None  # the commands alone
        say(f"  {max(CLIENTS) + 1} verified members of different councils, and a project each")
        owner, *members = make_members(rt, max(CLIENTS) + 1, uuid.uuid4().hex[:10])
        projects = [propose(rt.app, owner, f"Group {i}") for i in range(max(CLIENTS))]
        offset = [0]

        def pledge(i: int, n: int) -> None:
            rt.app.pledge_for_organisation(projects[i], members[i].person_id, pledge_value(i, offset[0] + n))

        for clients in CLIENTS:
            rates = {}
            for grouped in (False, True):
                rt.app.group_commit = grouped
                offset[0] += 100_000  # every pledge differs from the one before it
                say(f"  {clients} thread(s), {'grouped' if grouped else 'one save per command'}: {seconds:g} s")
                rates[grouped] = threaded_rate(clients, seconds, pledge)
            raw = raw_insert_rate(database_url, clients, seconds)
            for grouped, label in ((False, "one save per command"), (True, "grouped saves")):
                report.add(
                    f"group commit: app.pledge from {clients} thread(s), {label}",
                    per_s(rates[grouped]),
                    f"{per_s(raw)} (raw INSERT + COMMIT, {clients} connection(s))",
                    ratio(rates[grouped], raw),
                )
            report.add(
                f"group commit: {clients} thread(s), grouped vs one save per command",
                per_s(rates[True]),
                per_s(rates[False]),
                ratio(rates[True], rates[False]),
            )


def main() -> int:
    from tests.benchmarks.common import markdown_table

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    report = Report()
    with contextlib.ExitStack() as stack:
        group_phase(report, fresh_postgres(stack), args.seconds)
    print(markdown_table(report.rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
