"""The package's modules import downward only: no cycle, counting every import (module
level, inside functions and under TYPE_CHECKING)."""

from __future__ import annotations

import ast
from pathlib import Path

import coverage_map

PACKAGE = Path(coverage_map.__file__).parent


def imports_of(path: Path) -> set[str]:
    """The package modules path imports, by module name (e.g. 'model')."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:  # from . import x
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("coverage_map."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("coverage_map."))
    return found


def graph() -> dict[str, set[str]]:
    modules = {p.stem: p for p in PACKAGE.glob("*.py")}
    return {name: imports_of(path) & set(modules) - {name} for name, path in modules.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of edges as the list of its modules, or None (depth-first search)."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_package_has_no_import_cycle():
    edges = graph()
    assert "pipeline" in edges["cli"]  # the walk sees relative imports
    assert find_cycle(edges) is None, " -> ".join(find_cycle(edges))


def test_renderers_import_the_model_not_the_pipeline():
    edges = graph()
    for renderer in ("maps", "report", "workbook", "figures", "export"):
        assert "pipeline" not in edges[renderer], renderer
    assert "model" in edges["maps"] and "model" in edges["report"]
