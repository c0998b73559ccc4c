"""Load generator: run as its own process by run.py.

N client threads, each with one http.client connection (kept alive when the
server allows it), until a deadline or a request budget runs out. Only loopback
URLs are accepted. Two scenarios:

- ``sign-ups`` (the default): POST /api/v1/people with unique emails spread over a
  handful of council codes; success is 201.
- ``pledges``: PUT /api/v1/projects/{id}/pledges/mine with bearer tokens, from a plan
  read as JSON on stdin (``--plan -``), never from argv or a file, since it holds tokens:

      {"clients": [{"project": "<uuid>",
                    "members": [{"token": "...", "organisation": "<uuid>"}, ...]}, ...]}

  Client i pledges to its own ``project`` on behalf of its ``members`` in turn (one
  member per organisation; no organisation belongs to two clients, so the last
  accepted pledge of each is well defined). Every request changes the amount, so
  every accepted request writes an event. Success is 200; ``--clients`` is the
  number of clients in the plan.
- ``reads``: GET requests, from a plan on stdin (``--plan -``): ``{"paths": ["/api/v1/...", ...]}``.
  Client i sends path ``(i * 7919 + n) % len(paths)`` as its nth request, so the clients
  spread over the list (random project ids, for instance) instead of moving in step; success is 200.

Prints one JSON object on stdout:

    {"requests", "ok", "created", "success", "statuses", "errors", "samples", "elapsed",
     "rps", "latency_ms": {"p50", "p95", "p99", "max"}, "connections", "warmup_requests",
     "warmup_ok", "warmup_created", "warmup_problems", "pledges"}

``pledges`` (pledge scenario only) maps "project/organisation" to {"accepted": the last
pledge answered 200 (warm-up included) or null, "unknown": pledges sent after it whose
outcome is unknown (no response, or 5xx)}.
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
from typing import Any
from urllib.parse import urlsplit

DEFAULT_CODES = "WGN,MAN,LDS,BIR,KTT,BST"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
PATH = "/api/v1/people"
HEADERS = {"Content-Type": "application/json", "Accept": "application/json", "Connection": "keep-alive"}
CONTRIBUTION_KINDS = (  # domain.project.CONTRIBUTION_KINDS, without importing the application here
    "user_research",
    "testing",
    "hosting",
    "code_review",
    "content_design",
    "accessibility_audit",
    "other",
)


@dataclass
class Tally:
    """What one client thread saw; merged at the end, so no locking while running."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)  # first body seen per unexpected status
    ok: int = 0
    connections: int = 0

    def merge(self, other: Tally) -> None:
        self.latencies.extend(other.latencies)
        self.statuses.update(other.statuses)
        self.errors.update(other.errors)
        for status, body in other.samples.items():
            self.samples.setdefault(status, body)
        self.ok += other.ok
        self.connections += other.connections

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + sum(self.errors.values())


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


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes
    headers: dict[str, str]
    key: str | None = None  # pledges: "project/organisation", whose pledge this request sets
    value: dict[str, Any] | None = None  # pledges: the pledge as the server normalises it


def sign_up_body(run_id: str, client: int, n: int, codes: list[str]) -> bytes:
    return json.dumps(
        {
            "name": f"Bench Person {client}-{n}",
            "email": f"bench-{run_id}-{client}-{n}@example.org",
            "organisation_code": codes[(client + n) % len(codes)],
            "password": PASSWORD,
        }
    ).encode()


def pledge_value(client: int, n: int) -> dict[str, Any]:
    """The ``n``th pledge of a client, already in the server's normal form (two decimal
    places, contributions sorted and unique). The money grows with ``n``, so it always
    differs from the organisation's previous pledge: every accepted request writes an event."""
    return {
        "money": f"{(n + 1) * 10 + client}.00",
        "days": f"{n % 40 + 1}.{(n * 25) % 100:02d}",
        "contributions": sorted({CONTRIBUTION_KINDS[n % 7], CONTRIBUTION_KINDS[(n + client) % 7]}),
        "message": None,
    }


class SignUps:
    success = 201

    def __init__(self, args: argparse.Namespace) -> None:
        self.run_id, self.codes = args.run_id, args.codes

    def request(self, client: int, n: int) -> Request:
        return Request("POST", PATH, sign_up_body(self.run_id, client, n, self.codes), HEADERS)


class Pledges:
    success = 200

    def __init__(self, plan: dict[str, Any]) -> None:
        self.clients = plan["clients"]

    def request(self, client: int, n: int) -> Request:
        spec = self.clients[client]
        member = spec["members"][n % len(spec["members"])]
        value = pledge_value(client, n)
        return Request(
            "PUT",
            f"/api/v1/projects/{spec['project']}/pledges/mine",
            json.dumps(value).encode(),
            {**HEADERS, "Authorization": f"Bearer {member['token']}"},
            key=f"{spec['project']}/{member['organisation']}",
            value=value,
        )


class Reads:
    success = 200

    def __init__(self, plan: dict[str, Any]) -> None:
        self.paths = plan["paths"]

    def request(self, client: int, n: int) -> Request:
        path = self.paths[(client * 7919 + n) % len(self.paths)]
        return Request("GET", path, b"", {"Accept": "*/*", "Connection": "keep-alive"})


class Ledger(dict[str, dict[str, Any]]):
    """Per "project/organisation": the last pledge answered with success, and any sent
    after it whose fate is unknown (no response, or 5xx). 4xx answers changed nothing."""

    def record(self, request: Request, status: int | None, success: int) -> None:
        if request.key is None:
            return
        entry = self.setdefault(request.key, {"accepted": None, "unknown": []})
        if status == success:
            entry["accepted"], entry["unknown"] = request.value, []
        elif status is None or status >= 500:
            entry["unknown"].append(request.value)


