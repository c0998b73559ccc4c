"""`pipeline import legacy` says how many members of which councils a file will create and
asks before writing anything, unless --yes: a hostile file naming a council cannot mint its
members unseen."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from projections import runner
from tests.support import LEGACY_SAMPLE, pipeline_env, run_cli
from web.cli.main import main
from workers.runtime.bootstrap import build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


def hostile_file(tmp_path: Path) -> Path:
    """The sample, with a supplier renamed to a council its one (verified) user then joins."""
    file = tmp_path / "legacy.sqlite"
    shutil.copy(LEGACY_SAMPLE, file)
    with sqlite3.connect(file) as connection:
        connection.execute("UPDATE pipeline_orgs SET orgname = 'Hull City Council' WHERE id = 365")
    connection.close()
    return file


def head(env: dict[str, str]) -> int:
    rt = build_runtime(Settings.from_env(env))
    try:
        return runner.head(rt.app)
    finally:
        rt.close()


@pytest.mark.parametrize("mode", ["sqlite", "pg"])
def test_the_import_lists_the_members_it_will_create_and_asks_first(
    mode: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path}/pipeline.sqlite3" if mode == "sqlite" else request.getfixturevalue("pg_url")
    env = pipeline_env(DATABASE_URL=url)
    run_cli("init", env=env)
    file, before = hostile_file(tmp_path), head(env)
    cli = CliRunner()
    for answer in ("n\n", ""):  # no, and no answer at all (a script without --yes)
        refused = cli.invoke(main, ["import", "legacy", str(file)], input=answer, env=env)
        assert refused.exit_code == 1, refused.output
        assert "KHL Hull City Council: 1 members (1 verified)" in refused.output
        assert "Kirklees" in refused.output and "Nothing imported" in refused.output
        assert head(env) == before
    done = cli.invoke(main, ["import", "legacy", str(file)], input="y\n", env=env)
    assert done.exit_code == 0, done.output
    assert head(env) > before
    again = cli.invoke(main, ["import", "legacy", str(file), "--yes"], env=env)
    assert again.exit_code == 0 and "This file creates no new members." in again.output
