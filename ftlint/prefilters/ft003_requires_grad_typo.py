"""FT003's prefilter."""

from __future__ import annotations

import ast

from ftlint.analysis.misspellings import METHOD, is_requires_grad_typo
from ftlint.prefilter import PythonTree


def may_report(tree: PythonTree) -> bool:
    """A finding needs an assignment to ``x.requires_grad_`` or to a misspelt attribute
    (``visit_Assign``'s test). Non-ASCII names are kept: CPython normalises them, libcst
    does not."""
    return any(
        isinstance(target, ast.Attribute)
        and (
            not target.attr.isascii() or target.attr == METHOD or is_requires_grad_typo(target.attr)
        )
        for placed in tree.statements
        if isinstance(placed.statement, ast.Assign)
        for target in placed.statement.targets
    )
