"""Successive files of the original Pipeline build one history: an earlier file in the
older schema (no `roadkill_users.createdon`, no `council_users`), then the sample as a later
file. Figures are counted from the two files with sqlite3; changes between them are written
at the later file's time and recorded as known only between the two files' times."""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from domain import legacy as L
from domain.interest import ContributionRequest, Follow
from domain.legacy_snapshot import SNAPSHOTS_ID
from projections import activity
from tests.support import LEGACY_SAMPLE
from web.cli.main import main
from workers.history.legacy.file import NotALegacyFile, read
from workers.history.legacy.importer import import_legacy
from workers.history.legacy.planned import members_planned
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration

GONE_USER = "00000000-0000-0000-0000-00000000000f"
EARLIER = f"""
DROP TABLE council_users;
ALTER TABLE roadkill_users DROP COLUMN createdon;
DELETE FROM roadkill_users WHERE username IN ('user12', 'user14');
DELETE FROM pipeline_orgs WHERE id = 501;
DELETE FROM pipeline_relationship WHERE id = 6;
DELETE FROM roadkill_pagecontent WHERE pageid = 6 AND versionnumber = 3;
UPDATE roadkill_users SET orgid = 29 WHERE username = 'user3';
INSERT INTO roadkill_users (id, email, firstname, lastname, isactivated, username, orgid)
  VALUES ('{GONE_USER}', 'user15@example.org', 'First15', 'Last15', 1, 'user15', 1);
INSERT INTO pipeline_relationship (id, username, pageid, reltypeid, reltext, reldatetime, orgid)
  VALUES (7, 'user9', 4, 1, NULL, '2014-10-20 10:00:00', 365),
         (8, 'user10', 3, 2, 'Count us in', '2014-10-20 11:00:00', 437);
"""
LATER = """UPDATE roadkill_users SET orgid = 12 WHERE username = 'user3';
UPDATE roadkill_users SET isactivated = 1 WHERE username = 'user8';"""


def copy(tmp_path: Path, name: str, script: str) -> Path:
    file = tmp_path / name
    shutil.copy(LEGACY_SAMPLE, file)
    with sqlite3.connect(file) as db:
        db.executescript(script)
    db.close()
    return file


