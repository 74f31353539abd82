"""FT012's prefilter."""

from __future__ import annotations

import ast

from ftlint.frameworks.peft import TARGET_MODULES
from ftlint.prefilter import PythonTree


def may_report(tree: PythonTree) -> bool:
    """A finding needs a call qualified as peft's (an absolute import of peft) given
    ``target_modules=``. Non-ASCII keywords are kept: CPython normalises them, libcst does
    not."""
    if not any(
        target.partition(".")[0] == "peft"
        for targets in tree.imports.values()
        for target in targets
    ):
        return False
    return any(
        isinstance(node, ast.keyword)
        and node.arg is not None
        and (node.arg == TARGET_MODULES or not node.arg.isascii())
        for node in tree.nodes
    )
