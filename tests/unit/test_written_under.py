"""The check `tests/conftest.py` runs at the end of a session: files a run left under ./var/."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.support import written_under


def test_files_changed_since_the_start_are_found_and_older_ones_are_not(tmp_path: Path) -> None:
    old = tmp_path / "outbox" / "old.eml"
    old.parent.mkdir()
    old.write_text("before the run")
    started = time.time()
    os.utime(old, (started - 60, started - 60))
    new = tmp_path / "outbox" / "deep" / "new.eml"
    new.parent.mkdir()
    new.write_text("during the run")
    assert written_under(tmp_path, started) == [new]


def test_a_folder_that_does_not_exist_holds_nothing(tmp_path: Path) -> None:
    assert written_under(tmp_path / "var", time.time()) == []
