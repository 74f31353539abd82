"""FT002's prefilter."""

from __future__ import annotations

import ast

from ftlint.prefilter import PythonTree


def may_report(tree: PythonTree) -> bool:
    """Lightning's finetuning classes are known by name, imported or dotted: some name,
    attribute or import of the file holds `Finetuning` (not only a string or comment)."""
    return any(
        "Finetuning" in name
        for node in tree.nodes
        for name in (
            (node.id,) if isinstance(node, ast.Name)
            else (node.attr,) if isinstance(node, ast.Attribute)
            else (node.name,) if isinstance(node, ast.alias)
            else ()
        )
    )  # fmt: skip
