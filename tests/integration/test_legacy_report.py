"""Done when: `pipeline import legacy sample.sqlite && pipeline report engagement` gives the
figures this test computes on its own from the file (sqlite3 and the time rules of docs/history-and-reports.md),
in both modes, through the real commands."""

from __future__ import annotations

import json
import sqlite3
import statistics
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.integration.test_legacy_import import VISIBLE_CHANGES
from tests.support import LEGACY_SAMPLE, pipeline_env, run_cli

pytestmark = pytest.mark.integration

SAMPLE = LEGACY_SAMPLE
LONDON = ZoneInfo("Europe/London")
NOT_COUNCILS = {"LocalGov Digital", "Acme Digital Ltd", "Local Government Association"}  # no register entry matches
UNKNOWN = "Unknown organisation (original Pipeline)"  # where orgid NULL and 0 (no organisation) go


def rows(query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{SAMPLE}?mode=ro", uri=True) as conn:
        return list(conn.execute(query))


def moment(text: str) -> datetime:
    """The file's rule: a trailing Z is UTC, no zone is UK local time; seven decimals at most."""
    utc = text.endswith("Z")
    day, _, clock = text.rstrip("Z").partition(" ")
    whole, _, fraction = clock.partition(".")
    naive = datetime.fromisoformat(f"{day}T{whole}").replace(microsecond=int((fraction + "000000")[:6]))
    return naive.replace(tzinfo=UTC) if utc else naive.replace(tzinfo=LONDON).astimezone(UTC)


def last_activity() -> datetime:
    """The period's end: the last proposal, version, like or join (not a sign-up: the file has a migration stamp)."""
    times = rows(
        "SELECT createdon FROM roadkill_pages UNION ALL SELECT editedon FROM roadkill_pagecontent"
        " UNION ALL SELECT reldatetime FROM pipeline_relationship"
    )
    return max(moment(t) for (t,) in times)


def expected() -> dict[str, Any]:
    end = last_activity()
    every = rows("SELECT username, COALESCE(NULLIF(orgid, 0), -1), isactivated, createdon FROM roadkill_users")
    users = [u for u in every if moment(u[3]) <= end]  # a sign-up after the last activity is outside the period
    stamps = {stamp for stamp, n in Counter(u[3] for u in every).items() if n >= 3}
    dated = [moment(u[3]) for u in users if u[3] not in stamps]
    weeks = Counter(f"{d.isocalendar().year}-W{d.isocalendar().week:02d}" for d in dated)
    pages = {p[0]: moment(p[1]) for p in rows("SELECT id, createdon FROM roadkill_pages")}
    likes = rows("SELECT pageid, reldatetime FROM pipeline_relationship WHERE reltypeid = 1")
    first_like: dict[int, datetime] = {}
    for page, at in likes:
        first_like[page] = min(first_like.get(page, moment(at)), moment(at))
    days = [(first_like[p] - pages[p]).total_seconds() / 86400 for p in first_like]
    verified_orgs = {u[1] for u in users if u[2] == 1}
    names = {**dict(rows("SELECT id, orgname FROM pipeline_orgs")), -1: UNKNOWN}
    return {
        "end": end,
        "after_end": len(every) - len(users),
        "signed_up": len(users),
        "verified": sum(1 for u in users if u[2] == 1),
        "undated": sum(1 for u in users if u[3] in stamps),
        "by_week": dict(weeks),
        "proposed": len(pages),
        "by_phase": Counter(s.lower() for (s,) in rows("SELECT projectstatus FROM roadkill_pages")),
        "edits": rows(VISIBLE_CHANGES)[0][0],
        "likes": len(likes),
        "joins": rows("SELECT COUNT(*) FROM pipeline_relationship WHERE reltypeid = 2")[0][0],
        "with_verified_members": len(verified_orgs),
        "councils_with_verified_members": len({o for o in verified_orgs if names[o] not in {*NOT_COUNCILS, UNKNOWN}}),
        "not_councils": {names[o] for o in verified_orgs if names[o] in {*NOT_COUNCILS, UNKNOWN}},
        "first_follower_days": round(statistics.median(days), 2),
        "followed_projects": len(first_like),
    }


@pytest.mark.parametrize("mode", ["sqlite", "pg"])
def test_the_report_on_the_imported_file_gives_the_files_own_figures(
    mode: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path}/pipeline.sqlite3" if mode == "sqlite" else request.getfixturevalue("pg_url")
    env = pipeline_env(DATABASE_URL=url)
    run_cli("init", env=env)
    run_cli("import", "legacy", str(SAMPLE), "--yes", env=env)
    report = json.loads(run_cli("report", "engagement", "--format", "json", env=env))
    want = expected()

    people, organisations, projects = report["people"], report["organisations"], report["projects"]
    # the period ends at the last like, not at the migration stamp nor at user12's later sign-up
    assert report["period"]["to"] == want["end"].isoformat() and want["end"].date().isoformat() == "2014-10-22"
    assert want["after_end"] == 1 and any(f"{want['after_end']} sign-up(s) after it" in n for n in report["notes"])
    assert people["signed_up"] == want["signed_up"] == 13
    assert people["verified"] == want["verified"] == 10
    assert people["undated_sign_ups"] == want["undated"] == 13  # the migration stamp: no sign-up burst invented
    assert any("13 people" in n and "sign-up dates are unknown" in n for n in report["notes"])
    assert {w["week"]: w["people"] for w in people["by_week"]} == want["by_week"] == {}
    assert projects["proposed"] == want["proposed"]
    assert {k: v for k, v in projects["by_phase"].items() if v} == want["by_phase"]
    assert projects["edits"] == want["edits"]
    assert report["interest"]["expressed"] == want["likes"] + want["joins"]
    assert report["interest"]["by_kind"]["legacy_like"] == want["likes"]
    assert report["interest"]["by_kind"]["legacy_join"] == want["joins"]
    assert organisations["with_verified_members"] == want["with_verified_members"]
    assert organisations["councils_with_verified_members"] == want["councils_with_verified_members"]
    assert {o["name"] for o in organisations["first"] if o["code"] is None} == want["not_councils"]
    assert want["not_councils"] == {*NOT_COUNCILS, UNKNOWN}
    timing = report["timing"]["first_follower"]
    assert (timing["median_days"], timing["projects"]) == (want["first_follower_days"], want["followed_projects"])
