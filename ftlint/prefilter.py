"""The second triage, on CPython's ``ast``: which rules can report in a file that passed the text
triage, before libcst parses it.

CPython parses about five times as fast as libcst and builds no positions, and the engine parses
every file with it anyway (its verdict on syntax comes first). Each rule may declare a
prefilter (``Rule.prefilter``, a function of ``ftlint.prefilters``): False only when the rule
cannot report anything in the file (exact or conservative: it may say True wrongly, never False
wrongly). A rule that declares none is always run. When no admitted rule may report, libcst
never sees the file, nor is it imported: neither this module nor the prefilters import it.

Rules judge names by following them to their bindings (``ftlint.analysis.bindings``); the views
here over-approximate that following, by identifier and ignoring scopes and order, so that what
they rule out the rules could never reach.
"""

from __future__ import annotations

import ast
import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from ftlint.analysis.and_or import boolean_operators

# CPython refuses some code for its nesting alone; libcst's native parser has no such guard and
# overflows its stack on it, which kills the process instead of raising.
TOO_NESTED = "too many nested parentheses"
# Python's default recursion limit: the nesting CPython accepts grows with the limit in force, and
# libcst's native parser crashes on nesting a raised limit lets through, so the verdict is made
# under this much room whatever the embedding program set.
_PYTHON_ROOM = 1_000

# Fields whose node is a leaf that names nothing: `PythonTree.nodes` leaves them out.
_NAMELESS_LEAVES = frozenset({"ctx", "op"})
# Fields that hold a name, a flag or a constant, never a node, in every node type that has them.
_SCALAR_FIELDS = frozenset(
    {"id", "attr", "name", "asname", "arg", "module", "level", "kind", "type_comment",
     "conversion", "is_async", "simple", "n", "s"}
)  # fmt: skip
# Per node type: the fields `PythonTree.nodes` reads (a constant's value is no node either).
_CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {ast.Constant: ()}


def _child_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    if kind not in _CHILD_FIELDS:
        _CHILD_FIELDS[kind] = tuple(
            name for name in kind._fields if name not in _SCALAR_FIELDS | _NAMELESS_LEAVES
        )
    return _CHILD_FIELDS[kind]


# The fields that hold statements, an `except` clause's or a `case`'s; per node type, those it
# has, in its fields' order (`PythonTree.statements` reads them alone).
_STATEMENT_LISTS = frozenset({"body", "orelse", "handlers", "finalbody", "cases"})
_STATEMENT_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _statement_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    if kind not in _STATEMENT_FIELDS:
        _STATEMENT_FIELDS[kind] = tuple(name for name in kind._fields if name in _STATEMENT_LISTS)
    return _STATEMENT_FIELDS[kind]


Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_Node = TypeVar("_Node", bound=ast.AST)
_Judged = TypeVar("_Judged")


def python_parse(text: str) -> ast.Module | SyntaxError | None:
    """CPython's verdict on ``text``: its tree, its SyntaxError, or None when only libcst can
    judge it. Nesting past the default recursion limit counts as too nested."""
    previous = sys.getrecursionlimit()
    frames, frame = 0, sys._getframe()
    while frame.f_back is not None:
        frames, frame = frames + 1, frame.f_back
    sys.setrecursionlimit(frames + _PYTHON_ROOM)
    try:
        return ast.parse(text)
    except (RecursionError, MemoryError):
        return SyntaxError(TOO_NESTED)
    except SyntaxError as error:
        return error
    except ValueError:
        return None
    finally:
        sys.setrecursionlimit(previous)


# libcst nests what CPython keeps flat: an `and`/`or` chain of n operands is n levels deep, as is an
# implicit concatenation of n strings. Its native parser refuses more than 3,000 adjacent strings
# and kills the process (a stack overflow) on chains of ~8,000 operands; its traversal needs
# Python frames for each level. Deeper code is refused with this limit named, before parsing.
MAX_DEPTH = 3_000
# Below this many `and`/`or` keywords no chain can take a file CPython accepts past the depth at
# which libcst crashes (CPython refuses other nesting past ~3,000 levels): no depth walk needed.
_CHAIN_WALK_FROM = 1_000


