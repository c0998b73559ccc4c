"""One read of the log for several copies being rebuilt: each page of the log is read and
decoded once, then every copy is given the events whose topics it follows and that lie past
its own position, mapped to statements (from the events alone, as ever) and written with its
new position in one transaction of its own.

Copies may stand at different positions (a killed rebuild left one part-way, another is new):
the read starts at the lowest and a copy ignores what it already has. Each copy moves its
position row with its rows, exactly as ``runner.commit_batch`` does, so a kill anywhere loses
nothing and the next run carries on from each copy's own position.

One transaction per copy and page rather than one for all: a copy whose position moved under
it (another rebuild of the same view racing) then loses only its own batch, and with pages of
thousands of events the commits are a few hundred for a million events, too few to matter."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import Notification

from projections import bulk, runner
from projections.base import Reveal, Statement
from projections.beside import Copy
from projections.db import ReadDatabase, Transaction
from projections.eventlog import EventLog

log = logging.getLogger(__name__)

AHEAD = 2  # pages read ahead of the slowest lane
LANES = 4  # PostgreSQL: at most this many lanes (threads, each one pooled connection at a time)


@dataclass
class Feed:
    """One copy in the pass: where it stands and what it has cost so far."""

    copy: Copy
    at: int
    top: int  # how far it may go: the pass's end, or less while a view it reads lags (``reads``)
    topics: frozenset[str] = field(init=False)
    gone: bool = False  # its position row went: another rebuild switched it in
    events: int = 0  # events it was given
    seconds: float = 0.0  # mapping them and writing its batches
    cpu: float = 0.0  # of those seconds, its lane's CPU (the rest it waited: the database, other lanes)

    def __post_init__(self) -> None:
        self.topics = frozenset(self.copy.topics())


@dataclass
class Pass:
    """What a pass did: the events read, the time reading and decoding them, each feed."""

    feeds: list[Feed]
    read: int = 0
    read_seconds: float = 0.0

    def positions(self) -> dict[str, int]:
        return {f.copy.name: f.at for f in self.feeds if not f.gone}


@dataclass(frozen=True)
class Page:
    """One read of the log, decoded: what every lane is handed."""

    new: int  # the log position the page takes its copies to
    notifications: Sequence[Notification]
    events: list[Any]
    app: EventLog  # whose key store opens sealed fields (``LazyReveal``)


class Lane(threading.Thread):
    """Maps and writes pages into its copies, in order, on a thread (and connection) of its own,
    so the database works on one copy's batch while Python decodes the next page or maps another
    copy's. At most ``AHEAD`` pages wait for it: memory stays flat, however long the log."""

    def __init__(self, db: ReadDatabase, feeds: list[Feed], at: int) -> None:
        super().__init__(name=f"rebuild-{'-'.join(f.copy.live.name for f in feeds)}", daemon=True)
        self.db, self.feeds = db, feeds
        self.pages: queue.Queue[Page | None] = queue.Queue(maxsize=AHEAD)
        self.reached = at  # the last page end applied
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while (page := self.pages.get()) is not None:
                for feed in self.feeds:
                    _feed(self.db, feed, page)
                self.reached = page.new
        except BaseException as error:  # handed to the reading thread, which raises it
            self.error = error

    def stop(self) -> None:
        """No more pages: the lane finishes those it has and ends."""
        while self.is_alive():
            try:
                self.pages.put(None, timeout=0.2)
                return
            except queue.Full:
                continue

    def give(self, page: Page) -> None:
        while self.error is None and self.is_alive():
            try:
                self.pages.put(page, timeout=0.2)
                return
            except queue.Full:
                continue
        if self.error is not None:
            raise self.error


class LazyReveal:
    """A copy's revealer for one page, made when it first opens a sealed field (the people
    view): the other copies neither fetch nor unwrap keys. It fetches at once the keys of the
    people whose events the copy was given, not of every originator in the page; a field sealed
    under anyone else's key fetches that key when first met (``KeyStore.revealer``)."""

    def __init__(self, app: EventLog, events: list[Any]) -> None:
        self.app, self.events = app, events
        self._reveal: Reveal | None = None

    def __call__(self, person_id: Any, sealed: Any) -> str | None:
        if self._reveal is None:
            self._reveal = self.app.personal.revealer({e.originator_id for e in self.events})
        return self._reveal(person_id, sealed)


def fill(
    app: EventLog,
    db: ReadDatabase,
    copies: list[Copy],
    advance: runner.Progress,
    *,
    batch_size: int,
    until: int | None = None,
) -> Pass:
    """Read the log once from the lowest copy's position up to ``until`` (default: the head)
    and apply it to every copy; ``advance`` hears of the log positions covered. PostgreSQL shares
    the copies among up to ``LANES`` lanes; SQLite has one lane for all (one writer at a time)."""
    top = runner.head(app) if until is None else until
    done = Pass([_feed_for(app, db, c, top) for c in copies])
    cursor = reported = min((f.at for f in done.feeds), default=top)
    count = min(LANES, len(done.feeds)) if db.dialect == "postgres" else 1
    lanes = [Lane(db, share, cursor) for share in shared(done.feeds, count)]
    for lane in lanes:
        lane.start()
    topics = sorted(set().union(*(f.topics for f in done.feeds)))
    try:
        while cursor < top and any(not f.gone for f in done.feeds):
            page = _read(app, done, cursor, top, topics, batch_size)
            for lane in lanes:
                lane.give(page)
            cursor = page.new
            low = min(lane.reached for lane in lanes)
            advance(max(low - reported, 0))
            reported = max(low, reported)
    finally:
        for lane in lanes:
            lane.stop()
        for lane in lanes:
            lane.join()
    for lane in lanes:
        if lane.error is not None:
            raise lane.error
    advance(max(cursor - reported, 0))
    return done


