"""FT215's prefilter, and the names it shares with FT215."""

from __future__ import annotations

import ast

from ftlint.prefilter import PythonTree

FREEZE_AT = "freeze_at"


# The detectron2 backbones that take `freeze_at` (the only ones LazyConfigs can pass it to).
BACKBONES = ("ResNet", "RegNet")


def _may_set_freeze_at(node: ast.AST) -> bool:
    """On CPython's tree, a superset of what `visit_Assign` and `visit_Call` check: an
    assignment to `model.<...>.freeze_at`, or `freeze_at=` given to `L(<a backbone>)(...)`."""
    if isinstance(node, ast.Assign):
        target = node.targets[0]
        root = target
        while isinstance(root, ast.Attribute):
            root = root.value
        return (
            len(node.targets) == 1
            and isinstance(target, ast.Attribute)
            and target.attr == FREEZE_AT
            and isinstance(root, ast.Name)
            and root.id == "model"
        )
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Call)):
        return False
    inner = node.func
    # libcst counts keyword and starred arguments alike: `L(backbone=ResNet)` is one.
    given = [
        *(arg.value if isinstance(arg, ast.Starred) else arg for arg in inner.args),
        *(keyword.value for keyword in inner.keywords),
    ]
    backbone = given[0] if len(given) == 1 else None
    name = getattr(backbone, "attr", getattr(backbone, "id", None))
    return (
        isinstance(inner.func, ast.Name)
        and inner.func.id in ("L", "LazyCall")
        and name in BACKBONES
        and any(keyword.arg == FREEZE_AT for keyword in node.keywords)
    )


def may_report(tree: PythonTree) -> bool:
    return any(map(_may_set_freeze_at, tree.nodes))
