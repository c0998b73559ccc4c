"""``pipeline events import`` refuses every kind of damaged export, naming the line and the
fault, and writes nothing: each damage below is made to a real export and "resealed" (its
end-line digest and MAC recomputed, as only a holder of the source's KEK could), so it is
the line checks that must catch it, not the digest or the MAC (``test_transfer_mac``)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from projections import runner
from tests import support
from tests.factories import mixed_history
from tests.integration.test_event_transfer import empty_pg, target_settings  # noqa: F401
from workers.adapters.kek import Kek
from workers.history.transfer import export as transfer
from workers.history.transfer import load as log_import
from workers.history.transfer.export import TransferError
from workers.runtime.bootstrap import Runtime, build_runtime

pytestmark = pytest.mark.integration
Lines = list[dict[str, Any]]


def events(lines: Lines) -> list[int]:
    return [i for i, line in enumerate(lines) if "position" in line]


def keys(lines: Lines) -> list[int]:
    return [i for i, line in enumerate(lines) if "person_key" in line]


SEALING: dict[str, Kek] = {}  # the KEK of the last export made here (its holder can reseal)


def write_digest(lines: Lines) -> None:
    """Make the end line's digest, and its MAC, those of the lines before it, as they now are."""
    end = max(i for i, line in enumerate(lines) if "end" in line)
    lines[end]["sha256"] = hashlib.sha256("".join(json.dumps(line) + "\n" for line in lines[:end]).encode()).hexdigest()
    lines[end]["mac"] = transfer.mac(SEALING["kek"], lines[end]["sha256"])


def write(file: Path, lines: Lines, reseal: bool = True) -> None:
    if reseal and "end" in lines[-1]:
        write_digest(lines)
    file.write_text("".join(json.dumps(line) + "\n" for line in lines))


def missing_field(lines: Lines) -> str:
    del lines[events(lines)[0]]["originator_id"]
    return rf"Line {events(lines)[0] + 1} .*'originator_id' is missing"


def version_as_text(lines: Lines) -> str:
    lines[events(lines)[2]]["version"] = "1"
    return rf"Line {events(lines)[2] + 1} .*'version' is not a whole number"


def swapped(lines: Lines) -> str:
    a, b = events(lines)[-2:]
    lines[a], lines[b] = lines[b], lines[a]
    return rf"Line {b + 1} .*position {lines[b]['position']} does not follow"


def repeated_position(lines: Lines) -> str:
    a, b = events(lines)[3:5]
    lines[b]["position"] = lines[a]["position"]
    return rf"Line {b + 1} .*does not follow"


def repeated_event(lines: Lines) -> str:
    """The same (originator, version) again, at a new position after the last, counts fixed up."""
    copy = dict(lines[events(lines)[0]], position=lines[events(lines)[-1]]["position"] + 1)
    lines.insert(len(lines) - 1, copy)
    lines[0]["head"] = copy["position"]
    lines[0]["events"] = lines[-1]["events"] = lines[-1]["events"] + 1
    return rf"Line {len(lines) - 1} .*version 1 of .* where \d+ was due"


def event_deleted_counts_fixed(lines: Lines) -> str:
    """An aggregate's first event gone, with header and end line made to agree."""
    seen: dict[str, int] = {}
    for later in events(lines):
        if (originator := lines[later]["originator_id"]) in seen:
            break
        seen[originator] = later
    first = seen[originator]
    del lines[first]
    lines[0]["events"] = lines[-1]["events"] = lines[-1]["events"] - 1
    return rf"Line {later} .*version 2 of {originator} where 1 was due"


def above_head(lines: Lines) -> str:
    lines[0]["head"] -= 1
    return rf"Line {events(lines)[-1] + 1} .*up to the header's head"


def header_count_disagrees(lines: Lines) -> str:
    lines[0]["events"] += 1
    return "incomplete: its header says"


def edited_state(lines: Lines) -> str:
    lines[events(lines)[-1]]["state"] = base64.b64encode(b'{"not": "this event"}').decode()
    return rf"Line {events(lines)[-1] + 1} .*does not decode"


def unknown_topic(lines: Lines) -> str:
    lines[events(lines)[1]]["topic"] = "domain.person:Person.Vanished"
    return rf"Line {events(lines)[1] + 1} .*does not decode"


def state_not_base64(lines: Lines) -> str:
    lines[events(lines)[1]]["state"] = "not base64!"
    return "'state' is not base64"


def key_edited(lines: Lines) -> str:
    row = lines[keys(lines)[0]]["person_key"]
    row["wrapped"] = base64.b64encode(b"x" * 60).decode()
    return rf"Line {keys(lines)[0] + 1} .*does not open"


def key_moved_to_another_person(lines: Lines) -> str:
    a, b = keys(lines)[:2]
    lines[a]["person_key"]["wrapped"], lines[b]["person_key"]["wrapped"] = (
        lines[b]["person_key"]["wrapped"],
        lines[a]["person_key"]["wrapped"],
    )
    return rf"Line {a + 1} .*does not open"


def key_repeated(lines: Lines) -> str:
    lines.insert(keys(lines)[0], json.loads(json.dumps(lines[keys(lines)[0]])))
    lines[0]["person_keys"] += 1
    return rf"Line {keys(lines)[1] + 1} .*a second key"


def key_after_events(lines: Lines) -> str:
    moved = lines.pop(keys(lines)[-1])
    lines.insert(len(lines) - 1, moved)
    return r"a person key line after the event lines"


