"""What a command answers with, shared by every group of commands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Written:
    """What a command stored: the aggregate it is about and the log position of its
    last event (None when the command found nothing to change)."""

    aggregate: Any
    position: int | None
    organisation: Any = None


def position_of(recordings: list[Any]) -> int | None:
    """The log position of the last event a ``save()`` recorded."""
    return max((r.notification.id for r in recordings), default=None)
