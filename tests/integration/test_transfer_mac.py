"""An events export is sealed with a MAC under a key derived from the KEK, which the operator
holds outside the database: a line forged into it, with the plain SHA-256 recomputed as
anyone can, is refused with nothing written; an export from an earlier format (digest only)
is refused with the advice to export again."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.person import Person
from projections import runner
from tests.integration.test_event_transfer import empty_pg, target_settings  # noqa: F401
from tests.redteam.test_transfer_files import event_lines, exported, target
from workers.history.transfer import export as transfer
from workers.history.transfer import load as log_import
from workers.history.transfer.export import TransferError
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def resealed(lines: list[str]) -> list[str]:
    """The end line's digest recomputed over the lines before it, as a forger would."""
    end = json.loads(lines[-1])
    end["sha256"] = hashlib.sha256("".join(lines[:-1]).encode()).hexdigest()
    return [*lines[:-1], json.dumps(end) + "\n"]


def forged_operator_grant(source: Runtime, lines: list[str]) -> list[str]:
    """A real OperatorGranted event for someone in the file, never saved, added as the last
    event with the header's and end line's counts put right."""
    signed_up = next(
        json.loads(line) for line in lines if '"domain.person:Person.SignedUp"' in line
    )  # someone in the file
    person: Person = source.app.repository.get(UUID(signed_up["originator_id"]))
    person.grant_operator()
    stored = source.app.mapper.to_stored_event(person.collect_events()[-1])
    header, end = json.loads(lines[0]), json.loads(lines[-1])
    position = header["head"] + 1
    forged = {
        "position": position,
        "originator_id": str(stored.originator_id),
        "version": stored.originator_version,
        "topic": stored.topic,
        "state": base64.b64encode(stored.state).decode(),
    }
    header["head"], header["events"], end["events"] = position, header["events"] + 1, end["events"] + 1
    last = event_lines(lines)[-1]
    changed = [json.dumps(header) + "\n", *lines[1 : last + 1], json.dumps(forged) + "\n", json.dumps(end) + "\n"]
    return resealed(changed)


def refused(source: Runtime, tmp_path: Path, request: Any, file: Path, message: str) -> None:
    rt = target(source, tmp_path, request)
    try:
        with pytest.raises(TransferError, match=message):
            log_import.import_log(rt, file)
        assert runner.head(rt.app) == 0
    finally:
        rt.close()


def test_a_forged_operator_grant_with_the_digest_recomputed_is_refused(
    any_runtime: Runtime, tmp_path: Path, request: Any
) -> None:
    file, lines = exported(any_runtime, tmp_path)
    file.write_text("".join(forged_operator_grant(any_runtime, lines)))
    refused(any_runtime, tmp_path, request, file, "MAC .* does not verify")


def test_an_export_without_a_mac_or_of_format_version_1_is_refused_with_how_to_export_again(
    any_runtime: Runtime, tmp_path: Path, request: Any
) -> None:
    file, lines = exported(any_runtime, tmp_path)
    end = json.loads(lines[-1])
    del end["mac"]
    file.write_text("".join([*lines[:-1], json.dumps(end) + "\n"]))
    refused(any_runtime, tmp_path, request, file, "carries no MAC")
    header = json.loads(lines[0])
    header["version"] = 1
    file.write_text("".join(resealed([json.dumps(header) + "\n", *lines[1:]])))
    refused(any_runtime, tmp_path, request, file, "version 1.*Export again")


def test_the_mac_is_keyed_by_the_kek_and_an_untouched_export_still_imports(
    any_runtime: Runtime, tmp_path: Path, request: Any
) -> None:
    file, lines = exported(any_runtime, tmp_path)
    end = json.loads(lines[-1])
    assert end["mac_kek"] == any_runtime.keys.ring.current.id
    assert end["mac"] == transfer.mac(any_runtime.keys.ring.current, end["sha256"])
    assert end["mac"] not in (end["sha256"], hashlib.sha256(end["sha256"].encode()).hexdigest())
    rt = target(any_runtime, tmp_path, request)
    try:
        imported = log_import.import_log(rt, file)
        assert imported.head == runner.head(any_runtime.app)
    finally:
        rt.close()
