"""Red team: legacy files that are not quite the sample (`pipeline import legacy`).

docs/history-and-reports.md promises a file that is not right stops with a message saying which, and
nothing written. Each test here fails because of a defect."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from projections import runner
from tests.support import LEGACY_SAMPLE, pipeline_env, run_cli
from workers.history.legacy.file import NotALegacyFile, read
from workers.history.legacy.importer import import_legacy
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
SAMPLE = LEGACY_SAMPLE


def edited(tmp_path: Path, sql: str) -> Path:
    file = tmp_path / "legacy.sqlite"
    shutil.copy(SAMPLE, file)
    with sqlite3.connect(file) as connection:
        connection.executescript(sql)
    connection.close()
    return file


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE roadkill_users SET createdon = '2014-09-24T08:09:40+01:00'",  # ISO with an offset
        "UPDATE roadkill_users SET createdon = '24/09/2014 08:09:40'",  # a UK-style date
        "UPDATE roadkill_users SET createdon = 1411542580",  # Unix seconds in a DATETIME column
        "UPDATE roadkill_pagecontent SET versionnumber = NULL",  # NULL where the sample has values
        "UPDATE roadkill_pagecontent SET projectstart = 'soon'",
        "UPDATE roadkill_users SET orgid = 'abc'",
    ],
    ids=["iso-offset", "uk-date", "unix-seconds", "null-version", "projectstart-text", "orgid-text"],
)
def test_an_odd_value_in_the_file_is_a_clear_refusal_with_nothing_written(
    any_runtime: Runtime, tmp_path: Path, sql: str
) -> None:
    file = edited(tmp_path, sql)
    head = runner.head(any_runtime.app)
    try:  # any other exception is a traceback from the CLI, which turns only NotALegacyFile into a message
        import_legacy(any_runtime, read(file))
    except NotALegacyFile:  # the documented refusal, naming what is wrong: then nothing is written
        assert runner.head(any_runtime.app) == head
    # else: taking the row in, or listing it as not imported, would be right too


def test_times_in_the_future_are_not_taken_in_as_history(any_runtime: Runtime, tmp_path: Path) -> None:
    file = edited(tmp_path, "UPDATE roadkill_users SET createdon = '2099-01-01 00:00:00'")
    try:
        import_legacy(any_runtime, read(file))
    except NotALegacyFile:
        return
    now = datetime.now(UTC)
    future = [
        n.id
        for n in any_runtime.app.recorder.select_notifications(start=1, limit=100000)
        if any_runtime.app.mapper.to_domain_event(n).timestamp > now
    ]
    assert future == []


# ---------------------------------------------------------------- the same fault through other doors
@pytest.mark.parametrize(
    ("sql", "listed"),
    [
        ("UPDATE roadkill_users SET isactivated = 'maybe'", "isactivated 'maybe' is not a yes/no value"),
        ("UPDATE roadkill_pagecontent SET pageid = 'three' WHERE pageid = 3", "pageid 'three' is not a whole number"),
        ("UPDATE roadkill_pagecontent SET projectend = '2015-02-30 00:00:00'", "projectend '2015-02-30 00:00:00'"),
        ("UPDATE roadkill_pagecontent SET projectstart = '2014-09-17 24:00:00'", "is not a date"),
        ("UPDATE roadkill_pagecontent SET editedon = 1411542580.5", "is a number, not a time"),
        ("UPDATE pipeline_relationship SET reltypeid = 'like'", "reltypeid 'like' is not a whole number"),
        ("UPDATE pipeline_relationship SET reldatetime = '2014-10-22 25:00:00'", "reldatetime '2014-10-22 25:00:00'"),
        ("UPDATE pipeline_relationship SET orgid = 12.5", "orgid 12.5 is not a whole number"),
        ("UPDATE roadkill_pages SET createdon = '2014-10-06T07:40:07+25:00'", "createdon '2014-10-06T07:40:07+25:00'"),
        ("UPDATE roadkill_pages SET title = X'00ff'", "title b'\\x00\\xff' is binary data"),
        ("UPDATE roadkill_pagecontent SET versionnumber = 1 WHERE pageid = 3", "3 rows have this number"),
    ],
)
def test_every_column_read_is_checked_before_anything_is_written(
    any_runtime: Runtime, tmp_path: Path, sql: str, listed: str
) -> None:
    file = edited(tmp_path, sql)
    head = runner.head(any_runtime.app)
    with pytest.raises(NotALegacyFile, match="nothing written") as refused:
        import_legacy(any_runtime, read(file))
    assert listed in str(refused.value)
    assert runner.head(any_runtime.app) == head


def test_every_unreadable_value_is_listed_in_one_refusal(tmp_path: Path) -> None:
    file = edited(
        tmp_path,
        "UPDATE roadkill_users SET createdon = '24/09/2014 08:09:40' WHERE username = 'user3';"
        "UPDATE roadkill_users SET orgid = 'abc' WHERE username = 'user4';"
        "UPDATE roadkill_pagecontent SET versionnumber = NULL WHERE pageid = 4",
    )
    with pytest.raises(NotALegacyFile) as refused:
        read(file)
    message = str(refused.value)
    assert "4 value(s)" in message
    assert "roadkill_users 00000000-0000-0000-0000-000000000003: createdon '24/09/2014 08:09:40'" in message
    assert "roadkill_users 00000000-0000-0000-0000-000000000004: orgid 'abc'" in message
    assert message.count("versionnumber None is empty") == 2


def test_facts_after_now_are_left_out_and_listed_the_rest_is_written(any_runtime: Runtime, tmp_path: Path) -> None:
    file = edited(
        tmp_path,
        "UPDATE roadkill_users SET createdon = '9999-12-31 23:59:59Z' WHERE username = 'user12';"
        "UPDATE roadkill_pagecontent SET editedon = '2099-01-01 00:00:00Z' WHERE pageid = 6 AND versionnumber = 3;"
        "UPDATE pipeline_relationship SET reldatetime = '2099-06-01 12:00:00' WHERE id = 1;",
    )
    report = import_legacy(any_runtime, read(file))
    assert "user 00000000-0000-0000-0000-00000000000c: its createdon 9999-12-31 23:59:59 UTC is after now" in (
        "\n".join(report.unplaced)
    )
    assert any(u.startswith("page 6: its version 3: its editedon 2099-01-01") for u in report.unplaced)
    assert any(u.startswith("relationship 1: its reldatetime 2099-06-01") for u in report.unplaced)
    assert report.counts["projects"] == 3 and report.counts["people"] == 13  # every user but user12
    now = datetime.now(UTC)
    stamps = [
        any_runtime.app.mapper.to_domain_event(n).timestamp
        for n in any_runtime.app.recorder.select_notifications(start=1, limit=100000)
    ]
    assert stamps and max(stamps) <= now


def test_a_time_with_an_explicit_offset_is_read_with_it_and_said_so(any_runtime: Runtime, tmp_path: Path) -> None:
    file = edited(tmp_path, "UPDATE roadkill_users SET createdon = '2014-09-24T08:09:40+01:00'")
    data = read(file)
    with sqlite3.connect(f"file:{file}?mode=ro", uri=True) as db:
        users = db.execute("SELECT COUNT(*) FROM roadkill_users").fetchone()[0]
    db.close()
    assert data.notes == [
        f"{users} time(s) carry an explicit UTC offset (such as +01:00): read with that offset, not as UK time"
    ]
    report = import_legacy(any_runtime, data)
    assert report.stamps == [(datetime(2014, 9, 24, 7, 9, 40, tzinfo=UTC), users)]
    assert report.notes[0] == data.notes[0]


def test_usernames_missing_or_shared_leave_the_user_out(any_runtime: Runtime, tmp_path: Path) -> None:
    file = edited(
        tmp_path,
        "UPDATE roadkill_users SET username = NULL WHERE username = 'user12';"
        "UPDATE roadkill_users SET username = 'USER2' WHERE username = 'user4';"
        "UPDATE roadkill_pages SET createdby = NULL WHERE id = 6",
    )
    report = import_legacy(any_runtime, read(file))
    assert "user 00000000-0000-0000-0000-00000000000c: no username" in report.unplaced
    shared = [u for u in report.unplaced if u.endswith("its username is another user's too")]
    assert len(shared) == 2
    assert "page 6: its creator was not imported" in report.unplaced  # not the user without a username


def test_the_cli_says_why_a_file_is_refused_without_a_traceback(tmp_path: Path) -> None:
    file = edited(tmp_path, "UPDATE roadkill_users SET createdon = 1411542580")
    with pytest.raises(RuntimeError) as failed:
        run_cli("import", "legacy", str(file), env=pipeline_env())
    assert "is refused, nothing written: 14 value(s)" in str(failed.value)  # one per user
    assert "createdon 1411542580 is a number, not a time" in str(failed.value)
    assert "Traceback" not in str(failed.value)
