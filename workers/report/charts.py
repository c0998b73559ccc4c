"""The report's charts as SVG (matplotlib, Agg backend, no display needed): sign-ups per
week, the funnel, and cohort retention. Text stays text in the SVG (searchable, and its
title can be checked), and the output is the same for the same report.

matplotlib is imported when a chart is first drawn, not with this module: it takes most of a
second, which every web process, worker and command would otherwise pay at start-up."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TITLES = {
    "signups": "Sign-ups per week",
    "funnel": "From sign-up to work: the funnel",
    "cohorts": "Cohort retention: share of each month's sign-ups active later",
}


def _signups(fig: Figure, r: dict[str, Any]) -> None:
    from matplotlib.dates import date2num

    ax = fig.add_subplot()
    weeks = r["people"]["by_week"]
    starts = date2num([date.fromisocalendar(int(w["week"][:4]), int(w["week"][6:]), 1) for w in weeks])
    kinds = sorted({kind for w in weeks for kind in w["by_kind"]})
    bottom = [0] * len(weeks)
    for kind in kinds:
        counts = [w["by_kind"].get(kind, {}).get("people", 0) for w in weeks]
        ax.bar(starts, counts, width=6, bottom=bottom, label=kind.replace("_", " "), align="edge")
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    ax.set_ylabel("people signing up")
    ax.xaxis_date()
    ax.set_xlabel("week starting")
    if kinds:
        ax.legend(title="kind of organisation")
    fig.autofmt_xdate()


def _funnel(fig: Figure, r: dict[str, Any]) -> None:
    ax = fig.add_subplot()
    steps = [s["step"].replace("_", " ") for s in r["funnel"]["organisations"]]
    orgs = [s["count"] for s in r["funnel"]["organisations"]]
    people = [s["count"] for s in r["funnel"]["people"]]
    positions = list(range(len(steps)))
    ax.barh([p + 0.2 for p in positions], orgs, height=0.4, label="organisations")
    ax.barh([p - 0.2 for p in positions], people, height=0.4, label="people")
    ax.set_yticks(positions, steps)
    ax.invert_yaxis()
    ax.set_xlabel("how many")
    ax.legend()


def _cohorts(fig: Figure, r: dict[str, Any]) -> None:
    ax = fig.add_subplot()
    cohorts = r["cohorts"]
    width = max((len(c["active"]) for c in cohorts), default=0)
    grid = [
        [m["people"] / c["people"] if c["people"] else 0.0 for m in c["active"]]
        + [float("nan")] * (width - len(c["active"]))
        for c in cohorts
    ]
    if grid and width:
        image = ax.imshow(grid, aspect="auto", cmap="Blues", vmin=0, vmax=1)
        fig.colorbar(image, ax=ax, label="share active")
    ax.set_yticks(range(len(cohorts)), [f"{c['month']} ({c['people']})" for c in cohorts])
    ax.set_xlabel("months after sign-up (0: the same month)")
    ax.set_ylabel("month of sign-up (people)")


DRAW: dict[str, Callable[[Figure, dict[str, Any]], None]] = {
    "signups": _signups,
    "funnel": _funnel,
    "cohorts": _cohorts,
}
NAMES = tuple(DRAW)


def svg(name: str, r: dict[str, Any]) -> str:
    """The chart ``name`` (one of ``NAMES``) of report ``r``, as an SVG document."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "pipeline-report", "font.size": 9}):
        fig = Figure(figsize=(8, 4.5))
        DRAW[name](fig, r)
        fig.suptitle(TITLES[name])
        fig.tight_layout()
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Title": TITLES[name], "Date": None, "Creator": "Pipeline"})
    return out.getvalue()
