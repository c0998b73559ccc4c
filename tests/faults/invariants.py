"""The check every fault test ends with: nothing acknowledged was lost or doubled, no
aggregate has a hole in its history, and every view, built live through the fault,
equals a rebuild from the log."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from projections import rebuilds, runner
from projections.registry import all_projections
from tests import support
from tests.factories import dump
from workers.runtime.bootstrap import Runtime


@dataclass(frozen=True)
class Ack:
    """A write the API acknowledged: the aggregate it changed and the log position it gave."""

    aggregate_id: UUID
    position: int

    @classmethod
    def of(cls, body: dict[str, Any], aggregate_id: Any = None) -> Ack:
        return cls(UUID(str(aggregate_id or body["id"])), int(body["event_position"]))


def converged(runtime: Runtime) -> bool:
    return all(s.state == "ok" for s in runner.status(runtime.app, runtime.db, all_projections()))


def assert_nothing_lost(runtime: Runtime, acknowledged: Iterable[Ack], *, converge_within: float = 90) -> None:
    """``runtime`` talks straight to the database (not through any proxy under test).
    The views must get to the head by themselves (workers, sweeps): nothing here helps them."""
    acks = list(acknowledged)
    notifications = runtime.app.recorder.select_notifications(start=1, limit=10_000_000)
    at = {n.id: n for n in notifications}

    positions = [a.position for a in acks]
    assert len(set(positions)) == len(positions), "two acknowledged writes share one log position"
    versions: dict[UUID, list[int]] = defaultdict(list)
    first_seen: dict[UUID, int] = {}
    for n in notifications:
        versions[n.originator_id].append(n.originator_version)
        first_seen.setdefault(n.originator_id, n.id)
    # A write's position is the last event of its save (which may change several aggregates).
    missing = [a for a in acks if a.position not in at or first_seen.get(a.aggregate_id, a.position + 1) > a.position]
    assert missing == [], "acknowledged writes missing from the event store"
    gaps = {k: sorted(v) for k, v in versions.items() if sorted(v) != list(range(1, len(v) + 1))}
    assert gaps == {}, "aggregates with a gap or a repeat in their versions"

    support.wait_until(lambda: converged(runtime), timeout=converge_within, interval=0.2, message="views to converge")
    live = dump(runtime.db)
    for projection in all_projections():
        rebuilds.rebuild(runtime.app, runtime.db, projection)
    assert dump(runtime.db) == live, "a view built through the fault differs from a rebuild"
