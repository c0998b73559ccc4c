"""/api/v1/activity and its Atom feed. (Being built.)"""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("activity", __name__, url_prefix="/api/v1", description="What happened, newest first.")
