"""Browsing pages: calendar, tags, activity (with its Atom feed), similar projects, the engagement report.

Each page reads one GET endpoint of the API (and takes its query from the page's own GET
form); a value the API refuses comes back as the GOV.UK error summary beside the form."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from uuid import UUID

from flask import Blueprint, Response, redirect, request

from domain import local_time
from projections.activity import TYPES as ACTIVITY_TYPES  # the API's ``type`` values (a constant, not a read)
from web.pages import api, dates, flow
from web.pages.api import Answer

bp = Blueprint("browse", __name__)

ACTIVITY_FILTERS = ("organisation", "project", "person", "type")
ACTIVITY_PAGE = 25
CHARTS = {
    "signups": "Sign-ups per week",
    "funnel": "From sign-up to work: the funnel",
    "cohorts": "Cohort retention",
}


# The report's own field names, as a note from the API may use them, and what the page calls them.
REPORT_TERMS = {
    "people.signed_up": "“People who signed up”",
    "people.by_week": "the sign-ups per week",
    "cohorts": "the cohorts",
}


def report_note(note: str) -> str:
    """A note of the report in the page's words: no ``people.signed_up`` on a page."""
    for term, label in REPORT_TERMS.items():
        note = re.sub(rf"(?<![\w.]){re.escape(term)}(?![\w.])", label, note)
    return note


def _given(*names: str) -> dict[str, str]:
    """The page's own query values that are filled in (trimmed), by name."""
    found = {name: request.args.get(name, "").strip() for name in names}
    return {name: value for name, value in found.items() if value}


def type_label(kind: str) -> str:
    """``project.goal_set`` -> ``Project: goal set``."""
    subject, _, what = kind.partition(".")
    return f"{subject.replace('_', ' ').capitalize()}: {what.replace('_', ' ')}"


def month_label(month: str) -> str:
    """``2027-03`` -> ``March 2027``."""
    try:
        return datetime.strptime(month, "%Y-%m").strftime("%B %Y")
    except ValueError:
        return month


day_label = local_time.day_label  # "3 March 2027", London's day
time_label = local_time.time_label  # "3 March 2027 at 2:05pm", London's clock


def _template_helpers() -> dict[str, Any]:
    return {"month_label": month_label, "day_label": day_label, "time_label": time_label, "type_label": type_label}


bp.context_processor(lambda: {"browse": _template_helpers()})


# ------------------------------------------------------------------ calendar
@bp.get("/calendar")
def calendar() -> Response:
    query = _given("from", "to")
    answer = api.get("/api/v1/calendar", **query, **api.fresh())
    values = dict(query)
    if answer.ok:
        values.setdefault("from", answer.body["from"])
        values.setdefault("to", answer.body["to"])
    return flow.form(
        "pages/browse/calendar.html",
        answer,
        values=values,
        calendar=answer.body if answer.ok else None,
        labels={"from": "From", "to": "To"},
    )


# ---------------------------------------------------------------------- tags
@bp.get("/tags")
def tags() -> Response:
    answer = api.get("/api/v1/tags", **api.fresh())
    if not answer.ok:
        return flow.refused(answer)
    items = [{**item, "href": "/projects?" + urlencode({"tag": item["tag"]})} for item in answer.body["items"]]
    return flow.form("pages/browse/tags.html", tags=items)


# ------------------------------------------------------------------ activity
def _cursor_of(next_link: str | None) -> str | None:
    """The cursor the API's ``next`` link carries (the page makes its own link from it)."""
    if not next_link:
        return None
    cursors = parse_qs(urlsplit(next_link).query).get("cursor")
    return cursors[0] if cursors else None


