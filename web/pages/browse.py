"""Browsing pages: calendar, tags, activity (with its Atom feed), similar projects, the engagement report."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("browse", __name__)
