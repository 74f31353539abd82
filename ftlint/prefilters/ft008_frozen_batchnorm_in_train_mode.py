"""FT008's prefilter, and the names it shares with FT008: BatchNorm's parameters and class."""

from __future__ import annotations

import ast
import re

from ftlint.prefilter import PythonTree

# Parameter names that are BatchNorm's in the usual models: ResNet's `bn1` and `downsample.1`.
BATCHNORM_NAME = re.compile(r"(?i)(^|[._])bn\d*([._]|$)|batch_?norm|downsample\.1$")


BATCHNORM_CLASS = re.compile(r"(?<!Frozen)BatchNorm")


def _may_freeze(node: ast.AST) -> bool:
    """``x.requires_grad = False`` or ``x.requires_grad_(False)``, as ``_freezes`` reads them."""
    if isinstance(node, ast.Assign):
        return _is_false(node.value) and any(
            isinstance(target, ast.Attribute) and target.attr == "requires_grad"
            for target in node.targets
        )
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "requires_grad_"
        and any(map(_is_false, [*node.args, *(keyword.value for keyword in node.keywords)]))
    )


def _is_false(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def may_report(tree: PythonTree) -> bool:
    """A finding needs a `.train()` call, a freeze, and BatchNorm known to be frozen: a
    torchvision model (known by its import), a `BatchNorm` class tested, or parameters
    selected by a BatchNorm name."""
    trains = any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "train"
        for node in tree.nodes
    )
    if not trains or not any(map(_may_freeze, tree.nodes)):
        return False
    return (
        any(
            target.startswith("torchvision")
            for targets in tree.imports.values()
            for target in targets
        )
        or BATCHNORM_CLASS.search(tree.text) is not None
        or any(
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and BATCHNORM_NAME.search(node.value) is not None
            for node in tree.nodes
        )
    )
