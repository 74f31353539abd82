"""FT001's prefilter: what it reads on CPython's tree is a superset of the chains `_check` is
given."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from ftlint.analysis.freeze_calls import PARAMETER_ITERATORS, may_freeze
from ftlint.prefilter import PythonTree


def _mixes(node: ast.AST) -> bool:
    """An ``or`` with an ``and`` operand anywhere in ``node``: CPython's tree keeps no
    parentheses, so this holds wherever libcst finds a bare mix (and where the mix is
    parenthesized too)."""
    return any(
        isinstance(found, ast.BoolOp)
        and isinstance(found.op, ast.Or)
        and any(
            isinstance(value, ast.BoolOp) and isinstance(value.op, ast.And)
            for value in found.values
        )
        for found in ast.walk(node)
    )


def _may_act(nodes: Iterable[ast.AST]) -> bool:
    """A freeze action anywhere in ``nodes``, nested functions included."""
    return any(
        (isinstance(found, ast.Call) and may_freeze(found))
        or (isinstance(found, ast.Assign) and any(map(_is_requires_grad, found.targets)))
        or (isinstance(found, ast.AugAssign) and _is_requires_grad(found.target))
        for node in nodes
        for found in ast.walk(node)
    )


def _is_requires_grad(target: ast.expr) -> bool:
    return isinstance(target, ast.Attribute) and target.attr == "requires_grad"


def _may_iterate_parameters(node: ast.expr) -> bool:
    return any(
        isinstance(found, ast.Call)
        and isinstance(found.func, ast.Attribute)
        and found.func.attr in PARAMETER_ITERATORS
        for found in ast.walk(node)
    )


def _helper_mixes(tree: PythonTree, name: str) -> bool:
    """A ``def name`` or ``name = lambda ...`` of this file holds a mix."""
    return any(
        (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name)
        or (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Lambda)
            and any(isinstance(target, ast.Name) and target.id == name for target in node.targets)
        )
        for node in tree.nodes
        if _mixes(node)
    )


def _may_decide_freezing(node: ast.AST, tree: PythonTree) -> bool:
    """Whether ``node`` holds a mix where ``AmbiguousFreezeCondition`` checks one."""
    if isinstance(node, ast.If):
        skips = any(isinstance(statement, (ast.Continue, ast.Break)) for statement in node.body)
        return _mixes(node.test) and (skips or _may_act([*node.body, *node.orelse]))
    if isinstance(node, ast.IfExp):
        return _mixes(node.test) and _may_act([node.body, node.orelse])
    if isinstance(node, ast.Assign) and any(map(_is_requires_grad, node.targets)):
        value = node.value
        return _mixes(value) or (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and _helper_mixes(tree, value.func.id)
        )
    if isinstance(node, ast.Call):
        if may_freeze(node):
            return any(map(_mixes, [*node.args, *(keyword.value for keyword in node.keywords)]))
        first = node.args[0] if node.args else None
        return (
            isinstance(node.func, ast.Name)
            and node.func.id == "filter"
            and isinstance(first, ast.Lambda)
            and _mixes(first.body)
        )
    return (
        isinstance(node, ast.comprehension)
        and any(map(_mixes, node.ifs))
        and _may_iterate_parameters(node.iter)
    )


def may_report(tree: PythonTree) -> bool:
    """A mix in an `if`/ternary test whose branches may freeze (or that skips the rest of a
    loop), in a value given to `requires_grad` or a helper called there, in an argument of a
    freeze call or a `filter(lambda ...)`, or in a comprehension's filter over parameters."""
    return any(_may_decide_freezing(node, tree) for node in tree.nodes)