def line_after_end(lines: Lines) -> str:
    write_digest(lines)  # the end line stays true to what precedes it
    lines.append({"note": "added after the end"})
    return "comes after its end line"


def unreadable_line(lines: Lines) -> str:
    lines.insert(3, "just text")  # type: ignore[arg-type]
    return "Line 4 of the export is not a JSON object"


def no_email_index_key(lines: Lines) -> str:
    del lines[1]
    return "no email index key"


DAMAGES: list[Callable[[Lines], str]] = [
    missing_field,
    version_as_text,
    swapped,
    repeated_position,
    repeated_event,
    event_deleted_counts_fixed,
    above_head,
    header_count_disagrees,
    edited_state,
    unknown_topic,
    state_not_base64,
    key_edited,
    key_moved_to_another_person,
    key_repeated,
    key_after_events,
    line_after_end,
    unreadable_line,
    no_email_index_key,
]


def exported(source: Runtime, tmp_path: Path) -> tuple[Path, Lines]:
    mixed_history(source.app)
    file = tmp_path / "log.ndjson"
    transfer.export(source, file)
    SEALING["kek"] = source.keys.ring.current
    return file, [json.loads(line) for line in file.read_text().splitlines()]


def empty_target(source: Runtime, tmp_path: Path, request: Any) -> Runtime:
    kind = "pg" if source.db.dialect == "postgres" else "sqlite"
    url = request.getfixturevalue("empty_pg") if kind == "pg" else ""
    return build_runtime(target_settings(kind, tmp_path, url, source.settings), create_tables=True)


def nothing_written(rt: Runtime) -> bool:
    held = [rt.db.query(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"] for t in ("person_keys", "secret_keys")]
    return runner.head(rt.app) == 0 and held == [0, 0]


def test_every_kind_of_damage_is_refused_naming_the_line_with_nothing_written(
    any_runtime: Runtime, tmp_path: Path, request: Any
) -> None:
    file, pristine = exported(any_runtime, tmp_path)
    rt = empty_target(any_runtime, tmp_path, request)
    try:
        for damage in DAMAGES:
            lines = json.loads(json.dumps(pristine))
            expected = damage(lines)
            write(file, lines)
            with pytest.raises(TransferError, match=expected):
                log_import.import_log(rt, file)
            assert nothing_written(rt), damage.__name__
        write(file, json.loads(json.dumps(pristine)))
        log_import.import_log(rt, file)  # the same store takes the whole file: the refusals left it clean
        assert runner.head(rt.app) == pristine[-2]["position"]
    finally:
        rt.close()


def test_a_changed_byte_is_caught_by_the_digest_and_a_cut_file_by_its_missing_end(
    sqlite_runtime: Runtime, tmp_path: Path, request: Any
) -> None:
    file, pristine = exported(sqlite_runtime, tmp_path)
    rt = empty_target(sqlite_runtime, tmp_path, request)
    try:
        lines = json.loads(json.dumps(pristine))
        lines[keys(lines)[0]]["person_key"]["created_at"] = "2001-01-01T00:00:00+00:00"  # decodes, opens
        write(file, lines, reseal=False)
        with pytest.raises(TransferError, match="does not match the digest"):
            log_import.import_log(rt, file)
        write(file, pristine)
        file.write_bytes(file.read_bytes()[:-20])  # the end line cut in the middle
        with pytest.raises(TransferError, match="not a JSON object"):
            log_import.import_log(rt, file)
        file.write_bytes(b"".join(file.read_bytes().splitlines(keepends=True)[:-1]))  # no end line at all
        with pytest.raises(TransferError, match="no end line"):
            log_import.import_log(rt, file)
        assert nothing_written(rt)
    finally:
        rt.close()


def test_keys_of_people_without_a_living_sign_up_are_left_out(
    any_runtime: Runtime, tmp_path: Path, request: Any
) -> None:
    orphan = uuid4()
    any_runtime.app.personal.new_key(orphan)  # a sign-up that failed after making its key
    erased = mixed_history(any_runtime.app)[2]
    any_runtime.app.erase(erased, actor=None)
    any_runtime.app.personal.new_key(erased)  # as if the erasure stopped before forgetting the key
    file = tmp_path / "log.ndjson"
    transfer.export(any_runtime, file)
    rt = empty_target(any_runtime, tmp_path, request)
    try:
        imported = log_import.import_log(rt, file)
        assert imported.unused_keys == 2
        stored = {r["person_id"] for r in rt.db.query("SELECT person_id FROM person_keys")}
        assert str(orphan) not in stored and str(erased) not in stored and stored
    finally:
        rt.close()


def test_the_command_line_prints_the_fault_and_exits_non_zero(pg_runtime: Runtime, tmp_path: Path) -> None:
    file, lines = exported(pg_runtime, tmp_path)
    missing_field(lines)
    write(file, lines)
    target = f"sqlite:///{tmp_path}/target/pipeline.sqlite3"
    env = support.pipeline_env(DATABASE_URL=target)
    with pytest.raises(RuntimeError, match=r"(?s)failed \(1\).*Error: Line \d+ .*'originator_id' is missing"):
        support.run_cli("events", "import", str(file), env=env)
    rt = build_runtime(target_settings("sqlite", tmp_path, "", pg_runtime.settings))
    try:
        assert runner.head(rt.app) == 0
    finally:
        rt.close()