def rows(file: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{file}?mode=ro", uri=True) as db:
        found = db.execute(query).fetchall()
    db.close()
    return found


def latest(file: Path, users_dated: bool) -> str:
    """The file's latest time, read with the file's rules (the time it was taken, as a bound)."""
    union = "SELECT createdon FROM roadkill_pages UNION ALL SELECT editedon FROM roadkill_pagecontent"
    union += " UNION ALL SELECT reldatetime FROM pipeline_relationship"
    union += " UNION ALL SELECT createdon FROM roadkill_users" if users_dated else ""
    return max(L.parse_time(t) for (t,) in rows(file, union)).isoformat()


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return copy(tmp_path, "earlier.sqlite", EARLIER), copy(tmp_path, "later.sqlite", LATER)


def test_an_earlier_file_without_sign_up_times_is_read_and_says_what_is_unknown(
    any_runtime: Runtime, files: tuple[Path, Path]
) -> None:
    earlier, _ = files
    data = read(earlier)
    assert any("no roadkill_users.createdon" in n for n in data.notes)
    report = import_legacy(any_runtime, data)
    users = rows(earlier, "SELECT COUNT(*) FROM roadkill_users")[0][0]
    assert report.counts["people"] == report.counts["people whose sign-up time is unknown"] == users
    assert report.stamps == [] and report.unplaced == []
    person = any_runtime.app.get_person(L.user_id("00000000-0000-0000-0000-000000000001"))  # user1 proposed page 3
    acts = rows(
        earlier,
        "SELECT createdon FROM roadkill_pages WHERE createdby = 'user1'"
        " UNION ALL SELECT editedon FROM roadkill_pagecontent WHERE editedby = 'user1'",
    )
    first_act = min(L.parse_time(t) for (t,) in acts)  # their sign-up was no later than their first act
    assert person.imported["created_on_unknown"] is True and person.created_on == first_act
    any_runtime.catch_up()
    assert any_runtime.db.query("SELECT day FROM signups_daily") == []  # no sign-up invented at a bound
    assert len(activity.feed(any_runtime.db, type="person.carried_over", limit=100)) == users


def test_a_later_file_adds_only_what_is_new_and_the_changes_between_as_bounded(
    any_runtime: Runtime, files: tuple[Path, Path]
) -> None:
    earlier, later = files
    rt, app = any_runtime, any_runtime.app
    import_legacy(rt, read(earlier))
    planned = {p.organisation: p.members for p in members_planned(app, read(later))}
    assert planned["KIR Kirklees Council"] == 1  # user3, moved there: asked about like a new member
    assert (
        planned["EDH City of Edinburgh Council"] == 1 and planned["'Local Government Association' (not a council)"] == 1
    )
    assert sum(planned.values()) == 3
    head = int(app.recorder.max_notification_id() or 0)
    report = import_legacy(rt, read(later))

    new_users = rows(later, "SELECT COUNT(*) FROM roadkill_users")[0][0] - sum(
        1 for (u,) in rows(earlier, "SELECT id FROM roadkill_users") if u != GONE_USER
    )
    assert report.counts["people"] == new_users == 2
    assert report.counts["versions added to projects already imported"] == 1
    assert report.counts["likes -> follows"] == 1 and report.counts["organisations created"] == 1
    written = Counter(type(app.mapper.to_domain_event(n)).__qualname__
                      for n in app.recorder.select_notifications(start=head + 1, limit=10_000))  # fmt: skip
    assert written["Project.Edited"] == 1 and written["Person.SignedUp"] == 2 and written["Project.Proposed"] == 0
    v3 = rows(later, "SELECT editedon FROM roadkill_pagecontent WHERE pageid = 6 AND versionnumber = 3")[0][0]
    assert app.get_project(L.page_id(6)).modified_on == L.parse_time(v3)  # a new version keeps its own time

    bound = latest(later, users_dated=True)
    activated = app.get_person(L.user_id("00000000-0000-0000-0000-000000000008"))
    moved = app.get_person(L.user_id("00000000-0000-0000-0000-000000000003"))
    gone = app.get_person(L.user_id(GONE_USER))
    colleague = app.get_person(L.user_id("00000000-0000-0000-0000-000000000002"))  # at orgid 12 in both files
    assert activated.email_verified and moved.organisation_id == colleague.organisation_id and moved.is_member
    assert gone.organisation_id is None
    like: Follow = app.repository.get(Follow.id_for(L.page_id(4), L.user_id("00000000-0000-0000-0000-000000000009")))
    join: ContributionRequest = app.repository.get(L.join_id("user10", 3))
    assert not like.active and join.decision == "withdrawn"
    for aggregate in (activated, moved, gone, like, join):
        assert aggregate.modified_on.isoformat() == bound  # written at the later file's time

    record = app.repository.get(SNAPSHOTS_ID)
    assert [f["taken_at"] for f in record.files] == [latest(earlier, users_dated=False), bound]
    changes = record.files[1]["changes"]
    assert sorted(c["change"] for c in changes) == [
        "account activated", "account deleted", "join withdrawn", "like withdrawn", "moved to another organisation",
    ]  # fmt: skip
    assert {(c["not_before"], c["not_after"], c["time_is_bound"]) for c in changes} == {
        (latest(earlier, users_dated=False), bound, True)
    }

    head = app.recorder.max_notification_id()
    assert import_legacy(rt, read(later)).nothing_new and app.recorder.max_notification_id() == head


def test_the_times_the_files_were_copied_bound_the_changes_when_given(
    any_runtime: Runtime, files: tuple[Path, Path]
) -> None:
    earlier, later = files
    copied = datetime(2014, 10, 22, tzinfo=UTC), datetime(2014, 10, 31, 12, tzinfo=UTC)  # e.g. commit times
    with pytest.raises(NotALegacyFile, match="--taken-at .* is before the file's latest time"):
        read(later, taken_at=copied[0])
    import_legacy(any_runtime, read(earlier, taken_at=copied[0]))
    import_legacy(any_runtime, read(later, taken_at=copied[1]))
    record = any_runtime.app.repository.get(SNAPSHOTS_ID)
    assert [f["taken_at"] for f in record.files] == [c.isoformat() for c in copied]
    bounds = {(c["not_before"], c["not_after"]) for c in record.files[1]["changes"]}
    assert bounds == {(copied[0].isoformat(), copied[1].isoformat())}
    gone = any_runtime.app.get_person(L.user_id(GONE_USER))
    assert gone.modified_on == copied[1]


def test_a_copy_time_without_a_zone_is_refused_before_anything(files: tuple[Path, Path]) -> None:
    outcome = CliRunner().invoke(main, ["import", "legacy", str(files[1]), "--taken-at", "2014-10-31 12:00"])
    assert outcome.exit_code == 2 and "has no time zone" in outcome.output
