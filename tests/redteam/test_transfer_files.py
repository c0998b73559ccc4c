"""Red team: export files cut or edited before `pipeline events import`.

The import promises to check the file before writing anything and to refuse one that is
not whole; each test here fails because a damaged file is taken in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from projections import runner
from tests.factories import mixed_history
from tests.integration.test_event_transfer import empty_pg, target_settings  # noqa: F401
from workers.history.transfer import export as transfer
from workers.history.transfer import load as log_import
from workers.history.transfer.export import TransferError
from workers.runtime.bootstrap import Runtime, build_runtime

pytestmark = pytest.mark.integration


def exported(source: Runtime, tmp_path: Path) -> tuple[Path, list[str]]:
    mixed_history(source.app)
    source.catch_up()
    file = tmp_path / "log.ndjson"
    transfer.export(source, file)
    return file, file.read_text().splitlines(keepends=True)


def event_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if '"position"' in line]


def target(any_runtime: Runtime, tmp_path: Path, request: Any) -> Runtime:
    kind = "pg" if any_runtime.db.dialect == "postgres" else "sqlite"
    url = request.getfixturevalue("empty_pg") if kind == "pg" else ""
    return build_runtime(target_settings(kind, tmp_path, url, any_runtime.settings), create_tables=True)


def assert_refused_with_nothing_written(source: Runtime, tmp_path: Path, request: Any, file: Path) -> None:
    rt = target(source, tmp_path, request)
    try:
        with pytest.raises(TransferError):
            log_import.import_log(rt, file)
        assert runner.head(rt.app) == 0
    finally:
        rt.close()


def test_an_export_missing_one_event_line_is_refused(any_runtime: Runtime, tmp_path: Path, request: Any) -> None:
    file, lines = exported(any_runtime, tmp_path)
    del lines[event_lines(lines)[-1]]  # the last event is gone; the header and end line still say N events
    file.write_text("".join(lines))
    assert_refused_with_nothing_written(any_runtime, tmp_path, request, file)


def test_an_export_with_events_out_of_order_leaves_a_store_that_can_still_be_written(
    pg_runtime: Runtime, tmp_path: Path, request: Any
) -> None:
    """PostgreSQL only: SQLite's next rowid follows the largest one, and held."""
    file, lines = exported(pg_runtime, tmp_path)
    last, before = event_lines(lines)[-1], event_lines(lines)[-2]
    lines[last], lines[before] = lines[before], lines[last]
    file.write_text("".join(lines))
    rt = target(pg_runtime, tmp_path, request)
    try:
        try:
            log_import.import_log(rt, file)
        except TransferError:
            return  # refusing the file is a right answer too
        signed_up = [json.loads(line) for line in lines if '"domain.person:Person.SignedUp"' in line]
        # a command that does not retry on a clash of log positions, as sign-up does
        rt.app.set_evaluator(UUID(signed_up[0]["originator_id"]), True, actor=None)
    finally:
        rt.close()


def test_an_event_whose_bytes_were_edited_is_refused_before_anything_is_written(
    any_runtime: Runtime, tmp_path: Path, request: Any
) -> None:
    file, lines = exported(any_runtime, tmp_path)
    index = event_lines(lines)[-1]
    record = json.loads(lines[index])
    record["state"] = "bm90IGFuIGV2ZW50"  # base64 of b"not an event"
    lines[index] = json.dumps(record) + "\n"
    file.write_text("".join(lines))
    assert_refused_with_nothing_written(any_runtime, tmp_path, request, file)


def test_a_line_without_an_originator_is_a_transfer_error_not_a_traceback(
    any_runtime: Runtime, tmp_path: Path, request: Any
) -> None:
    file, lines = exported(any_runtime, tmp_path)
    index = event_lines(lines)[0]
    record = json.loads(lines[index])
    del record["originator_id"]
    lines[index] = json.dumps(record) + "\n"
    file.write_text("".join(lines))
    rt = target(any_runtime, tmp_path, request)
    try:
        with pytest.raises(TransferError):
            log_import.import_log(rt, file)
    finally:
        rt.close()
