"""Statements that set ``requires_grad``, and how to say what a misplaced one fails to do."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import libcst as cst

from ftlint.analysis.bindings import BindingTracker, Site, method_call


def literal_bool(node: cst.BaseExpression | None) -> bool | None:
    """True or False for the literals, None for anything else."""
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


@dataclass(frozen=True)
class RequiresGradSetting:
    """``receiver.requires_grad = value`` or a statement ``receiver.requires_grad_(value)``."""

    statement: cst.Assign | cst.Expr
    receiver: cst.BaseExpression
    value: cst.BaseExpression | None  # None: `requires_grad_()`, which means True

    @property
    def requested(self) -> bool | None:
        """The flag asked for, when it is a literal."""
        return True if self.value is None else literal_bool(self.value)

    @property
    def consequence(self) -> str:
        return consequence(self.requested)


def assigned_requires_grad(node: cst.Assign) -> Iterator[RequiresGradSetting]:
    for target in node.targets:
        if isinstance(target.target, cst.Attribute) and target.target.attr.value == "requires_grad":
            yield RequiresGradSetting(node, target.target.value, node.value)


def called_requires_grad(node: cst.Expr) -> RequiresGradSetting | None:
    """A statement that is a ``requires_grad_(...)`` call, so its result is thrown away."""
    receiver = method_call(node.value, "requires_grad_")
    if receiver is None or not isinstance(node.value, cst.Call):  # a receiver implies a call
        return None
    args = node.value.args
    return RequiresGradSetting(node, receiver, args[0].value if args else None)


def consequence(requested: bool | None) -> str:
    """What a ``requires_grad`` change that reaches no parameter fails to do."""
    if requested is False:
        return "nothing is frozen"
    if requested is True:
        return "nothing is unfrozen"
    return "no parameter's `requires_grad` changes"


class RequiresGradSettings(BindingTracker):
    """Rule mixin (list it before ``Rule``): collects every ``requires_grad`` setting with its
    site in ``self.settings``, to judge in ``leave_Module``, once every binding (and every
    ``self.<attr>`` assignment of every method) is known."""

    # Also collect statements `x.requires_grad_(v)`, not only assignments.
    collects_calls: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings: list[tuple[RequiresGradSetting, Site]] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        site = self.site()
        self.settings.extend((setting, site) for setting in assigned_requires_grad(node))

    def visit_Expr(self, node: cst.Expr) -> None:
        setting = called_requires_grad(node) if self.collects_calls else None
        if setting is not None:
            self.settings.append((setting, self.site()))
