"""The report as Markdown (the story in plain English) and as one tidy CSV table."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

CSV_HEADER = ("section", "key", "subkey", "value")


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.0%}"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


def _days(figure: dict[str, Any]) -> str:
    median = figure["median_days"]
    return (
        "no project yet" if median is None else f"{median:g} days (median over {plural(figure['projects'], 'project')})"
    )


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines + [""]


def markdown(r: dict[str, Any]) -> str:
    people, orgs, projects, interest = r["people"], r["organisations"], r["projects"], r["interest"]
    funnel = {s["step"]: s for s in r["funnel"]["organisations"]}
    period = f"{r['period']['from'] or 'the beginning'} to {r['period']['to']}"
    lines = [
        "# Engagement report",
        "",
        f"From {period}, computed from the event log at position {r['log_position']}.",
        "",
        "## Headlines",
        "",
        f"- {plural(people['signed_up'], 'person', 'people')} signed up; {people['verified']} verified"
        " their email address.",
        f"- Of {funnel['signed_up']['count']} organisations that signed up, {orgs['with_verified_members']}"
        f" had a verified member by the end ({orgs['councils_with_verified_members']} of them councils);"
        f" {funnel['proposed']['count']} proposed a project.",
        f"- {plural(projects['proposed'], 'project')} proposed, edited {plural(projects['edits'], 'time')} since;"
        f" forgotten: {projects['forgotten']['count']} (no edit or status update within"
        f" {projects['forgotten']['days']} days of being proposed, or none in the last {projects['forgotten']['days']}"
        " days).",
        f"- Interest was expressed {plural(interest['expressed'], 'time')}; after"
        f" {interest['forgotten']['count']} of them neither the person nor their organisation did anything more on"
        f" the project, and {plural(interest['forgotten']['unanswered_requests']['count'], 'request')} to"
        " contribute went unanswered.",
        f"- Goals: {r['timing']['goals']['met']} met, {r['timing']['goals']['missed']} missed.",
        "",
        *[f"{note}\n" for note in r["notes"]],
        "## From sign-up to work",
        "",
        *_table(
            ("step", "organisations", "share of those before", "people"),
            [
                (s["step"].replace("_", " "), s["count"], _pct(s["of_previous"]), p["count"])
                for s, p in zip(r["funnel"]["organisations"], r["funnel"]["people"], strict=True)
            ],
        ),
        "## How long things took",
        "",
        f"- First follower: {_days(r['timing']['first_follower'])}.",
        f"- First pledge: {_days(r['timing']['first_pledge'])}.",
        f"- Goal met: {_days(r['timing']['goal_met'])}.",
        "",
        *_nudges(r["nudges"]),
    ]
    lines += _tables(r)
    return "\n".join(lines)


def _tables(r: dict[str, Any]) -> list[str]:
    lines = ["## The first organisations with a verified member", ""]
    lines += _table(
        ("#", "organisation", "code", "first member"),
        [
            (i, o["name"], o["code"] or "", o["first_member_at"][:10])
            for i, o in enumerate(r["organisations"]["first"], 1)
        ],
    )
    lines += ["## Forgotten projects", ""]
    lines += _table(
        ("project", "owner", "proposed", "last update"),
        [
            (p["title"], p["owner"]["name"], p["proposed_at"][:10], (p["last_update_at"] or "never")[:10])
            for p in r["projects"]["forgotten"]["items"]
        ],
    )
    lines += ["## Pledged, by kind of organisation", ""]
    lines += _table(
        ("kind", "money (GBP)", "person-days", "pledges"),
        [(k, v["money"], v["days"], v["pledges"]) for k, v in r["timing"]["pledged_by_kind"].items()],
    )
    lines += ["## The most connected organisations", ""]
    lines += _table(
        ("organisation", "partners"), [(o["name"], o["partners"]) for o in r["network"]["organisations"][:10]]
    )
    lines += ["## Cohorts: people active each month, by month of sign-up", ""]
    lines += _table(
        ("signed up", "people", "active in the months after (first: the same month)"),
        [(c["month"], c["people"], " ".join(str(m["people"]) for m in c["active"])) for c in r["cohorts"]],
    )
    return lines


def _nudges(n: dict[str, Any]) -> list[str]:
    said = [
        f"- {plural(n[key]['count'], what, many)}: {_pct(n[key]['share_answered'])} followed by a status update,"
        f" edit or phase change within {n['answer_days']} days ({n[key]['pending']} too recent to tell)."
        for key, what, many in (
            ("nudged", "nudge", "nudges"),
            ("not_nudged", "idle spell without a nudge", "idle spells without a nudge"),
        )
    ]
    return ["## Nudges", "", f"Projects idle for {n['idle_days']} days or more:", "", *said, ""]


def rows(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every leaf of the report as (path..., value); list items are numbered from 1."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from rows(inner, (*path, str(key)))
    elif isinstance(value, list) and value:
        for index, inner in enumerate(value, 1):
            yield from rows(inner, (*path, str(index)))
    else:
        yield (
            *path,
            ""
            if value is None
            else "[]"
            if value == []
            else str(value).lower()
            if isinstance(value, bool)
            else str(value),
        )


def tidy_csv(r: dict[str, Any]) -> str:
    """One table: section (top-level key), key (second level), subkey (the rest of the path,
    joined by "/"), value. Top-level scalars (generated_at, log_position) have an empty key."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for *path, value in rows(r):
        section, key, rest = path[0], path[1] if len(path) > 1 else "", "/".join(path[2:])
        writer.writerow((section, key, rest, _safe(value)))
    return out.getvalue()


def _safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return (
        "'" + value
        if value.startswith(("=", "+", "@", "\t", "\r")) or value.startswith("-") and not _number(value)
        else value
    )


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