def _libcst_depth(tree: ast.AST) -> tuple[int, int]:
    """The deepest nesting libcst builds for ``tree``, and a row where it is reached: a level per
    node, and a k-operand `and`/`or` chain's first operands k - 1 levels below it. Iterative:
    the tree may be deeper than Python's recursion limit."""
    deepest, row = 0, 1
    stack: list[tuple[ast.AST, int, int]] = [(tree, 0, 1)]
    while stack:
        node, depth, row_above = stack.pop()
        here = getattr(node, "lineno", row_above)
        if depth > deepest:
            deepest, row = depth, here
        if isinstance(node, ast.BoolOp):
            size = len(node.values)
            stack.extend(
                (value, depth + size - max(index, 1), here)
                for index, value in enumerate(node.values)
            )
        else:
            stack.extend((child, depth + 1, here) for child in ast.iter_child_nodes(node))
    return deepest, row


def libcst_depth_beyond_limit(text: str, tree: ast.Module) -> tuple[int, int] | None:
    """How deep libcst would nest ``tree``, the tree of ``text``, and a row where, when deeper
    than :data:`MAX_DEPTH` (libcst would crash or fail on it); else None."""
    if len(boolean_operators(text)) < _CHAIN_WALK_FROM:
        return None
    depth, row = _libcst_depth(tree)
    return (depth, row) if depth > MAX_DEPTH else None


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: a parse allocates a node per token, each allocation
    counts towards a collection, and each collection walks every node still alive, the whole
    tree being built (half the time of CPython's parse of transformers' modeling files, a fifth
    of libcst's). Nothing a file's analysis holds is in a reference cycle, so dropping it frees
    it (``tests/test_collector.py``); the few cycles left (a scope and its bindings' sites) are
    collected once the collector runs again."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def prefiltered(
    python: PythonTree | SyntaxError | None,
    judged: list[_Judged],
    may_report: Callable[[_Judged, PythonTree], bool],
) -> list[_Judged]:
    """The rules of ``judged`` (rule classes, or their triages) that ``may_report`` in the file
    whose CPython verdict is ``python``; every one when CPython has no tree of it, or libcst
    would nest it past its limit (the engine says why, and no prefilter judges)."""
    if not isinstance(python, PythonTree):
        return judged
    if libcst_depth_beyond_limit(python.text, python.tree) is not None:
        return judged
    return [rule for rule in judged if may_report(rule, python)]


def python_tree(text: str) -> PythonTree | SyntaxError | None:
    """CPython's verdict on ``text`` (``python_parse``), its tree with the views of it."""
    parsed = python_parse(text)
    return PythonTree(parsed, text) if isinstance(parsed, ast.Module) else parsed


@dataclass(frozen=True)
class AttributeStatement:
    """``receiver.<attribute> = value`` (a target of an assignment) or a statement
    ``receiver.<attribute>(...)``."""

    statement: ast.Assign | ast.Expr
    attribute: str
    receiver: ast.expr


def names_in(node: ast.AST) -> Iterator[str]:
    """Identifiers read or written anywhere in ``node``."""
    for found in ast.walk(node):
        if isinstance(found, ast.Name):
            yield found.id


def attributes_in(node: ast.AST) -> Iterator[str]:
    """Attribute names anywhere in ``node``."""
    for found in ast.walk(node):
        if isinstance(found, ast.Attribute):
            yield found.attr


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, read as libcst's ``get_full_name_for_node`` reads it
    (through calls and subscripts inside the chain: ``a().b`` is ``a.b``); else None."""
    if isinstance(node, ast.Name):
        return node.id
    if not isinstance(node, ast.Attribute):
        return None
    value = node.value
    while isinstance(value, (ast.Call, ast.Subscript)):
        value = value.func if isinstance(value, ast.Call) else value.value
    head = dotted_name(value)
    return None if head is None else f"{head}.{node.attr}"


def _stored_names(target: ast.AST) -> Iterator[ast.Name]:
    for found in ast.walk(target):
        if isinstance(found, ast.Name) and isinstance(found.ctx, ast.Store):
            yield found


@dataclass(frozen=True)
class Placed:
    """A statement with the innermost ``def`` or class around it (None: the module)."""

    statement: ast.stmt
    scope: Scope | None


class PythonTree:
    """A file's ``ast`` tree and the views of it that prefilters share, each made at most once."""

    def __init__(self, tree: ast.Module, text: str) -> None:
        self.tree = tree
        self.text = text

    @cached_property
    def nodes(self) -> list[ast.AST]:
        """Every node in ``ast.walk``'s order but the leaves that name nothing (a name's
        ``ctx``, the operator of a ``BoolOp``/``BinOp``/``UnaryOp``: a third of all nodes), at
        three times its speed (no generator per node)."""
        nodes: list[ast.AST] = [self.tree]
        fields = _CHILD_FIELDS
        for node in nodes:  # grows while it is read: breadth first, as ast.walk
            names = fields.get(node.__class__)
            for name in _child_fields(node.__class__) if names is None else names:
                value = getattr(node, name, None)
                if value.__class__ is list:
                    nodes.extend([child for child in value if isinstance(child, ast.AST)])
                elif isinstance(value, ast.AST):
                    nodes.append(value)
        return nodes

    @cached_property
    def _by_kind(self) -> dict[type[ast.AST], list[ast.AST]]:
        grouped: dict[type[ast.AST], list[ast.AST]] = {}
        for node in self.nodes:
            grouped.setdefault(node.__class__, []).append(node)
        return grouped

    def of_kind(self, kind: type[_Node]) -> list[_Node]:
        """The nodes of type ``kind`` among :attr:`nodes`, in their order: grouped once for
        every rule, not filtered by each (CPython's parser makes no subclass of a node type)."""
        return self._by_kind.get(kind, [])  # type: ignore[return-value]  # grouped by that type

    @cached_property
    def statements(self) -> list[Placed]:
        """Every statement, in source order; a tenth of the nodes, walked without the others."""
        found: list[Placed] = []
        fields = _STATEMENT_FIELDS

        # `visit` gets itself as an argument: a nested function that names itself is a cycle,
        # which would hold the statements until the cyclic collector runs (``run_rules`` pauses it).
        def visit(node: ast.AST, scope: Scope | None, visit: Callable[..., None]) -> None:
            if isinstance(node, ast.stmt):
                found.append(Placed(node, scope))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                scope = node
            names = fields.get(node.__class__)
            for name in _statement_fields(node.__class__) if names is None else names:
                for child in getattr(node, name):
                    visit(child, scope, visit)

        for statement in self.tree.body:
            visit(statement, None, visit)
        return found

    @cached_property
    def grad_statements(self) -> list[AttributeStatement]:
        """Assignments to an attribute whose name holds ``grad`` (``x.requires_grad = v`` and its
        misspellings), and statements calling a method whose name does (``x.requires_grad_()``)."""
        found: list[AttributeStatement] = []
        for placed in self.statements:
            statement = placed.statement
            if isinstance(statement, ast.Assign):
                found.extend(
                    AttributeStatement(statement, target.attr, target.value)
                    for target in statement.targets
                    if isinstance(target, ast.Attribute) and "grad" in target.attr.lower()
                )
            elif (
                isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Call)
                and isinstance(statement.value.func, ast.Attribute)
                and "grad" in statement.value.func.attr.lower()
            ):
                func = statement.value.func
                found.append(AttributeStatement(statement, func.attr, func.value))
        return found

    @cached_property
    def bindings(self) -> Bindings:
        return Bindings(self)

    @cached_property
    def imports(self) -> dict[str, set[str]]:
        """Local name -> every qualified name an import binds it to (``ImportMap``'s reading,
        keeping all imports of a name rather than the last)."""
        found: dict[str, set[str]] = {}
        for placed in self.statements:
            statement = placed.statement
            if isinstance(statement, ast.Import):
                for alias in statement.names:
                    root = alias.name.partition(".")[0]
                    local, full = (alias.asname, alias.name) if alias.asname else (root, root)
                    found.setdefault(local, set()).add(full)
            elif (
                isinstance(statement, ast.ImportFrom)
                and not statement.level
                and statement.module
                and all(alias.name != "*" for alias in statement.names)
            ):
                for alias in statement.names:
                    local = alias.asname or alias.name
                    found.setdefault(local, set()).add(f"{statement.module}.{alias.name}")
        return found

    def qualified(self, node: ast.expr) -> set[str]:
        """What ``ImportMap.qualify`` may make of ``node``."""
        name = dotted_name(node)
        if name is None:
            return set()
        root, _, rest = name.partition(".")
        return {f"{target}.{rest}" if rest else target for target in self.imports.get(root, ())}

    def requires_grad_settings(self, *, calls: bool) -> list[AttributeStatement]:
        """What ``RequiresGradSettings`` collects: assignments to ``x.requires_grad`` and, with
        ``calls``, statements ``x.requires_grad_(...)``."""
        wanted: set[tuple[str, type]] = {("requires_grad", ast.Assign)}
        if calls:
            wanted.add(("requires_grad_", ast.Expr))
        return [
            found
            for found in self.grad_statements
            if (found.attribute, type(found.statement)) in wanted
        ]


