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
    """(line, absolute name) for every import in ``source``, a module of ``package``;
    relative imports are resolved against it. ``from a import b`` gives ``a.b``, since ``b``
    may be a module (the caller looks for the longest known module in the name)."""
    here = package.split(".")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[: len(here) - node.level + 1]) if node.level else ""
            target = ".".join(part for part in (base, node.module) if part)
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
        (1, "typing.TYPE_CHECKING"),
        (3, "web.app.create_app"),
        (5, "workers.runtime.jobs"),
        (6, "domain.errors.Conflict"),
        (7, "domain.sub.names"),
    ]


def modules() -> dict[str, Path]:
    return {module_name(path): path for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))}


def import_graph() -> dict[str, dict[str, int]]:
    """Module -> {project module it imports: the first line doing so}. ``from a import b`` is an
    arrow to ``a.b`` when that is a module, else to ``a``; an import of a name inside a
    module counts as an arrow to that module."""
    known = modules()
    graph: dict[str, dict[str, int]] = {}
    for module, path in known.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        arrows = graph.setdefault(module, {})
        for line, target in imported(path.read_text(), package):
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module:
                arrows.setdefault(target, line)
    return graph


def circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Each group of modules that reach one another through imports (Tarjan's strongly
    connected components), of two modules or more."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def describe(graph: dict[str, dict[str, int]], group: list[str]) -> str:
    paths = modules()
    arrows = (
        f"  {paths[module].relative_to(ROOT)}:{line} imports {target}"
        for module in group
        for target, line in sorted(graph[module].items())
        if target in group
    )
    return "circle of " + ", ".join(group) + ":\n" + "\n".join(arrows)


def test_no_modules_import_each_other_in_a_circle() -> None:
    graph = import_graph()
    found = circles(graph)
    assert not found, "these modules import each other, directly or round a circle:\n" + "\n".join(
        describe(graph, group) for group in found
    )


def test_the_circle_check_finds_a_circle_through_a_package_face() -> None:
    graph = {"a": {"a.b": 1}, "a.b": {"c": 2}, "c": {"a": 3}, "d": {"a": 4}}
    assert circles(graph) == [["a", "a.b", "c"]]


def room(module: str) -> str:
    """A module's room: its first two names (``workers.runtime``, ``web.api``); a module
    straight in a top-level folder (``web.app``, every one of ``domain``) is a room of its own."""
    return ".".join(module.split(".")[:2])


def rooms(graph: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """The same graph between rooms: room -> {room it imports from: how many arrows}."""
    joined: dict[str, dict[str, int]] = {}
    for module, arrows in graph.items():
        for target in arrows:
            if room(target) != room(module):
                counts = joined.setdefault(room(module), {})
                counts[room(target)] = counts.get(room(target), 0) + 1
    return joined


def test_no_rooms_import_each_other_in_a_circle() -> None:
    graph = import_graph()
    found = circles(rooms(graph))
    arrows = [
        f"  {module} imports {target}"
        for group in found
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if room(module) in group and room(target) in group and room(module) != room(target)
    ]
    listed = "; ".join(" <-> ".join(group) for group in found)
    assert not found, f"these rooms import each other round a circle: {listed}\n" + "\n".join(arrows)
