"""Imports between the top-level folders point one way: web -> workers -> projections ->
domain (a layer may skip the ones between). Every import counts, at any depth: inside
functions and under ``TYPE_CHECKING`` too, since either can hide a cycle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "projections", "workers", "web")  # lowest first: each may import only those before it


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, package: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for every import in ``source``, a module of ``package``;
    relative imports are resolved against it."""
    here = package.split(".")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[: len(here) - node.level + 1]) if node.level else ""
            target = ".".join(part for part in (base, node.module) if part)
            if node.module:
                yield node.lineno, target
            else:  # ``from . import x``: each name may be a module
                yield from ((node.lineno, f"{target}.{alias.name}") for alias in node.names)


def upward_imports() -> list[str]:
    found = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            module = module_name(path)
            package = module if path.name == "__init__.py" else module.rpartition(".")[0]
            for line, target in imported(path.read_text(), package):
                top = target.split(".")[0]
                if top in LAYERS and LAYERS.index(top) > LAYERS.index(layer):
                    found.append(f"{path.relative_to(ROOT)}:{line} (module {module}) imports {target}")
    return found


def test_imports_between_the_top_level_folders_only_point_down() -> None:
    upward = upward_imports()
    order = " -> ".join(reversed(LAYERS))
    assert not upward, f"imports must only point {order}; these point up:\n" + "\n".join(upward)


def test_the_check_sees_imports_in_functions_under_type_checking_and_relative_ones() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from web.app import create_app\n"
        "def later():\n"
        "    import workers.runtime.jobs\n"
        "from ..errors import Conflict\n"
        "from . import names\n"
    )
    assert sorted(imported(source, "domain.sub")) == [
        (1, "typing"),
        (3, "web.app"),
        (5, "workers.runtime.jobs"),
        (6, "domain.errors"),
        (7, "domain.sub.names"),
    ]
