"""`pipeline import legacy`: the original Pipeline's sample database taken in as history,
checked against figures computed here, straight from the file, with sqlite3."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from domain import legacy as L
from domain.interest import ContributionRequest, Follow
from domain.organisation import council_id
from domain.person import Person
from domain.project import Project
from projections import activity, people, projects
from tests.support import LEGACY_SAMPLE
from workers.history.legacy.file import read
from workers.history.legacy.importer import Report, import_legacy
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration

SAMPLE = LEGACY_SAMPLE


# Versions after a page's first that changed what a reader sees: text, dates (the day as
# written, whatever time of day follows it), estimate, language or status.
VISIBLE_CHANGES = """SELECT COUNT(*) FROM (SELECT
    LAG(versionnumber) OVER w AS before,
    text IS NOT LAG(text) OVER w OR substr(projectstart, 1, 10) IS NOT LAG(substr(projectstart, 1, 10)) OVER w
    OR substr(projectend, 1, 10) IS NOT LAG(substr(projectend, 1, 10)) OVER w
    OR projectestimatedtime IS NOT LAG(projectestimatedtime) OVER w
    OR projectlanguage IS NOT LAG(projectlanguage) OVER w OR projectstatus IS NOT LAG(projectstatus) OVER w AS changed
  FROM roadkill_pagecontent WINDOW w AS (PARTITION BY pageid ORDER BY versionnumber))
  WHERE before IS NOT NULL AND changed"""


def sql(query: str) -> Any:
    with sqlite3.connect(f"file:{SAMPLE}?mode=ro", uri=True) as db:
        return db.execute(query).fetchall()


def one(query: str) -> Any:
    return sql(query)[0][0]


@pytest.fixture
def imported(any_runtime: Runtime) -> tuple[Runtime, Report, int]:
    head = int(any_runtime.app.recorder.max_notification_id() or 0)
    report = import_legacy(any_runtime, read(SAMPLE))
    any_runtime.catch_up()
    return any_runtime, report, head


def events_since(rt: Runtime, head: int) -> list[Any]:
    notifications = rt.app.recorder.select_notifications(start=head + 1, limit=100_000)
    return [rt.app.mapper.to_domain_event(n) for n in notifications]


def test_figures_equal_those_of_the_file(imported: tuple[Runtime, Report, int]) -> None:
    rt, report, head = imported
    placed = "(orgid IS NULL OR orgid = 0 OR orgid IN (SELECT id FROM pipeline_orgs))"  # NULL and 0: no organisation
    placed_users = one(f"SELECT COUNT(*) FROM roadkill_users WHERE {placed}")
    verified = one(f"SELECT COUNT(*) FROM roadkill_users WHERE isactivated = 1 AND {placed}")
    later_versions = one(VISIBLE_CHANGES)
    unchanged = one("SELECT COUNT(*) - COUNT(DISTINCT pageid) FROM roadkill_pagecontent") - later_versions
    assert unchanged == 1 and later_versions == 5  # the sample has a version that changed nothing
    status_changes = one(
        "SELECT COUNT(*) FROM (SELECT projectstatus, LAG(projectstatus) OVER"
        " (PARTITION BY pageid ORDER BY versionnumber) AS before FROM roadkill_pagecontent)"
        " WHERE before IS NOT NULL AND before <> projectstatus"
    )
    kinds = dict(sql("SELECT reltypeid, COUNT(*) FROM pipeline_relationship GROUP BY reltypeid"))
    expected = {
        "people": placed_users,
        "people verified": verified,
        "people members": placed_users,
        "projects": one("SELECT COUNT(*) FROM roadkill_pages"),
        "versions -> edits": later_versions,
        "versions without a change": unchanged,
        "phase changes": status_changes,
        "likes -> follows": kinds[1],
        "joins -> contribution requests": kinds[2],
    }
    assert {k: report.counts[k] for k in expected} == expected

    written = Counter(type(e).__qualname__ for e in events_since(rt, head))
    assert written["Person.SignedUp"] == placed_users
    assert written["Person.EmailVerified"] == verified
    assert written["Person.MembershipApproved"] == placed_users
    assert written["Project.Proposed"] == expected["projects"]
    assert written["Project.Edited"] == later_versions
    assert written["Project.PhaseChanged"] == status_changes
    assert written["Follow.Followed"] == kinds[1]
    assert written["ContributionRequest.Requested"] == kinds[2]
    assert (
        report.counts["organisations resolved to the register"] + report.counts["organisations created"]
        == one("SELECT COUNT(*) FROM pipeline_orgs") + 1
    )  # and the one "unknown organisation"
    assert report.unplaced == []


def test_original_times_are_kept_across_time_zones(imported: tuple[Runtime, Report, int]) -> None:
    rt, _, _ = imported
    late_user = one("SELECT createdon FROM roadkill_users WHERE username = 'user12'")
    assert late_user == "2014-10-24 08:09:40"  # UK local: BST, an hour ahead of UTC
    person = rt.app.get_person(L.user_id("00000000-0000-0000-0000-00000000000c"))
    assert person.created_on == datetime(2014, 10, 24, 7, 9, 40, tzinfo=UTC)

    assert one("SELECT createdon FROM roadkill_pages WHERE id = 5") == "2014-10-06 07:40:07.4360795Z"
    assert rt.app.get_project(L.page_id(5)).created_on == datetime(2014, 10, 6, 7, 40, 7, 436079, tzinfo=UTC)

    local = rt.app.get_project(L.page_id(4))  # createdon local, its first version's editedon in Z: one moment
    assert local.created_on == datetime(2014, 10, 1, 12, 50, 5, 938109, tzinfo=UTC)
    like: Follow = rt.app.repository.get(Follow.id_for(L.page_id(3), L.user_id("00000000-0000-0000-0000-000000000009")))
    assert like.created_on == datetime(2014, 10, 22, 13, 43, 52, 200371, tzinfo=UTC)


def test_a_second_run_adds_nothing(imported: tuple[Runtime, Report, int]) -> None:
    rt, first, _ = imported
    head = rt.app.recorder.max_notification_id()
    again = import_legacy(rt, read(SAMPLE))
    assert again.nothing_new and rt.app.recorder.max_notification_id() == head
    assert again.counts["people already imported"] == first.counts["people"]
    assert again.counts["projects already imported"] == first.counts["projects"]


def test_nobody_is_mailed_about_the_history(imported: tuple[Runtime, Report, int]) -> None:
    rt, report, _ = imported
    assert report.counts["people"] > 0
    assert rt.db.query("SELECT kind FROM outbox") == []


def test_people_are_verified_as_the_file_says_and_have_no_password(imported: tuple[Runtime, Report, int]) -> None:
    rt, _, _ = imported
    rows = sql("SELECT id, isactivated FROM roadkill_users")
    for legacy, activated in rows:
        person = rt.app.get_person(L.user_id(legacy))
        assert person.email_verified == bool(activated)
        assert person.password_hash is None and person.job_title is None
        assert person.is_member and person.imported["legacy_id"] == legacy
        assert "@" in (rt.app.personal.open(person.id, person.email) or "")  # sealed, opened with their key
        assert "@" not in str(person.email)
    hertfordshire = rt.app.get_person(L.user_id("00000000-0000-0000-0000-000000000007"))
    assert hertfordshire.organisation_id == council_id("HRT")


def test_migration_stamps_are_flagged_not_counted_as_sign_ups(imported: tuple[Runtime, Report, int]) -> None:
    rt, report, _ = imported
    stamp = one("SELECT createdon FROM roadkill_users GROUP BY createdon HAVING COUNT(*) > 1")
    sharing = one(f"SELECT COUNT(*) FROM roadkill_users WHERE createdon = '{stamp}'")
    assert report.stamps == [(L.parse_time(stamp), sharing)]
    first: Person = rt.app.get_person(L.user_id("00000000-0000-0000-0000-000000000001"))
    late: Person = rt.app.get_person(L.user_id("00000000-0000-0000-0000-00000000000c"))
    assert first.imported["created_on_is_migration_stamp"] is True
    assert late.imported["created_on_is_migration_stamp"] is False
    days = {(r["day"], r["signups"]) for r in rt.db.query("SELECT day, signups FROM signups_daily")}
    assert days == {("2014-10-24", 1)}  # no burst on the day accounts were migrated
    feed = activity.feed(rt.db, type="person.carried_over", limit=100)
    assert len(feed) == report.counts["people with a migration stamp"]


def test_pruned_versions_leave_the_first_kept_version_as_the_proposal(imported: tuple[Runtime, Report, int]) -> None:
    rt, _, _ = imported
    kept = sql("SELECT versionnumber, text FROM roadkill_pagecontent WHERE pageid = 3 ORDER BY versionnumber")
    assert kept[0][0] > 1
    project: Project = rt.app.get_project(L.page_id(3))
    assert project.imported == {"origin": "pipeline-2014", "legacy_id": 3, "first_version": kept[0][0]}
    history = list(rt.app.repository.event_store.get(project.id))
    assert isinstance(history[0], Project.Proposed) and history[0].details["description"] == kept[0][1]
    assert [e.changes["description"]["to"] for e in history[1:]] == [text for _, text in kept[1:]]
    assert project.created_on == L.parse_time(one("SELECT createdon FROM roadkill_pages WHERE id = 3"))
    assert "c#" in project.details["tags"] and project.phase == "alpha"


def test_the_views_show_the_imported_history(imported: tuple[Runtime, Report, int]) -> None:
    rt, report, _ = imported
    titles = {row[0] for row in sql("SELECT title FROM roadkill_pages")}
    listed = rt.db.query("SELECT title, phase, follower_count FROM projects")
    assert {r["title"] for r in listed} == titles
    assert {r["title"]: r["phase"] for r in listed}["Planning documents online"] == "beta"
    assert {r["title"]: r["follower_count"] for r in listed}["Pipeline"] == 1
    assert len(people.list_page(rt.db, limit=100)) == report.counts["people"]
    assert projects.get(rt.db, str(L.page_id(6))) is not None
    join: ContributionRequest = rt.app.repository.get(L.join_id("user5", 3))
    assert join.message == "We'd like to help test this."
    assert join.imported == {"origin": "pipeline-2014", "kind": "join"}
    empty: ContributionRequest = rt.app.repository.get(L.join_id("user2", 3))
    assert empty.message is None
    acme = rt.db.query("SELECT kind, member_count FROM organisations WHERE id = :id", {"id": str(L.org_id(365))})
    assert acme == [{"kind": "supplier", "member_count": 1}]


def test_project_dates_with_a_time_of_day_are_that_day(imported: tuple[Runtime, Report, int]) -> None:
    rt, _, _ = imported
    assert one("SELECT projectstart FROM roadkill_pagecontent WHERE pageid = 4 AND versionnumber = 1") == (
        "2014-01-09 16:46:51"
    )
    assert one("SELECT projectend FROM roadkill_pagecontent WHERE pageid = 5 AND versionnumber = 1").endswith("Z")
    calculator, redesign = rt.app.get_project(L.page_id(4)), rt.app.get_project(L.page_id(5))
    assert calculator.details["phase_start"] == "2014-01-09"
    assert redesign.details["phase_end"] == "2016-09-01"


def test_accounts_without_an_organisation_join_one_unknown_organisation(imported: tuple[Runtime, Report, int]) -> None:
    rt, _, _ = imported
    none = sql("SELECT id FROM roadkill_users WHERE orgid IS NULL OR orgid = 0 ORDER BY id")
    assert len(none) == 2 and one("SELECT COUNT(*) FROM roadkill_users WHERE orgid = 0") == 1
    people_without = [rt.app.get_person(L.user_id(legacy)) for (legacy,) in none]
    assert {p.organisation_id for p in people_without} == {L.UNKNOWN_ORG_ID}
    assert all(p.is_member for p in people_without)
    unknown = rt.db.query("SELECT name, member_count FROM organisations WHERE id = :id", {"id": str(L.UNKNOWN_ORG_ID)})
    assert unknown == [{"name": "Unknown organisation (original Pipeline)", "member_count": 2}]


def test_an_association_of_councils_is_typed_as_one(imported: tuple[Runtime, Report, int]) -> None:
    rt, report, _ = imported
    assert one("SELECT orgname FROM pipeline_orgs WHERE id = 501") == "Local Government Association"
    lga = rt.db.query("SELECT kind FROM organisations WHERE id = :id", {"id": str(L.org_id(501))})
    assert lga == [{"kind": "association"}]
    assert ("Local Government Association", "created as association ('association' in the name)") in (
        report.resolutions
    )


def test_headings_without_a_space_render_as_the_original_rendered_them(imported: tuple[Runtime, Report, int]) -> None:
    rt, _, _ = imported
    assert one("SELECT text FROM roadkill_pagecontent WHERE pageid = 5 AND versionnumber = 1").startswith("###Web")
    shown = projects.get(rt.db, str(L.page_id(5)))
    assert shown is not None
    assert shown["description_html"].startswith("<h3>Website redesign</h3>")
    assert shown["summary"] == "Rethinking the county website around tasks."
