"""The commit-subject check (tools/check_commits.py, run by `make lint`) refuses a subject
over 72 characters and passes one at the limit."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "check_commits.py"


@pytest.fixture(scope="module")
def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_commits", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def commit(repo: Path, subject: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org"}
    env |= {"GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", subject], cwd=repo, env=env, check=True)


def test_a_long_subject_is_refused_and_one_at_the_limit_passes(
    checker: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    commit(tmp_path, "x" * 72)
    commit(tmp_path, "y" * 73)
    monkeypatch.chdir(tmp_path)
    assert checker.main(["HEAD~1^!"]) == 0
    assert checker.main(["HEAD"]) == 1
    assert "y" * 73 in capsys.readouterr().err
