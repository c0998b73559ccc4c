"""Red team: legacy files that are not quite the sample (`pipeline import legacy`).

The README promises a file that is not right stops with a message saying which, and
nothing written. Each test here fails because of a defect."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from projections import runner
from workers.bootstrap import Runtime
from workers.legacy_file import NotALegacyFile, read
from workers.legacy_import import import_legacy

pytestmark = pytest.mark.integration
SAMPLE = Path("/work/shared/data/legacy-pipeline-2014/sample.sqlite")


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