class Bindings:
    """What names, calls and attributes may stand for, by identifier in every scope at once: a
    superset of what ``BindingTracker.evident`` follows (names to what was assigned to them,
    calls of a plain name to what every ``def`` of that name returns, ``x.attr`` to whatever is
    assigned to any ``.attr``)."""

    def __init__(self, tree: PythonTree) -> None:
        self.values: dict[str, list[ast.expr]] = {}
        self.iterated: dict[str, list[ast.expr]] = {}  # a loop variable's iterables
        self.returns: dict[str, list[ast.expr]] = {}
        self.attributes: dict[str, list[ast.expr]] = {}
        for placed in tree.statements:
            statement, scope = placed.statement, placed.scope
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    self._bind(target, statement.value)
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                self._bind(statement.target, statement.value)
            elif isinstance(statement, (ast.For, ast.AsyncFor)):
                for name in _stored_names(statement.target):
                    self.iterated.setdefault(name.id, []).append(statement.iter)
            elif isinstance(statement, ast.Return) and statement.value and scope is not None:
                self.returns.setdefault(scope.name, []).append(statement.value)
        if ":=" in tree.text:
            for node in tree.nodes:
                if isinstance(node, ast.NamedExpr):
                    self._bind(node.target, node.value)

    def _bind(self, target: ast.expr, value: ast.expr) -> None:
        # Most targets are a name or an attribute, what the walk would find in them alone (an
        # assignment's target is stored whole).
        if isinstance(target, ast.Name):
            self.values.setdefault(target.id, []).append(value)
            return
        if isinstance(target, ast.Attribute):
            self.attributes.setdefault(target.attr, []).append(value)
            return
        for found in ast.walk(target):
            if isinstance(found, ast.Name) and isinstance(found.ctx, ast.Store):
                self.values.setdefault(found.id, []).append(value)
            elif isinstance(found, ast.Attribute) and isinstance(found.ctx, ast.Store):
                self.attributes.setdefault(found.attr, []).append(value)

    def expressions(self, node: ast.expr) -> tuple[list[ast.expr], list[ast.expr]]:
        """What ``node`` may stand for (itself included), and the iterables whose elements it
        may be."""
        seen: set[int] = set()
        found: list[ast.expr] = []
        iterables: list[ast.expr] = []
        pending = [node]
        while pending:
            current = pending.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            found.append(current)
            if isinstance(current, ast.Name):
                pending += self.values.get(current.id, [])
                iterables += self.iterated.get(current.id, [])
            elif isinstance(current, ast.Call) and isinstance(current.func, ast.Name):
                pending += self.returns.get(current.func.id, [])
            elif isinstance(current, ast.Attribute) and isinstance(current.value, ast.Name):
                pending += self.attributes.get(current.attr, [])
            elif isinstance(current, (ast.Tuple, ast.List)):  # `a, b = x, y` binds elements
                pending += current.elts
        return found, iterables
