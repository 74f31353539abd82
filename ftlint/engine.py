"""Lint one source: triage, parse once, run the admitted rules in a single traversal, apply
``# noqa``. Importing this module imports libcst: ``ftlint.runner`` does so only once a file
passes triage."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache, cached_property

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, ProviderT

from ftlint.analysis.imports import ImportMap
from ftlint.diagnostics import (
    INTERNAL_ERROR,
    SYNTAX_ERROR,
    Diagnostic,
    Edit,
    Fix,
    Location,
)
from ftlint.rules.base import Rule
from ftlint.sources import SourceFile
from ftlint.suppression import comments_by_row, is_suppressed
from ftlint.triage import RuleTriage, admitted


class FileContext:
    """What rules share about the file being linted, and where their findings go."""

    def __init__(self, source: SourceFile, module: cst.Module) -> None:
        self.source = source
        self.module = module
        self.diagnostics: list[Diagnostic] = []

    @cached_property
    def imports(self) -> ImportMap:
        return ImportMap.from_module(self.module)

    def add(self, code: str, message: str, span: CodeRange, fix: Fix | None) -> None:
        cell, start = self.source.display(span.start.line, span.start.column)
        _, end = self.source.display(span.end.line, span.end.column)
        self.diagnostics.append(
            Diagnostic(
                code, message, self.source.display_path, start, end, fix, cell, span.start.line
            )
        )

    def edit(self, span: CodeRange, content: str) -> Edit:
        source = self.source
        return Edit(
            content,
            source.offset(span.start.line, span.start.column),
            source.offset(span.end.line, span.end.column),
            source.display(span.start.line, span.start.column)[1],
            source.display(span.end.line, span.end.column)[1],
        )


class _Dispatcher(cst.CSTVisitor):
    """Calls each rule's ``visit_<Node>``/``leave_<Node>``; a rule that raises is switched off and
    reported as an internal error, so one broken rule never stops the others or the run."""

    def __init__(self, rules: Sequence[Rule], context: FileContext) -> None:
        super().__init__()
        self._rules = list(rules)
        self._context = context
        self._methods: dict[str, list[tuple[Rule, object]]] = {}

    def _handlers(self, prefix: str, node: cst.CSTNode) -> list[tuple[Rule, object]]:
        key = prefix + type(node).__name__
        if key not in self._methods:
            self._methods[key] = [
                (rule, getattr(rule, key)) for rule in self._rules if hasattr(rule, key)
            ]
        return self._methods[key]

    def _call(self, prefix: str, node: cst.CSTNode) -> None:
        for rule, method in self._handlers(prefix, node):
            if rule not in self._rules:
                continue
            try:
                method(node)  # type: ignore[operator]
            except Exception as error:  # noqa: BLE001 - a rule bug must not end the run
                self._rules.remove(rule)
                self._context.diagnostics.append(
                    internal_error(self._context.source, f"rule {rule.code}", error)
                )

    def on_visit(self, node: cst.CSTNode) -> bool:
        self._call("visit_", node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._call("leave_", original_node)

    # Rules get node hooks only. libcst's default looks up a `visit_<Node>_<field>` method on this
    # dispatcher for every field of every node: a fifth of the traversal, for nothing.
    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return


def internal_error(source: SourceFile, culprit: str, error: BaseException) -> Diagnostic:
    """FT902 for ``source``: ``culprit`` (a rule code, or what else failed) raised ``error``."""
    return Diagnostic(
        INTERNAL_ERROR,
        f"internal error in {culprit} on this file ({type(error).__name__}: {error}); "
        "please report it. Other rules still ran.",
        source.display_path,
        Location(1, 1),
        Location(1, 1),
    )


# CPython refuses some code for its nesting alone; libcst's native parser has no such guard and
# overflows its stack on it, which kills the process instead of raising.
_TOO_NESTED = "too many nested parentheses"


def _python_syntax_error(source: SourceFile) -> SyntaxError | None:
    """CPython's verdict on the text: its SyntaxError, or None when it parses (or when only
    libcst can judge it). Nesting past CPython's recursion limit counts as too nested."""
    try:
        ast.parse(source.text)
    except (RecursionError, MemoryError):
        return SyntaxError(_TOO_NESTED)
    except SyntaxError as error:
        return error
    except ValueError:
        return None
    return None


