"""Analyse one source: parse it once and run the admitted rules in a single traversal, into a
:class:`~ftlint.analysis.file.FileAnalysis`. Importing this module imports libcst:
``ftlint.runner`` does so only once a file passes triage."""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache

import libcst as cst
from libcst.metadata import ProviderT

from ftlint.analysis.file import FileAnalysis
from ftlint.diagnostics import Diagnostic, Location
from ftlint.input_checks import REPORT, InternalError, UnparsableFile, internal_error
from ftlint.prefilter import (
    MAX_DEPTH,
    TOO_NESTED,
    PythonTree,
    collector_paused,
    libcst_depth_beyond_limit,
    prefiltered,
    python_tree,
)
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

        def calling(prefix: str) -> Callable[[cst.CSTNode], None]:
            """Calls the rules' ``<prefix><Node>`` hooks; node types no rule hooks cost a lookup."""
            hooks: dict[type, bool] = {}

            def call(node: cst.CSTNode) -> None:
                kind = type(node)
                if kind not in hooks:
                    hooks[kind] = bool(self._handlers(prefix, node))
                if hooks[kind]:
                    self._call(prefix, node)

            return call

        skip = frozenset() if hooked & TOKEN_TYPE_NAMES else TOKEN_TYPES
        walk(module, calling("visit_"), calling("leave_"), skip=skip)

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


def _too_deep(source: SourceFile, tree: ast.Module) -> Diagnostic | None:
    """FT902 naming the limit when libcst would nest ``tree`` deeper than :data:`MAX_DEPTH`."""
    deepest = libcst_depth_beyond_limit(source.text, tree)
    if deepest is None:
        return None
    depth, row = deepest
    return _beyond_libcst(
        source,
        row,
        f"libcst, the parser ftlint uses, would nest the `and`/`or` chain here {depth:,} levels "
        f"deep; ftlint stops at {MAX_DEPTH:,}, as deeper ones crash it",
    )


def _longest_string_run(text: str) -> tuple[int, int]:
    """The most string literals that follow one another (an implicit concatenation), and the row
    where that run starts; (0, 1) when the text does not tokenize."""
    longest, row = 0, 1
    run, start = 0, 1
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING:
                run, start = run + 1, start if run else token.start[0]
                if run > longest:
                    longest, row = run, start
            elif token.type not in (tokenize.NL, tokenize.COMMENT):  # inside brackets
                run = 0
    except (tokenize.TokenError, SyntaxError):
        return 0, 1
    return longest, row


def _beyond_libcst(source: SourceFile, row: int, why: str) -> Diagnostic:
    """FT902: Python accepts the file, libcst cannot parse it; ``why`` names the limit."""
    cell, location = source.display(row, 0)
    return Diagnostic(
        InternalError.code,
        f"ftlint cannot check this file, which Python accepts: {why}; no rule ran on it. If it "
        f"is real code, {REPORT}",
        source.display_path,
        location,
        location,
        cell=cell,
        noqa_row=row,
    )


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
    source: SourceFile, error: cst.ParserSyntaxError, python: PythonTree | SyntaxError | None
) -> Diagnostic:
    """Python's own message and location when it agrees the code is invalid (libcst's point past
    the error); libcst's when Python cannot judge it; FT902 when Python accepts the code."""
    message = str(error.message).splitlines()[0]
    if isinstance(python, SyntaxError):
        row = python.lineno or error.raw_line
        column = max((python.offset or 1) - 1, 0)
        return _syntax_error(source, row, column, python.msg)
    if python is None:
        return _syntax_error(source, error.raw_line, error.raw_column, message)
    strings, row = _longest_string_run(source.text)
    if strings > MAX_DEPTH:
        why = (
            f"an implicit concatenation of {strings:,} strings; libcst, the parser ftlint uses, "
            f"parses at most {MAX_DEPTH:,}"
        )
        return _beyond_libcst(source, row, why)
    return _beyond_libcst(source, error.raw_line, f"libcst, the parser ftlint uses, says {message}")


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


@collector_paused()
def run_rules(
    source: SourceFile,
    rules: Sequence[type[Rule]],
    *,
    prefilter: bool = True,
    python: PythonTree | SyntaxError | None = None,
) -> list[Diagnostic]:
    """``lint_source`` for rules that passed triage already; with ``prefilter``, only the rules
    that may report in the file's CPython tree run (``ftlint.prefilter``), and libcst parses
    nothing when none may. ``python``: CPython's verdict on the source, when already made."""
    if not rules:
        return []
    if python is None:
        python = python_tree(source.text)
    if prefilter:
        rules = prefiltered(python, list(rules), lambda rule, tree: rule.may_report(tree))
        if not rules:
            return []
    analysis = analyze(source, rules, python)
    if isinstance(analysis, Diagnostic):
        return [analysis]
    return analysis.diagnostics({rule.code for rule in rules})


def analyze(
    source: SourceFile,
    rules: Sequence[type[Rule]],
    python: PythonTree | SyntaxError | None = None,
) -> FileAnalysis | Diagnostic:
    """The analysis of ``source`` with the findings of ``rules``, or why it could not be parsed;
    ``python``: CPython's verdict on it, when already made (``python_parse``, its tree with the
    views the prefilters made of it)."""
    if python is None:
        python = python_tree(source.text)
    if isinstance(python, SyntaxError) and python.msg == TOO_NESTED:
        return Diagnostic(
            UnparsableFile.code,
            "cannot parse: nested deeper than Python accepts; no rule ran on this file",
            source.display_path,
            Location(1, 1),
            Location(1, 1),
        )
    if isinstance(python, PythonTree):
        too_deep = _too_deep(source, python.tree)
        if too_deep is not None:
            return too_deep
    try:
        module = cst.parse_module(source.text)
    except cst.ParserSyntaxError as error:
        return _parse_failure(source, error, python)
    except Exception as error:  # noqa: BLE001 - e.g. RecursionError on absurdly nested code
        return internal_error(source, "the parser", error)
    analysis = FileAnalysis(source, module, python if isinstance(python, PythonTree) else None)
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
