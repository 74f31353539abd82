"""FT006's prefilter: what it reads on CPython's tree is a superset of what `_why_detached` and
`_why_held_copy` accept."""

from __future__ import annotations

import ast

from ftlint.analysis.model_iterators import DICT_VALUES
from ftlint.prefilter import Bindings, PythonTree


def _detached_here(receiver: ast.expr) -> bool:
    """``p.data``, ``p.detach()``, ``p.clone()``, or a slice of one."""
    node = receiver.value if isinstance(receiver, ast.Subscript) else receiver
    if isinstance(node, ast.Call):
        node = node.func
        return isinstance(node, ast.Attribute) and node.attr in ("detach", "clone")
    return isinstance(node, ast.Attribute) and node.attr == "data"


def _requests_true(statement: ast.Assign | ast.Expr) -> bool:
    if isinstance(statement, ast.Assign):
        return _is_true(statement.value)
    assert isinstance(statement.value, ast.Call)  # a statement `x.requires_grad_(...)`
    call = statement.value
    first = call.args[0] if call.args else (call.keywords[0].value if call.keywords else None)
    return first is None or _is_true(first)


def _is_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _holds_copy(value: ast.expr, bindings: Bindings) -> bool:
    """``t.data``, ``state[key]`` or ``state.get(key)`` of something that may be a state dict."""
    if isinstance(value, ast.Attribute):
        return value.attr == "data"
    if isinstance(value, ast.Subscript):
        return _may_be_state_dict(value.value, bindings)
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "get"
        and _may_be_state_dict(value.func.value, bindings)
    )


def _iterates_state(iterable: ast.expr, bindings: Bindings) -> bool:
    """``state.values()`` or ``state.items()`` somewhere in a loop's iterable."""
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in DICT_VALUES
        and _may_be_state_dict(node.func.value, bindings)
        for node in ast.walk(iterable)
    )


def _may_be_state_dict(node: ast.expr, bindings: Bindings) -> bool:
    return any(
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "state_dict"
        for value in bindings.expressions(node)[0]
    )


def may_report(tree: PythonTree) -> bool:
    """A receiver that is itself a detached copy, or (unless set to True) that may stand
    for a `.data` alias or a state-dict tensor once names are followed."""
    bindings = tree.bindings
    cleared: set[str] = set()  # receivers judged already: the verdict depends on the text
    for setting in tree.requires_grad_settings(calls=True):
        receiver = setting.receiver
        if _detached_here(receiver):
            return True
        written = ast.dump(receiver)
        if _requests_true(setting.statement) or written in cleared:
            continue
        cleared.add(written)
        values, iterables = bindings.expressions(receiver)
        if any(_holds_copy(value, bindings) for value in values) or any(
            _iterates_state(iterable, bindings) for iterable in iterables
        ):
            return True
    return False
