"""Activity feed: what happened, newest first, derived from events. (Being built.)"""

from __future__ import annotations

from projections.base import Projection


class ActivityProjection(Projection):
    name = "activity"
    tables = ()
    ddl = ()
