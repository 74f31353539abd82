"""Shapes of freeze code shared by rules: what changes ``requires_grad`` or a module's mode, and
what iterates over a model's parameters, modules or names."""

from __future__ import annotations

import re
from typing import TypeGuard

import libcst as cst

from ftlint.analysis.freeze_calls import (
    FREEZE_METHODS,
    FREEZE_WORD,
    PARAMETER_ITERATORS,
)
from ftlint.analysis.nodes import find_all, is_attribute, is_call

_FREEZE_HELPER = re.compile(
    r"(?i)^(?!(print|count|get|log|num|show|report|check|is|has)_).*"
    + FREEZE_WORD.pattern.removeprefix("(?i)")
)


def called_name(call: cst.Call) -> str | None:
    """The called function's own name: ``freeze`` for ``self.freeze(...)`` or ``freeze(...)``."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def is_freeze_call(call: cst.Call) -> bool:
    name = called_name(call)
    if name is None:
        return False
    if isinstance(call.func, cst.Attribute) and name in FREEZE_METHODS:
        return True
    return bool(_FREEZE_HELPER.search(name))


def is_requires_grad_target(node: cst.BaseExpression) -> TypeGuard[cst.Attribute]:
    return is_attribute(node, "requires_grad")


class _FreezeActionFinder(cst.CSTVisitor):
    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self._module = module
        self.action: str | None = None

    def _found(self, node: cst.CSTNode) -> bool:
        if self.action is None:
            self.action = self._module.code_for_node(node).strip()
        return False

    def visit_Assign(self, node: cst.Assign) -> bool:
        if any(is_requires_grad_target(target.target) for target in node.targets):
            return self._found(node)
        return True

    def visit_AugAssign(self, node: cst.AugAssign) -> bool:
        return self._found(node) if is_requires_grad_target(node.target) else True

    def visit_Call(self, node: cst.Call) -> bool:
        return self._found(node) if is_freeze_call(node) else True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a function defined in a branch does not run there

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


def find_freeze_action(module: cst.Module, *nodes: cst.CSTNode | None) -> str | None:
    """Source of the first freeze action (``p.requires_grad = False``, ``m.eval()``,
    ``freeze(m)``) inside ``nodes``, or None."""
    finder = _FreezeActionFinder(module)
    for node in nodes:
        if node is not None and finder.action is None:
            node.visit(finder)
    return finder.action


def iterates_parameters(node: cst.CSTNode) -> bool:
    """Whether ``node`` contains a call such as ``model.named_parameters()``."""
    return bool(
        find_all(
            node,
            lambda n: (
                is_call(n) and is_attribute(n.func) and n.func.attr.value in PARAMETER_ITERATORS
            ),
        )
    )
