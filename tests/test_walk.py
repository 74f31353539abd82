"""The fast traversal (ftlint.walk) calls hooks exactly as libcst's own traversal does."""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst
import pytest

from ftlint.analysis.imports import ImportMap, _ImportCollector
from ftlint.walk import TOKEN_TYPES, walk

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(
    [*ROOT.glob("ftlint/**/*.py"), *ROOT.glob("tests/**/*.py"), *ROOT.glob("fixtures/**/*.py")]
)


class _Recorder(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, int]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.events.append(("enter", id(node)))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.events.append(("leave", id(original_node)))


def _events(module: cst.Module, skip: frozenset[type[cst.CSTNode]]) -> list[tuple[str, int]]:
    events: list[tuple[str, int]] = []
    walk(
        module,
        lambda node: events.append(("enter", id(node))),
        lambda node: events.append(("leave", id(node))),
        skip=skip,
    )
    return events


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: str(path.relative_to(ROOT)))
def test_same_order_as_libcst(path: Path) -> None:
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    recorder = _Recorder()
    # Room for libcst's recursive visit of deep files, restored after it, as the engine does.
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, 10_000))
    try:
        module.visit(recorder)
    finally:
        sys.setrecursionlimit(previous)
    assert _events(module, frozenset()) == recorder.events
    nodes: dict[int, cst.CSTNode] = {}
    walk(module, lambda node: nodes.setdefault(id(node), node), skip=frozenset())
    kept = [event for event in recorder.events if type(nodes[event[1]]) not in TOKEN_TYPES]
    skipped = _events(module, TOKEN_TYPES)
    # Skipping token subtrees drops exactly the token nodes.
    assert skipped == kept


@pytest.mark.parametrize("path", SAMPLES[:40], ids=lambda path: str(path.relative_to(ROOT)))
def test_imports_as_a_full_visit(path: Path) -> None:
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    collector = _ImportCollector()
    module.visit(collector)
    assert ImportMap.from_module(module).bindings == collector.bindings
