"""Organisation pages: details, members, projects, pledges; admins manage members, approvals and domains."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("organisations", __name__)
