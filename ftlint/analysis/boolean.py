"""Chains of ``and``/``or`` as Python groups them: what FT001 flags and ``verify`` re-reads."""

from __future__ import annotations

from typing import TypeGuard

import libcst as cst


def is_bare(
    node: cst.BaseExpression, operator: type[cst.BaseBooleanOp]
) -> TypeGuard[cst.BooleanOperation]:
    """Whether ``node`` is an ``operator`` chain written without parentheses."""
    return (
        isinstance(node, cst.BooleanOperation)
        and isinstance(node.operator, operator)
        and not node.lpar
    )


def or_operands(node: cst.BooleanOperation) -> list[cst.BaseExpression]:
    """Operands of an unparenthesized ``or`` chain, left to right."""
    operands: list[cst.BaseExpression] = []
    for side in (node.left, node.right):
        operands.extend(or_operands(side) if is_bare(side, cst.Or) else [side])
    return operands


def parenthesize_and_operands(node: cst.BooleanOperation) -> cst.BooleanOperation:
    """The same ``or`` chain with each bare ``and`` operand in the parentheses Python implies."""

    def group(side: cst.BaseExpression) -> cst.BaseExpression:
        if is_bare(side, cst.Or):
            return parenthesize_and_operands(side)
        if is_bare(side, cst.And):
            return side.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return side

    return node.with_changes(left=group(node.left), right=group(node.right))
