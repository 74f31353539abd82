"""Analyse one source: parse it once and run the admitted rules in a single traversal, into a
:class:`~ftlint.analysis.file.FileAnalysis`. Importing this module imports libcst:
``ftlint.runner`` does so only once a file passes triage."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache

import libcst as cst
from libcst.metadata import ProviderT

from ftlint.analysis.file import FileAnalysis
from ftlint.diagnostics import Diagnostic, Location
from ftlint.input_checks import InternalError, UnparsableFile
from ftlint.rules.base import Rule
from ftlint.sources import SourceFile
from ftlint.triage import RuleTriage, admitted


class _Dispatcher(cst.CSTVisitor):
    """Calls each rule's ``visit_<Node>``/``leave_<Node>``; a rule that raises is switched off and
    reported as an internal error, so one broken rule never stops the others or the run."""

    def __init__(self, rules: Sequence[Rule], analysis: FileAnalysis) -> None:
        super().__init__()
        self._rules = list(rules)
        self._analysis = analysis
        self._methods: dict[str, list[tuple[Rule, Callable[[cst.CSTNode], object]]]] = {}

    def _handlers(
        self, prefix: str, node: cst.CSTNode
    ) -> list[tuple[Rule, Callable[[cst.CSTNode], object]]]:
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
                method(node)
            except Exception as error:  # noqa: BLE001 - a rule bug must not end the run
                self._rules.remove(rule)
                self._analysis.errors.append(
                    internal_error(self._analysis.source, f"rule {rule.code}", error)
                )

    def run(self, module: cst.Module) -> None:
        """Traverse ``module`` once, calling the rules' hooks in libcst's order (see
        ``ftlint.walk``: the same calls as ``module.visit(self)``, at a fraction of the cost)."""
        from ftlint.walk import TOKEN_TYPE_NAMES, TOKEN_TYPES, walk

        hooked = {name.partition("_")[2] for rule in self._rules for name in dir(rule)}
        entering: dict[type, bool] = {}
        leaving: dict[type, bool] = {}

        def enter(node: cst.CSTNode) -> None:
            kind = type(node)
            if kind not in entering:
                entering[kind] = bool(self._handlers("visit_", node))
            if entering[kind]:
                self._call("visit_", node)

        def leave(node: cst.CSTNode) -> None:
            kind = type(node)
            if kind not in leaving:
                leaving[kind] = bool(self._handlers("leave_", node))
            if leaving[kind]:
                self._call("leave_", node)

        walk(module, enter, leave, skip=frozenset() if hooked & TOKEN_TYPE_NAMES else TOKEN_TYPES)

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
        InternalError.code,
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
        UnparsableFile.code,
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
    """A provider's metadata as a rule sees it: resolved by the analysis on the first lookup."""

    def __init__(self, analysis: FileAnalysis, provider: ProviderT) -> None:
        self._analysis = analysis
        self._provider = provider

    def _values(self) -> Mapping[cst.CSTNode, object]:
        return self._analysis.metadata(self._provider)

    def __getitem__(self, node: cst.CSTNode) -> object:
        return self._values()[node]

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())


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


def triaged(source: SourceFile, rules: Sequence[type[Rule]]) -> list[type[Rule]]:
    """The ``rules`` that can report in ``source`` (see ``ftlint.triage``)."""
    codes = set(admitted(source.text, [triage_of(rule) for rule in rules]))
    return [rule for rule in rules if rule.code in codes]


def lint_source(source: SourceFile, rules: Sequence[type[Rule]]) -> list[Diagnostic]:
    """All findings of ``rules`` in ``source``, ``# noqa`` applied, in file order."""
    return run_rules(source, triaged(source, rules))


def run_rules(source: SourceFile, rules: Sequence[type[Rule]]) -> list[Diagnostic]:
    """``lint_source`` for rules that passed triage already."""
    if not rules:
        return []
    analysis = analyze(source, rules)
    if isinstance(analysis, Diagnostic):
        return [analysis]
    return analysis.diagnostics({rule.code for rule in rules})


def analyze(source: SourceFile, rules: Sequence[type[Rule]]) -> FileAnalysis | Diagnostic:
    """The analysis of ``source`` with the findings of ``rules``, or why it could not be parsed."""
    python_error = _python_syntax_error(source)
    if python_error is not None and python_error.msg == _TOO_NESTED:
        return Diagnostic(
            UnparsableFile.code,
            "cannot parse: nested deeper than Python accepts; no rule ran on this file",
            source.display_path,
            Location(1, 1),
            Location(1, 1),
        )
    try:
        module = cst.parse_module(source.text)
    except cst.ParserSyntaxError as error:
        return _parse_failure(source, error, python_error)
    except Exception as error:  # noqa: BLE001 - e.g. RecursionError on absurdly nested code
        return internal_error(source, "the parser", error)
    analysis = FileAnalysis(source, module)
    instances = []
    for rule in rules:
        try:
            instance = rule(analysis)
        except Exception as error:  # noqa: BLE001 - a rule bug must not end the run
            analysis.errors.append(internal_error(source, f"rule {rule.code}", error))
            continue
        instance.metadata = {
            provider: _LazyMetadata(analysis, provider)
            for provider in instance.get_inherited_dependencies()
        }
        instances.append(instance)
    try:
        with _deep_trees():
            _Dispatcher(instances, analysis).run(module)
    except RecursionError as error:
        analysis.errors.append(internal_error(source, "the traversal", error))
    return analysis
