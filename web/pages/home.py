"""The home page: what Pipeline is, its figures, recent activity, goals closing soon."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, render_template

from web.pages import api

bp = Blueprint("home", __name__)


SOON = 5  # goals listed on the home page


def _closing_soon(calendar: dict[str, Any]) -> list[dict[str, Any]]:
    """Open goals whose deadline is still ahead, soonest first (the calendar lists decided ones too)."""
    now = datetime.now(UTC).isoformat()
    deadlines = [d for month in calendar.get("months", []) for d in month.get("deadlines", [])]
    ahead = [d for d in deadlines if d.get("goal_state") == "open" and (d.get("deadline") or "") >= now]
    return sorted(ahead, key=lambda d: d["deadline"])[:SOON]


@bp.get("/")
def home() -> str:
    stats = api.get("/api/v1/stats", **api.fresh())
    activity = api.get("/api/v1/activity", limit=8)
    calendar = api.get("/api/v1/calendar")
    return render_template(
        "pages/home.html",
        stats=stats.body if stats.ok else None,
        activity=activity.body["items"] if activity.ok else [],
        closing=_closing_soon(calendar.body) if calendar.ok else [],
    )
