"""Taking part in a project: follow, need it too, pledge, ask to contribute and answer, status updates."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("participation", __name__)
