"""The home page: what Pipeline is, its figures, recent activity, goals closing soon."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from web.pages import api

bp = Blueprint("home", __name__)


def _closing_soon(calendar: dict[str, Any]) -> list[dict[str, Any]]:
    deadlines = [d for month in calendar.get("months", []) for d in month.get("deadlines", [])]
    return deadlines[:5]


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
