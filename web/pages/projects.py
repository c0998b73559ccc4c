"""Project pages: find (search, filters, sort), the project page, propose and edit, phase, goal, archive, history."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("projects", __name__)
