"""The docs' link checker (tools/check_links.py, run by `make lint`) catches a link to a
file that is not there and an anchor that names no heading, and passes good ones."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "check_links.py"


@pytest.fixture(scope="module")
def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_links", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_link_to_a_missing_file_is_reported_with_its_line(checker: ModuleType, tmp_path: Path) -> None:
    page = write(tmp_path / "README.md", "# Title\n\nSee [the guide](docs/guide.md).\n")
    [report] = checker.broken_links([page])
    assert report.endswith(":3: docs/guide.md (no such file)")


def test_an_anchor_naming_no_heading_is_reported(checker: ModuleType, tmp_path: Path) -> None:
    write(tmp_path / "docs" / "guide.md", "# Guide\n\n## Keys, and rotating them\n")
    page = write(tmp_path / "README.md", "[keys](docs/guide.md#keys) and [here](#nowhere)\n")
    reports = checker.broken_links([page])
    assert len(reports) == 2
    assert "docs/guide.md#keys (no heading #keys in" in reports[0]
    assert "#nowhere (no heading #nowhere in" in reports[1]


def test_good_links_pass_with_githubs_slugs(checker: ModuleType, tmp_path: Path) -> None:
    guide = '# Guide\n\n## "Was I told?": `pipeline mail log --person ID`\n## FAQ\n## FAQ\n'
    write(tmp_path / "docs" / "guide.md", guide)
    write(tmp_path / "tests" / "unit" / "x.py", "")
    page = write(
        tmp_path / "README.md",
        "[told](docs/guide.md#was-i-told-pipeline-mail-log---person-id) [again](docs/guide.md#faq-1)\n"
        "[folder](tests/unit/) [web](https://example.org/missing) ![pic](tests/unit/x.py)\n"
        "`[not a link](nowhere.md)`\n```\n[in code](nowhere.md)\n```\n",
    )
    assert checker.broken_links([page]) == []


def test_the_command_exits_non_zero_listing_each_broken_link(
    checker: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = write(tmp_path / "a.md", "[one](gone.md)\n[two](also-gone.md)\n")
    assert checker.main([str(page)]) == 1
    out = capsys.readouterr().out
    assert "gone.md (no such file)" in out and "also-gone.md (no such file)" in out
    assert checker.main([str(write(tmp_path / "b.md", "[fine](a.md)\n"))]) == 0
