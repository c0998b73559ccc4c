"""Load generator for the sign-up endpoint: run as its own process by run.py.

N client threads, each with one http.client connection (kept alive when the
server allows it), POST /api/v1/people with unique emails spread over a
handful of council codes, until a deadline or a request budget runs out.
Only loopback URLs are accepted. Prints one JSON object on stdout:

    {"requests", "created", "statuses", "errors", "elapsed", "rps",
     "latency_ms": {"p50", "p95", "p99", "max"}, "connections", "warmup_created"}
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_CODES = "WGN,MAN,LDS,BIR,KTT,BST"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
PATH = "/api/v1/people"
HEADERS = {"Content-Type": "application/json", "Accept": "application/json", "Connection": "keep-alive"}


@dataclass
class Tally:
    """What one client thread saw; merged at the end, so no locking while running."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)  # first body seen per non-201 status
    created: int = 0
    connections: int = 0

    def merge(self, other: Tally) -> None:
        self.latencies.extend(other.latencies)
        self.statuses.update(other.statuses)
        self.errors.update(other.errors)
        for status, body in other.samples.items():
            self.samples.setdefault(status, body)
        self.created += other.created
        self.connections += other.connections


class Budget:
    """A shared request count; ``take`` is False once it is spent."""

    def __init__(self, total: int) -> None:
        self._left = total
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True


PASSWORD = "benchmark passphrase, long enough"


def sign_up_body(run_id: str, client: int, n: int, codes: list[str]) -> bytes:
    return json.dumps(
        {
            "name": f"Bench Person {client}-{n}",
            "email": f"bench-{run_id}-{client}-{n}@example.org",
            "organisation_code": codes[(client + n) % len(codes)],
            "password": PASSWORD,
        }
    ).encode()


def post_once(conn: http.client.HTTPConnection, body: bytes, tally: Tally, record: bool) -> None:
    """One POST; records its latency and outcome. Never retries: a POST is not idempotent."""
    if conn.sock is None:
        tally.connections += 1
    started = time.perf_counter()
    try:
        conn.request("POST", PATH, body=body, headers=HEADERS)
        response = conn.getresponse()
        payload = response.read()
    except (OSError, http.client.HTTPException) as error:
        conn.close()  # the next request opens a fresh connection
        tally.errors[type(error).__name__] += 1
        return
    elapsed = time.perf_counter() - started
    if response.will_close:
        conn.close()
    status = str(response.status)
    if response.status == 201:
        tally.created += 1
    elif status not in tally.samples:
        tally.samples[status] = payload[:300].decode(errors="replace")
    if record:
        tally.latencies.append(elapsed)
        tally.statuses[status] += 1


def client_loop(
    host: str,
    port: int,
    client: int,
    args: argparse.Namespace,
    budget: Budget,
    warmup_end: float,
    deadline: float,
    tally: Tally,
    warmup: Tally,
) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=args.timeout)
    n = 0
    try:
        while time.perf_counter() < deadline:
            in_warmup = time.perf_counter() < warmup_end
            if not in_warmup and not budget.take():
                break
            post_once(
                conn,
                sign_up_body(args.run_id, client, n, args.codes),
                warmup if in_warmup else tally,
                record=not in_warmup,
            )
            n += 1
    finally:
        conn.close()


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(int(round(fraction * len(sorted_values) + 0.5)) - 1, 0)
    return sorted_values[min(rank, len(sorted_values) - 1)]


def summary(tally: Tally, warmup: Tally, elapsed: float) -> dict[str, object]:
    latencies = sorted(tally.latencies)
    requests = len(latencies) + sum(tally.errors.values())
    return {
        "requests": requests,
        "created": tally.created,
        "statuses": dict(tally.statuses),
        "errors": dict(tally.errors),
        "samples": tally.samples,
        "elapsed": elapsed,
        "rps": requests / elapsed if elapsed else 0.0,
        "created_per_s": tally.created / elapsed if elapsed else 0.0,
        "latency_ms": {
            name: percentile(latencies, q) * 1000
            for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
        },
        "connections": tally.connections,
        "warmup_created": warmup.created,
        "warmup_problems": {**dict(warmup.errors), **{k: v for k, v in warmup.statuses.items() if k != "201"}},
    }


def run(args: argparse.Namespace) -> dict[str, object]:
    parts = urlsplit(args.url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK or not parts.port:
        raise SystemExit(f"load.py only talks to http://127.0.0.1:PORT (loopback), not {args.url!r}")
    budget = Budget(args.max_requests)
    tallies = [Tally() for _ in range(args.clients)]
    warmups = [Tally() for _ in range(args.clients)]
    start = time.perf_counter()
    warmup_end = start + args.warmup
    deadline = warmup_end + args.seconds
    threads = [
        threading.Thread(
            target=client_loop,
            name=f"client-{i}",
            daemon=True,
            args=(parts.hostname, parts.port, i, args, budget, warmup_end, deadline, tallies[i], warmups[i]),
        )
        for i in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(args.seconds + args.warmup + args.timeout + 5)
    elapsed = time.perf_counter() - max(warmup_end, start)
    total, warm = Tally(), Tally()
    for tally, warmup in zip(tallies, warmups, strict=True):
        total.merge(tally)
        warm.merge(warmup)
    return summary(total, warm, elapsed)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="Base URL of the API, e.g. http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=8, help="Concurrent client threads (default 8)")
    parser.add_argument("--seconds", type=float, default=15.0, help="Measured duration (default 15)")
    parser.add_argument("--warmup", type=float, default=1.0, help="Unmeasured warm-up seconds first (default 1)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="Stop after this many measured requests")
    parser.add_argument("--timeout", type=float, default=30.0, help="Per-request socket timeout in seconds")
    parser.add_argument(
        "--codes",
        type=lambda s: s.split(","),
        default=DEFAULT_CODES.split(","),
        help=f"Council register codes to spread sign-ups over (default {DEFAULT_CODES})",
    )
    parser.add_argument("--run-id", default=uuid.uuid4().hex[:10], help="Makes the emails unique to this run")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.max_requests < 1:
        parser.error("--clients, --seconds and --max-requests must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    json.dump(run(parse_args(argv)), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