def send_once(
    conn: http.client.HTTPConnection, request: Request, tally: Tally, record: bool, success: int
) -> int | None:
    """One request; records its latency and outcome; returns the status (None: no response).
    Never retries: a POST is not idempotent, and a retried PUT would blur the ledger."""
    if conn.sock is None:
        tally.connections += 1
    started = time.perf_counter()
    try:
        conn.request(request.method, request.path, body=request.body, headers=request.headers)
        response = conn.getresponse()
        payload = response.read()
    except (OSError, http.client.HTTPException) as error:
        conn.close()  # the next request opens a fresh connection
        tally.errors[type(error).__name__] += 1
        return None
    elapsed = time.perf_counter() - started
    if response.will_close:
        conn.close()
    status = str(response.status)
    if response.status == success:
        tally.ok += 1
    elif status not in tally.samples:
        tally.samples[status] = payload[:300].decode(errors="replace")
    if record:
        tally.latencies.append(elapsed)
    tally.statuses[status] += 1
    return response.status


def client_loop(
    host: str,
    port: int,
    client: int,
    args: argparse.Namespace,
    workload: SignUps | Pledges | Reads,
    budget: Budget,
    warmup_end: float,
    deadline: float,
    tally: Tally,
    warmup: Tally,
    ledger: Ledger,
) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=args.timeout)
    n = 0
    try:
        while time.perf_counter() < deadline:
            in_warmup = time.perf_counter() < warmup_end
            if not in_warmup and not budget.take():
                break
            request = workload.request(client, n)
            status = send_once(conn, request, warmup if in_warmup else tally, not in_warmup, workload.success)
            ledger.record(request, status, workload.success)
            n += 1
    finally:
        conn.close()


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(int(round(fraction * len(sorted_values) + 0.5)) - 1, 0)
    return sorted_values[min(rank, len(sorted_values) - 1)]


def summary(tally: Tally, warmup: Tally, elapsed: float, success: int, ledger: Ledger | None) -> dict[str, object]:
    latencies = sorted(tally.latencies)
    requests = tally.requests
    result: dict[str, object] = {
        "requests": requests,
        "ok": tally.ok,
        "created": tally.ok if success == 201 else 0,
        "success": success,
        "statuses": dict(tally.statuses),
        "errors": dict(tally.errors),
        "samples": tally.samples,
        "elapsed": elapsed,
        "rps": requests / elapsed if elapsed else 0.0,
        "created_per_s": tally.ok / elapsed if elapsed else 0.0,
        "latency_ms": {
            name: percentile(latencies, q) * 1000
            for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
        },
        "connections": tally.connections + warmup.connections,
        "warmup_requests": warmup.requests,
        "warmup_ok": warmup.ok,
        "warmup_created": warmup.ok if success == 201 else 0,
        "warmup_problems": {**dict(warmup.errors), **{k: v for k, v in warmup.statuses.items() if k != str(success)}},
    }
    if ledger is not None:
        result["pledges"] = dict(ledger)
    return result


def run(args: argparse.Namespace) -> dict[str, object]:
    parts = urlsplit(args.url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK or not parts.port:
        raise SystemExit(f"load.py only talks to http://127.0.0.1:PORT (loopback), not {args.url!r}")
    workload: SignUps | Pledges | Reads = (
        Pledges(args.plan)
        if args.scenario == "pledges"
        else Reads(args.plan)
        if args.scenario == "reads"
        else SignUps(args)
    )
    budget = Budget(args.max_requests)
    tallies = [Tally() for _ in range(args.clients)]
    warmups = [Tally() for _ in range(args.clients)]
    ledgers = [Ledger() for _ in range(args.clients)]
    start = time.perf_counter()
    warmup_end = start + args.warmup
    deadline = warmup_end + args.seconds
    threads = [
        threading.Thread(
            target=client_loop,
            name=f"client-{i}",
            daemon=True,
            args=(
                parts.hostname,
                parts.port,
                i,
                args,
                workload,
                budget,
                warmup_end,
                deadline,
                tallies[i],
                warmups[i],
                ledgers[i],
            ),
        )
        for i in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(args.seconds + args.warmup + args.timeout + 5)
    elapsed = time.perf_counter() - max(warmup_end, start)
    total, warm, ledger = Tally(), Tally(), Ledger()
    for tally, warmup, client_ledger in zip(tallies, warmups, ledgers, strict=True):
        total.merge(tally)
        warm.merge(warmup)
        ledger.update(client_ledger)  # keys never overlap: no organisation belongs to two clients
    return summary(total, warm, elapsed, workload.success, ledger if args.scenario == "pledges" else None)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="Base URL of the API, e.g. http://127.0.0.1:8000")
    parser.add_argument("--scenario", choices=("sign-ups", "pledges", "reads"), default="sign-ups")
    parser.add_argument("--plan", help="Pledges, reads: '-' to read the plan (JSON) from stdin")
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
    if args.scenario == "pledges":
        if args.plan != "-":
            parser.error("the pledges scenario reads its plan from stdin: give --plan -")
        args.plan = json.load(sys.stdin)
        if len(args.plan["clients"]) != args.clients or not all(c["members"] for c in args.plan["clients"]):
            parser.error("--clients must equal the number of clients in the plan, each with members")
    if args.scenario == "reads":
        if args.plan != "-":
            parser.error("the reads scenario reads its paths from stdin: give --plan -")
        args.plan = json.load(sys.stdin)
        if not args.plan.get("paths"):
            parser.error("the reads plan needs a non-empty list of paths")
    return args


def main(argv: list[str] | None = None) -> int:
    json.dump(run(parse_args(argv)), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
