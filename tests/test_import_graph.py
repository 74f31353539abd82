"""No import cycles inside the ftlint package.

The graph is read from the source with ``ast`` (nothing is imported), and counts every import
of another ftlint module: at module level, under ``if TYPE_CHECKING:`` and inside functions
alike, since a lazy or type-only import still ties the two modules together.

A package stands for its ``__init__.py``. Importing ``ftlint.a.b`` also runs the ``__init__`` of
``ftlint`` and ``ftlint.a`` first, but those implicit parent imports are not edges: with them
every submodule a package ``__init__`` re-exports would be "in a cycle" with it, a harmless
pattern Python orders by itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import REPO

PACKAGE = "ftlint"


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    path: Path  # the importer's file, relative to the repository
    line: int
    where: str  # "module level", "TYPE_CHECKING" or "in a function"

    def __str__(self) -> str:
        return f"{self.path.as_posix()}:{self.line} imports {self.imported} ({self.where})"


def package_modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``package`` (in ``root/package``)."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
    """Every import statement in ``tree``, with where it sits."""

    def visit(
        nodes: Iterable[ast.AST], where: str
    ) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
        for node in nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                yield node, where
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from visit(ast.iter_child_nodes(node), "in a function")
            elif isinstance(node, ast.If) and where != "in a function" and _is_type_checking(
                node.test
            ):
                yield from visit(node.body, "TYPE_CHECKING")
                yield from visit(node.orelse, where)
            else:
                yield from visit(ast.iter_child_nodes(node), where)

    return visit(tree.body, "module level")


def _base_of(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    """The absolute module a ``from ... import`` reads from (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    # In a package's __init__, "." is the package itself; in a module, its parent.
    anchor = importer.split(".") if is_package else importer.split(".")[:-1]
    anchor = anchor[: len(anchor) - (node.level - 1)]
    return ".".join([*anchor, *([node.module] if node.module else [])])


def import_edges(root: Path, package: str) -> list[Edge]:
    """Every import of one module of ``package`` by another (or by itself)."""
    modules = package_modules(root, package)
    edges = []
    for importer, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, where in _imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                is_package = path.name == "__init__.py"
                base = _base_of(node, importer, is_package)
                # `from ftlint.x import y` imports ftlint.x, and ftlint.x.y when y is a submodule;
                # a package's `from . import y` imports its own submodule, not itself.
                submodules = [f"{base}.{alias.name}" for alias in node.names]
                targets = submodules if is_package and base == importer else [base, *submodules]
            for target in dict.fromkeys(targets):
                if target in modules:
                    edges.append(Edge(importer, target, path.relative_to(root), node.lineno, where))
    return edges


def cycles(graph: Mapping[str, Set[str]]) -> list[list[str]]:
    """The import cycles of ``graph``: each strongly connected component with more than one
    module, or a module importing itself, sorted; the components in sorted order."""
    nodes = set(graph) | {target for targets in graph.values() for target in targets}
    reach = {node: _reachable(graph, node) for node in nodes}
    components = {
        frozenset({node} | {other for other in reach[node] if node in reach[other]})
        for node in nodes
        if node in reach[node]  # on a cycle: it reaches itself through at least one import
    }
    return sorted(sorted(component) for component in components)


def _reachable(graph: Mapping[str, Set[str]], start: str) -> set[str]:
    """The nodes ``start`` reaches through one import or more (itself only if on a cycle)."""
    seen: set[str] = set()
    stack = list(graph.get(start, ()))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, ()))
    return seen


def shortest_loop(graph: Mapping[str, Set[str]], start: str) -> list[str]:
    """A shortest import chain from ``start`` back to itself: the quickest way to read a cycle."""
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph.get(node, ())):
                if target == start:
                    loop = [node]
                    while loop[-1] != start:
                        loop.append(parents[loop[-1]])
                    return [*reversed(loop), start]
                if target not in parents:
                    parents[target] = node
                    following.append(target)
        frontier = following
    return []


def describe(found: list[list[str]], edges: list[Edge]) -> str:
    graph = _graph(edges)
    blocks = [f"{len(found)} import cycle(s) among the modules of {PACKAGE}/:"]
    for number, component in enumerate(found, start=1):
        members = set(component)
        inside = sorted(
            (edge for edge in edges if edge.importer in members and edge.imported in members),
            key=lambda edge: (edge.path.as_posix(), edge.line, edge.imported),
        )
        blocks.append(
            "\n".join(
                [
                    f"cycle {number}: {len(component)} module(s): {', '.join(component)}",
                    f"  e.g. {' -> '.join(shortest_loop(graph, component[0]))}",
                    "  imports inside it:",
                    *(f"    {edge}" for edge in inside),
                ]
            )
        )
    return "\n\n".join(blocks)


def _graph(edges: list[Edge]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.importer, set()).add(edge.imported)
    return graph


def test_the_cycle_finder_finds_cycles_and_self_imports() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e", "a"}, "f": {"b"}}
    assert cycles(graph) == [["a", "b", "c"], ["e"]]
    assert shortest_loop(graph, "a") == ["a", "b", "c", "a"]
    assert shortest_loop(graph, "e") == ["e", "e"]


def test_the_cycle_finder_passes_a_graph_without_cycles() -> None:
    # A diamond: two paths to one module are not a cycle.
    assert cycles({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}) == []


def test_the_edges_count_every_kind_of_import(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "from pkg.sub import thing\n",
        "pkg/plain.py": "import os\n",
        "pkg/selfish.py": "from pkg.selfish import name\n",
        "pkg/sub/__init__.py": "from . import leaf\n",
        "pkg/sub/leaf.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from ..plain import x\n"
            "def lazy():\n"
            "    import pkg.sub.other\n"
        ),
        "pkg/sub/other.py": "from pkg import sub\nfrom .leaf import y\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = {(e.importer, e.imported, e.where) for e in import_edges(tmp_path, "pkg")}
    assert found == {
        ("pkg", "pkg.sub", "module level"),
        ("pkg.selfish", "pkg.selfish", "module level"),
        ("pkg.sub", "pkg.sub.leaf", "module level"),
        ("pkg.sub.leaf", "pkg.plain", "TYPE_CHECKING"),
        ("pkg.sub.leaf", "pkg.sub.other", "in a function"),
        ("pkg.sub.other", "pkg", "module level"),
        ("pkg.sub.other", "pkg.sub", "module level"),
        ("pkg.sub.other", "pkg.sub.leaf", "module level"),
    }


def test_ftlint_has_no_import_cycles() -> None:
    edges = import_edges(REPO, PACKAGE)
    found = cycles(_graph(edges))
    if found:
        pytest.fail(describe(found, edges), pytrace=False)
