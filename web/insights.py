"""Tags, calendar, stats, similar projects, the CSV export and per-organisation views. (Being built.)"""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("insights", __name__, url_prefix="/api/v1", description="Figures and views across projects.")