def _syntax_error(source: SourceFile, row: int, column: int, message: str) -> Diagnostic:
    cell, location = source.display(row, column)
    return Diagnostic(
        SYNTAX_ERROR,
        f"cannot parse: {message}; no rule ran on this file",
        source.display_path,
        location,
        location,
        cell=cell,
        noqa_row=row,
    )


def _parse_failure(
    source: SourceFile, error: cst.ParserSyntaxError, python_error: SyntaxError | None
) -> Diagnostic:
    """Python's own message and location when it agrees the code is invalid (libcst's point past
    the error); libcst's when only libcst rejects it (newer syntax)."""
    if python_error is not None:
        row = python_error.lineno or error.raw_line
        column = max((python_error.offset or 1) - 1, 0)
        return _syntax_error(source, row, column, python_error.msg)
    message = str(error.message).splitlines()[0]
    return _syntax_error(source, error.raw_line, error.raw_column, message)


class _LazyMetadata(Mapping[cst.CSTNode, object]):
    """One provider's metadata, computed for the whole module on the first lookup. Rules look
    positions up only to report, and most files they visit hold no finding, while resolving
    positions costs twice the parse."""

    def __init__(self, wrapper: MetadataWrapper, provider: ProviderT) -> None:
        self._wrapper = wrapper
        self._provider = provider

    @cached_property
    def _values(self) -> Mapping[cst.CSTNode, object]:
        return self._wrapper.resolve(self._provider)

    def __getitem__(self, node: cst.CSTNode) -> object:
        return self._values[node]

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


@contextmanager
def _deep_trees() -> Iterator[None]:
    """Room for libcst's recursive traversal, a few frames per tree level: a long implicit string
    concatenation (the standard library's pydoc_data/topics.py) is thousands of levels deep."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, 10_000))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


@cache
def triage_of(rule: type[Rule]) -> RuleTriage:
    return RuleTriage.of(rule)


def lint_source(source: SourceFile, rules: Sequence[type[Rule]]) -> list[Diagnostic]:
    """All findings of ``rules`` in ``source``, ``# noqa`` applied, in file order."""
    codes = set(admitted(source.text, [triage_of(rule) for rule in rules]))
    return run_rules(source, [rule for rule in rules if rule.code in codes])


def run_rules(source: SourceFile, rules: Sequence[type[Rule]]) -> list[Diagnostic]:
    """``lint_source`` for rules that passed triage already: parse, visit, apply ``# noqa``."""
    if not rules:
        return []
    python_error = _python_syntax_error(source)
    if python_error is not None and python_error.msg == _TOO_NESTED:
        return [Diagnostic(
            SYNTAX_ERROR,
            "cannot parse: nested deeper than Python accepts; no rule ran on this file",
            source.display_path,
            Location(1, 1),
            Location(1, 1),
        )]  # fmt: skip
    try:
        module = cst.parse_module(source.text)
    except cst.ParserSyntaxError as error:
        return [_parse_failure(source, error, python_error)]
    except Exception as error:  # noqa: BLE001 - e.g. RecursionError on absurdly nested code
        return [internal_error(source, "the parser", error)]
    context = FileContext(source, module)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    instances = []
    for rule in rules:
        try:
            instance = rule(context)
        except Exception as error:  # noqa: BLE001 - a rule bug must not end the run
            context.diagnostics.append(internal_error(source, f"rule {rule.code}", error))
            continue
        instance.metadata = {
            provider: _LazyMetadata(wrapper, provider)
            for provider in instance.get_inherited_dependencies()
        }
        instances.append(instance)
    try:
        with _deep_trees():
            module.visit(_Dispatcher(instances, context))
    except RecursionError as error:
        context.diagnostics.append(internal_error(source, "the traversal", error))
    comments = comments_by_row(source.text) if context.diagnostics else {}
    kept = [
        diagnostic
        for diagnostic in context.diagnostics
        if not is_suppressed(diagnostic.code, comments.get(diagnostic.noqa_row, ""))
    ]
    return sorted(kept, key=lambda d: d.sort_key)
