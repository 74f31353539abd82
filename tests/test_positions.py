"""Positions computed one top-level statement at a time are libcst's own, for every node."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libcst.metadata import MetadataWrapper, PositionProvider
from support import FIXTURES

import ftlint
from ftlint.analysis.positions import StatementPositions, statement_lines
from ftlint.walk import walk


def _nodes(module: cst.Module) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []
    walk(module, found.append, skip=frozenset())
    return found


def assert_libcst_positions(text: str) -> int:
    """Every node's range, looked up last node first, is the one libcst gives, whether the
    statements' lines come from generating code or from CPython's tree."""
    module = cst.parse_module(text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = _nodes(module)
    for positions in (
        StatementPositions(module),
        StatementPositions(module, ast.parse(text), text),
    ):
        assert [positions[node] for node in reversed(nodes)] == [
            expected[node] for node in reversed(nodes)
        ]
    return len(nodes)


SOURCES = sorted(FIXTURES.rglob("*.py")) + sorted(
    (Path(ftlint.__file__).parent / "rules").glob("ft00*.py")
)


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_positions_of_real_files_in_every_newline_style(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for variant in (text, text.replace("\n", "\r\n"), text.rstrip("\n"), "# header\n\n" + text):
        assert assert_libcst_positions(variant) > 10


_STATEMENTS = st.sampled_from(
    ["x = 1", "a = 1; b = 2", "if a or b and c:\n\tp.requires_grad = False\nelse:\n\tpass",
     "@decorate\ndef f(\n    a,  # why\n):\n    return a", "class A(B):\n    '''doc\n    more'''",
     "y = (1 +\n     2)", "# a comment", "", "z = '''\nlines\n'''", "w = 1 \\\n    + 2",
     "async def g():\n    await h()", "@(\n    decorate\n)\n# why\nclass C: pass",
     "@ \\\n  decorate\n@other\nasync def h(): pass"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_STATEMENTS, max_size=6),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
)
def test_positions_of_any_module(statements: list[str], newline: str, trailing: bool) -> None:
    text = newline.join(statement.replace("\n", newline) for statement in statements)
    assert_libcst_positions(text + newline if trailing else text)


def test_a_node_outside_the_module_has_no_position_as_in_libcst() -> None:
    module = cst.parse_module("x = 1\n")
    stranger = cst.Name("x")
    with pytest.raises(KeyError, match="Name"):
        MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)[stranger]
    with pytest.raises(KeyError, match="Name"):
        StatementPositions(module)[stranger]


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("a = 1; b = 2\n\n# why\nif a:\n    pass\n    # indented\nc = 3\n", [1, 2, 7]),
        ("# header\n\n@decorate\n\n@other\ndef f(): pass\n", [3]),  # after the header
        ("x = 1\r# why\r\r@decorate\rclass C: pass\r", [1, 2]),
        ("x = [\n    1,\n]\nasync def f():\n    pass\n", [1, 4]),
        # CPython places a decorator after its `(` or `\`: the lines are left to libcst.
        ("@(\n    decorate\n)\ndef f(): pass\n", None),
        ("x = 1\n@\\\n  decorate\ndef f(): pass\n", None),
    ],
)
def test_statement_lines_from_cpython(text: str, lines: list[int] | None) -> None:
    module = cst.parse_module(text)
    assert statement_lines(module, ast.parse(text).body, text) == lines
    assert_libcst_positions(text)
