"""Where nodes are, exactly as libcst's ``PositionProvider`` says, computed one top-level
statement at a time.

libcst finds positions by generating the code of the whole module while it counts lines and
columns: about twice the cost of parsing it, paid by every file with a finding. A finding needs
the positions of a few nodes of one top-level statement. That statement starts at column 0 with
no indentation, on the line after the code of the header and the statements before it (counted
once by a generation that tracks nothing, a sixth of the cost), so generating it alone with the
same tracking from that line gives each of its nodes the range the module's generation gives.
CPython's tree of the same text, when there is one, gives those lines without generating
anything: a statement's first token is on its line, preceded by one line per empty line libcst
gives it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import NEWLINE_RE, PositionProvidingCodegenState

from ftlint.sources import python_lines
from ftlint.walk import walk


def _line_breaks(tokens: list[str]) -> int:
    """Line breaks in ``tokens``, counted token by token as the position tracking counts them."""
    return sum(len(NEWLINE_RE.findall(token)) for token in tokens)


class StatementPositions(Mapping[cst.CSTNode, CodeRange]):
    """``PositionProvider``'s ranges for ``module``'s nodes, each top-level statement's computed
    when one of its nodes is first looked up. A node outside every statement (the module, its
    header or footer lines, punctuation) gets the whole module's ranges, computed as libcst
    does."""

    def __init__(
        self, module: cst.Module, python: ast.Module | None = None, text: str = ""
    ) -> None:
        """``python``: CPython's tree of ``text``, the module's text, if it parsed."""
        self._module = module
        self._python = python
        self._text = text
        self._provider = PositionProvider()  # its `_computed` is where the tracking writes
        self._owners: dict[int, int] = {}  # id(node) -> its statement, for the statements walked
        self._walked = 0
        self._generated: set[int] = set()
        self._first_lines: list[int] | None = None
        self._whole: Mapping[cst.CSTNode, CodeRange] | None = None

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        computed: dict[cst.CSTNode, CodeRange] = self._provider._computed  # type: ignore[assignment]  # the tracking stores CodeRange only
        found = computed.get(node)
        if found is not None:
            return found
        index = self._statement_of(node)
        if index is None:
            return self._everything()[node]
        self._generate(index)
        return computed[node]

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())

    def _statement_of(self, node: cst.CSTNode) -> int | None:
        """The index in the module's body of the statement holding ``node``; statements are
        walked in order, each once, until it is found."""
        body = self._module.body
        while id(node) not in self._owners and self._walked < len(body):
            index = self._walked

            def own(found: cst.CSTNode, index: int = index) -> None:
                self._owners.setdefault(id(found), index)

            walk(body[index], own)
            self._walked += 1
        return self._owners.get(id(node))

    def _lines(self) -> list[int]:
        """The line each top-level statement starts on."""
        if self._first_lines is None and self._python is not None:
            self._first_lines = statement_lines(self._module, self._python.body, self._text)
        if self._first_lines is None:
            module = self._module
            state = CodegenState(module.default_indent, module.default_newline)
            for line in module.header:
                line._codegen(state)
            first = 1 + _line_breaks(state.tokens)
            self._first_lines = []
            for statement in module.body:
                self._first_lines.append(first)
                start = len(state.tokens)
                statement._codegen(state)
                first += _line_breaks(state.tokens[start:])
        return self._first_lines

    def _generate(self, index: int) -> None:
        if index in self._generated:
            return
        self._generated.add(index)
        module = self._module
        state = PositionProvidingCodegenState(
            module.default_indent, module.default_newline, self._provider
        )
        state.line = self._lines()[index]
        module.body[index]._codegen(state)

    def _everything(self) -> Mapping[cst.CSTNode, CodeRange]:
        if self._whole is None:
            wrapper = MetadataWrapper(self._module, unsafe_skip_copy=True)
            self._whole = wrapper.resolve(PositionProvider)
        return self._whole


def statement_lines(module: cst.Module, python: Sequence[ast.stmt], text: str) -> list[int] | None:
    """The line each of ``module``'s statements starts on, from ``python``, CPython's statements
    of ``text``, the module's (libcst joins those of one line in one statement); None when a
    decorator's `@` may be on an earlier line than CPython gives it, which places a decorator
    where its expression starts (after a `(` or a `\\` on the `@` line)."""
    lines: list[int] = []
    statements = iter(python)
    lines_of_text: list[str] | None = None
    for statement in module.body:
        first = next(statements)
        line = first.lineno
        if isinstance(statement, cst.SimpleStatementLine):
            for _ in statement.body[1:]:
                next(statements)
        elif (
            isinstance(first, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and first.decorator_list
        ):
            line = first.decorator_list[0].lineno
            if lines_of_text is None:
                lines_of_text = python_lines(text)
            if not lines_of_text[line - 1].lstrip().startswith("@"):
                return None
        lines.append(line - len(statement.leading_lines))
    return lines