@bp.get("/activity")
def activity() -> Response:
    filters = _given(*ACTIVITY_FILTERS)
    paging = _given("cursor", "limit")
    answer = api.get(
        "/api/v1/activity",
        **filters,
        limit=paging.get("limit", ACTIVITY_PAGE),
        cursor=paging.get("cursor"),
        **api.fresh(),
    )
    query = urlencode(filters)
    first = urlencode({**filters, **_given("limit")})
    next_page = None
    if answer.ok:
        cursor = _cursor_of(answer.body.get("next"))
        if cursor:
            next_page = "/activity?" + urlencode({**filters, **_given("limit"), "cursor": cursor})
    return flow.form(
        "pages/browse/activity.html",
        answer,
        values=filters,
        items=answer.body["items"] if answer.ok else [],
        filters=filters,
        paged=bool(paging.get("cursor")),
        next_page=next_page,
        first_page="/activity" + (f"?{first}" if first else ""),
        feed="/api/v1/activity.atom" + (f"?{query}" if query else ""),
        types=ACTIVITY_TYPES,
        labels={"organisation": "Organisation", "type": "Kind of activity", "project": "Project", "person": "Person"},
        rename={"cursor": "_"},
    )


@bp.get("/activity.atom")
def activity_feed() -> Response:
    """The feed lives under the API; this short address (in every page's footer) leads there."""
    query = urlencode(_given(*ACTIVITY_FILTERS))
    return redirect("/api/v1/activity.atom" + (f"?{query}" if query else ""), 301)  # type: ignore[return-value]


# ----------------------------------------------------------- similar projects
@bp.get("/projects/<uuid:project_id>/similar")
def similar(project_id: UUID) -> Response:
    project = api.get(f"/api/v1/projects/{project_id}", **api.fresh())
    if not project.ok:
        return flow.refused(project)
    answer = api.get(f"/api/v1/projects/{project_id}/similar", **api.fresh())
    if not answer.ok:
        return flow.refused(answer)
    return flow.form("pages/browse/similar.html", project=project.body, items=answer.body["items"])


# ---------------------------------------------------------- engagement report
def _chart_alt(name: str, report: dict[str, Any]) -> str:
    """What chart ``name`` shows, in words and figures (the image's text alternative)."""
    if name == "signups":
        weeks = report["people"]["by_week"]
        figures = "; ".join(f"week {w['week']}: {w['people']}" for w in weeks) or "no sign-ups in the period"
        return f"Bar chart of people signing up per week, by kind of organisation. {figures}."
    if name == "funnel":
        steps = zip(report["funnel"]["organisations"], report["funnel"]["people"], strict=False)
        figures = "; ".join(
            f"{org['step'].replace('_', ' ')}: {org['count']} organisations, {person['count']} people"
            for org, person in steps
        )
        return f"Bar chart of the funnel from sign-up to work. {figures}."
    cohorts = report["cohorts"]
    figures = "; ".join(
        f"{c['month']}: {c['people']} signed up, active after that: " + ", ".join(str(m["people"]) for m in c["active"])
        for c in cohorts
    )
    return "Heat map of cohort retention: people active each month after the month they signed up. " + (
        f"{figures}." if cohorts else "No cohorts in the period."
    )


def _shares(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The funnel's steps side by side: organisations and people."""
    rows = []
    for org, person in zip(report["funnel"]["organisations"], report["funnel"]["people"], strict=False):
        rate = org.get("of_previous")
        rows.append(
            {
                "step": org["step"].replace("_", " "),
                "organisations": org["count"],
                "share": "not applicable" if rate is None else f"{rate:.0%}",
                "people": person["count"],
            }
        )
    return rows


@bp.get("/reports/engagement")
def engagement() -> Response:
    bounds = [dates.day_bound("from", end=False), dates.day_bound("to", end=True, last=time.max)]
    query = {bound.name: bound.value for bound in bounds if bound.value is not None}
    query.update(_given("forgotten_days"))
    answer: Answer = api.get("/api/v1/reports/engagement", **query)
    report = answer.body if answer.ok else None
    charts = []
    if report is not None:
        suffix = "?" + urlencode(query) if query else ""
        charts = [
            {
                "src": f"/api/v1/reports/engagement/charts/{name}.svg{suffix}",
                "title": title,
                "alt": _chart_alt(name, report),
            }
            for name, title in CHARTS.items()
        ]
    return flow.form(
        "pages/browse/engagement.html",
        answer,
        values=request.args,
        query=query,
        dates=bounds,
        report=report,
        funnel=_shares(report) if report else [],
        charts=charts,
        labels={"from": "From", "to": "To", "forgotten_days": "Forgotten after"},
    )
