"""Lint one source: parse once, run every enabled rule in a single traversal, apply ``# noqa``."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from functools import cached_property

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper

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
from ftlint.suppression import is_suppressed


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
                    internal_error(self._context.source, rule.code, error)
                )

    def on_visit(self, node: cst.CSTNode) -> bool:
        self._call("visit_", node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._call("leave_", original_node)


def internal_error(source: SourceFile, code: str, error: Exception) -> Diagnostic:
    return Diagnostic(
        INTERNAL_ERROR,
        f"internal error in rule {code} on this file ({type(error).__name__}: {error}); "
        "please report it. Other rules still ran.",
        source.display_path,
        Location(1, 1),
        Location(1, 1),
    )


def _syntax_error(source: SourceFile, error: cst.ParserSyntaxError) -> Diagnostic:
    """Python's own message and location when it agrees the code is invalid (libcst's
    point past the error); libcst's when only libcst rejects it (newer syntax)."""
    row, column = error.raw_line, error.raw_column
    message = str(error.message).splitlines()[0]
    try:
        ast.parse(source.text)
    except SyntaxError as python_error:
        row, column = python_error.lineno or row, max((python_error.offset or 1) - 1, 0)
        message = python_error.msg
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


def could_match(source: SourceFile, rule: type[Rule]) -> bool:
    return any(token in source.text for token in rule.required_tokens)


def lint_source(source: SourceFile, rules: Sequence[type[Rule]]) -> list[Diagnostic]:
    """All findings of ``rules`` in ``source``, ``# noqa`` applied, in file order."""
    candidates = [rule for rule in rules if could_match(source, rule)]
    if not candidates:
        return []
    try:
        module = cst.parse_module(source.text)
    except cst.ParserSyntaxError as error:
        return [_syntax_error(source, error)]
    context = FileContext(source, module)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    instances = [rule(context) for rule in candidates]
    dependencies = set().union(*(rule.get_inherited_dependencies() for rule in instances))
    metadata = wrapper.resolve_many(dependencies)
    for instance in instances:
        instance.metadata = {key: metadata[key] for key in instance.get_inherited_dependencies()}
    module.visit(_Dispatcher(instances, context))
    lines = source.text.splitlines()
    kept = [
        diagnostic
        for diagnostic in context.diagnostics
        if not (
            0 < diagnostic.noqa_row <= len(lines)
            and is_suppressed(diagnostic.code, lines[diagnostic.noqa_row - 1])
        )
    ]
    return sorted(kept, key=lambda d: d.sort_key)
