"""A per-process cache of aggregates that can never hand out a stale or half-made one.

eventsourcing's own cache (``AGGREGATE_CACHE_MAXSIZE`` with fast-forward) already reads
the events stored since the cached version on every ``get`` (so another process's writes
are seen) and hands out a deep copy (so a command's changes, saved or not, never reach
the cache). Two gaps remain in 9.5.6's ``Repository.get``: it fast-forwards the cached
object in place, so an error half-way through (a failed read, an event that will not
apply) leaves it half-mutated; and it deep-copies *after* releasing the aggregate's lock,
so another thread can fast-forward the same object while it is being copied (a torn copy:
its version from one moment, its pledges from another). Here the read, the catch-up and
the copy all happen under the aggregate's lock; the catch-up applies the new events to the
cached aggregate itself (no reader or command holds it: they get copies), and if that fails
half-way the aggregate is evicted, so a half-made one is never kept or handed out (all
events are read before any is applied). Historic versions (``version=...``) bypass the cache.

Reads that change nothing (``deepcopy_from_cache=False``: the web's signed-in person, checked
on every request) get one copy per cached version, shared by every such read, instead of a
copy each. That copy is made from the cached aggregate and never given back to it: commands
copy the cached aggregate, which no reader holds, so whatever a reader did to its copy can
never reach a command or the cache. Readers agree not to change it, since they share it."""

from __future__ import annotations

import weakref
from copy import deepcopy
from typing import Any, cast

from eventsourcing.application import AggregateNotFoundError, Repository, project_aggregate

DEFAULT_MAXSIZE = "2000"  # aggregates per process; PIPELINE_AGGREGATE_CACHE_MAXSIZE overrides it


class CachingRepository(Repository[Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_copies: dict[Any, tuple[weakref.ref[Any], int, Any]] = {}  # id -> (cached one, version, copy)

    def get(
        self,
        aggregate_id: Any,
        *,
        version: int | None = None,
        projector_func: Any = project_aggregate,
        fastforward_skipping: bool = False,
        deepcopy_from_cache: bool = True,
    ) -> Any:
        if self.cache is None or version is not None or projector_func is not project_aggregate:
            return super().get(aggregate_id, version=version, projector_func=projector_func)
        lock = self._use_fastforward_lock(aggregate_id)
        try:
            with lock:
                current = self._current(aggregate_id)
                return deepcopy(current) if deepcopy_from_cache else self._read_copy(aggregate_id, current)
        finally:
            self._disuse_fastforward_lock(aggregate_id)

    def get_at_head(self, aggregate_id: Any, head: int | None, *, deepcopy_from_cache: bool = True) -> Any:
        """As ``get``, for a caller that has just read the aggregate's stored head version
        (with something else, in one query): a cached aggregate at that version is handed
        out (copied as ``get`` would) without asking the event store again; otherwise ``get``."""
        if self.cache is None or head is None:
            return self.get(aggregate_id, deepcopy_from_cache=deepcopy_from_cache)
        lock = self._use_fastforward_lock(aggregate_id)
        try:
            with lock:
                try:
                    cached = cast(Any, self.cache).get(aggregate_id)
                except KeyError:
                    cached = None
                if cached is not None and cached.version == head:
                    return deepcopy(cached) if deepcopy_from_cache else self._read_copy(aggregate_id, cached)
        finally:
            self._disuse_fastforward_lock(aggregate_id)
        return self.get(aggregate_id, deepcopy_from_cache=deepcopy_from_cache)

    def _read_copy(self, aggregate_id: Any, current: Any) -> Any:
        """The copy of ``current`` (the cached aggregate) that reads share (caller holds its lock).
        It goes when ``current`` does (replaced by a newer version, or evicted)."""
        entry = self._read_copies.get(aggregate_id)
        if entry is not None and entry[1] == current.version and entry[0]() is current:
            return entry[2]
        copy = deepcopy(current)
        self._read_copies[aggregate_id] = (weakref.ref(current, self._forgetter(aggregate_id)), current.version, copy)
        return copy

    def _forgetter(self, aggregate_id: Any) -> Any:
        def forget(gone: weakref.ref[Any]) -> None:
            entry = self._read_copies.get(aggregate_id)
            if entry is not None and entry[0] is gone:  # not a newer version's entry
                self._read_copies.pop(aggregate_id, None)

        return forget

    def _current(self, aggregate_id: Any) -> Any:
        """The cached aggregate brought up to the stored head (caller holds its lock)."""
        cache = cast(Any, self.cache)
        fresh: Any
        try:
            cached = cache.get(aggregate_id)
        except KeyError:
            fresh = self._reconstruct_aggregate(aggregate_id, None, cast(Any, project_aggregate))
        else:
            new_events = list(self.event_store.get(originator_id=aggregate_id, gt=cached.version))
            if not new_events:
                return cached
            try:
                fresh = project_aggregate(cached, new_events)
            except BaseException:
                cache.get(aggregate_id, evict=True)  # perhaps half-applied: the log rebuilds it next time
                raise
            if fresh is None:
                cache.get(aggregate_id, evict=True)
                raise AggregateNotFoundError(aggregate_id)
        cache.put(aggregate_id, fresh)
        return fresh
