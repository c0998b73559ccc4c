"""Which aggregates belong to a project's story: its follows, "we need this too"
declarations, contribution requests and status updates are aggregates of their own.

Only their ids come from here (the activity view indexes every one of them by project);
what they say is read from the event store by whoever asks."""

from __future__ import annotations

from uuid import UUID

from projections.base import reads
from projections.db import Reader

# The activity row each related aggregate has at least one of, naming the project.
STARTS = {
    "project.followed": "follow",
    "project.need_declared": "need",
    "project.need_withdrawn": "need",
    "contribution.requested": "contribution_request",
    "status_update.posted": "status_update",
}


@reads("activity")
def around_project(db: Reader, project_id: str) -> dict[UUID, str]:
    """The ids of the aggregates around the project -> their kind (follow, need,
    contribution_request, status_update)."""
    kinds = ", ".join(f"'{kind}'" for kind in STARTS)
    rows = db.query(
        f"SELECT id, type FROM activity WHERE project_id = :id AND type IN ({kinds})",
        {"id": project_id},
    )
    return {UUID(row["id"].rpartition(":")[0]): STARTS[row["type"]] for row in rows}