def shared(feeds: list[Feed], count: int) -> list[list[Feed]]:
    """The feeds in ``count`` lanes of about equal work, each lane's in the given order. A view's
    work grows with the kinds of event it maps, so each feed, most topics first, goes to the lane
    with the fewest topics so far: the two busiest views (activity, projects) get lanes of their
    own instead of sharing one while another lane idles."""
    lanes: list[list[Feed]] = [[] for _ in range(count)]
    load = [0] * count
    for feed in sorted(feeds, key=lambda f: -len(f.topics)):
        lightest = load.index(min(load))
        lanes[lightest].append(feed)
        load[lightest] += len(feed.topics)
    order = {id(feed): i for i, feed in enumerate(feeds)}
    return [sorted(lane, key=lambda f: order[id(f)]) for lane in lanes if lane]


def _feed_for(app: EventLog, db: ReadDatabase, copy: Copy, top: int) -> Feed:
    """The copy's place in the pass; already gone (and holding the read back from nothing) if
    another rebuild of the view switched it in since it was opened."""
    try:
        at = runner.position(db, copy.name)
    except runner.NotInitialised:
        return Feed(copy, top, top, gone=True)
    return Feed(copy, at, runner.horizon(app, db, copy.live, top))


def _read(app: EventLog, done: Pass, cursor: int, top: int, topics: list[str], batch_size: int) -> Page:
    started = time.perf_counter()
    notifications = app.recorder.select_notifications(start=cursor + 1, limit=batch_size, stop=top, topics=topics)
    new = notifications[-1].id if len(notifications) == batch_size else top
    # Decode before any transaction opens: keep transactions short.
    events = [app.mapper.to_domain_event(n) for n in notifications]
    done.read += len(events)
    done.read_seconds += time.perf_counter() - started
    return Page(new, notifications, events, app)


def _feed(db: ReadDatabase, feed: Feed, page: Page) -> None:
    """The copy's share of the page: the events it follows past its position."""
    end = min(page.new, feed.top)
    if feed.gone or feed.at >= end:
        return  # switched in elsewhere, further on already (an earlier run), or held back
    started, cpu = time.perf_counter(), time.thread_time()
    mine = [
        e
        for n, e in zip(page.notifications, page.events, strict=True)
        if feed.at < n.id <= end and n.topic in feed.topics
    ]
    statements = [runner.without_nul(s) for s in feed.copy.batch(mine, LazyReveal(page.app, mine), None)]
    _apply(db, feed, end, bulk.by_table(feed.copy, db.dialect, statements))
    feed.events += len(mine)
    feed.seconds += time.perf_counter() - started
    feed.cpu += time.thread_time() - cpu


def _apply(db: ReadDatabase, feed: Feed, new: int, statements: list[Statement]) -> None:
    """The copy's batch and its new position in one transaction. Lost to another rebuild of
    the same view (the position moved first): nothing changes, and the copy carries on from
    wherever that one took it (or stops, if it was switched in)."""
    name = feed.copy.name
    with db.transaction() as tx:
        relax_durability(tx, db.dialect)
        moved = tx.execute(runner.ADVANCE, {"new": new, "now": _now(), "name": name, "old": feed.at})
        if moved == 1:
            bulk.write(tx, db.dialect, statements)
    if moved == 1:
        feed.at = new
        return
    try:
        feed.at = runner.position(db, name)
        log.info("projection %s: another rebuild applied position %s first", name, feed.at)
    except runner.NotInitialised:
        feed.gone = True


def relax_durability(tx: Transaction, dialect: str) -> None:
    """PostgreSQL: commit a copy's batch without waiting for its WAL to reach the disk. Safe
    because a copy serves no reader until its switch: a crash can lose only the copy's last
    batches, rows and position row together (one transaction), and the next run carries on
    from the position that survived. The switch itself commits synchronously, which flushes
    every earlier commit with it, so a live view never depends on an unflushed batch."""
    if dialect == "postgres":
        tx.execute("SET LOCAL synchronous_commit = off")


def _now() -> str:
    return datetime.now(UTC).isoformat()


def describe(done: Pass) -> dict[str, Any]:
    """Figures for a benchmark: seconds reading, and per copy its events and seconds."""
    return {
        "read": done.read,
        "read_seconds": done.read_seconds,
        "feeds": {f.copy.live.name: {"events": f.events, "seconds": f.seconds, "cpu": f.cpu} for f in done.feeds},
    }
