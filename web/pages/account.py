"""Account pages: sign up, verify, sign in and out, reset, profile, notifications, erasure."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("account", __name__)
