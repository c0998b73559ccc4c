"""Progress of long commands (rebuild, verify, import, export, demo): a bar with rate and
ETA on a terminal; without one (a pipe, a log file, cron), one line every few seconds."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

Advance = Callable[[int], None]
WIDTH = 28
EVERY = 5.0  # seconds between lines without a terminal


class Progress:
    """Counts work done towards ``total`` (None when unknown) and reports it: on a terminal the
    bar is redrawn as work is done; otherwise a clock thread writes a line every ``every``
    seconds, also while the work makes no countable step (indexes being built, a switch)."""

    def __init__(self, label: str, total: int | None, stream: TextIO, *, every: float, tty: bool) -> None:
        self.label, self.total, self.stream = label, total, stream
        self.every, self.tty = every, tty
        self.done = 0
        self.started = self.reported = time.monotonic()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._clock = None if tty else threading.Thread(target=self._tick, name="progress", daemon=True)
        if self._clock is not None:
            self._clock.start()

    def __call__(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if self.tty and now - self.reported >= 0.2:
            self.reported = now
            self._report(final=False)

    def _tick(self) -> None:
        while not self._stopped.wait(self.every):
            self._report(final=False)

    def finish(self) -> None:
        self._stopped.set()
        if self._clock is not None:
            self._clock.join()
        self._report(final=True)

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            share = min(self.done / self.total, 1.0)
            left = max(self.total - self.done, 0)
            eta = f"ETA {_duration(left / rate)}" if rate > 0 and left else f"in {_duration(elapsed)}"
            bar = f"[{'#' * int(share * WIDTH):<{WIDTH}}] " if self.tty else ""
            return f"{self.label}: {bar}{self.done:,}/{self.total:,} ({share:.0%}), {rate:,.0f}/s, {eta}"
        return f"{self.label}: {self.done:,} done, {rate:,.0f}/s, {_duration(elapsed)} so far"

    def _report(self, *, final: bool) -> None:
        with self._lock:
            if self.tty:
                self.stream.write("\r" + self.line() + ("\n" if final else ""))
            else:
                self.stream.write(self.line() + "\n")
            self.stream.flush()


def _seconds_from_env() -> float:
    try:
        return max(float(os.environ.get("PIPELINE_PROGRESS_SECONDS") or EVERY), 0.05)
    except ValueError:
        return EVERY


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@contextmanager
def progress(
    label: str, total: int | None, *, stream: TextIO | None = None, every: float | None = None
) -> Iterator[Advance]:
    """``with progress("rebuilding projects", head) as advance: ... advance(n)``. Reports
    on stderr, so a command's own output (an export to stdout) stays clean. Without a
    terminal, a line every ``every`` seconds (``PIPELINE_PROGRESS_SECONDS``, default 5)."""
    out = stream if stream is not None else sys.stderr
    seconds = every if every is not None else _seconds_from_env()
    tracker = Progress(label, total, out, every=seconds, tty=bool(getattr(out, "isatty", lambda: False)()))
    try:
        yield tracker
    finally:
        tracker.finish()
