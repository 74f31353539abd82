"""FT017's prefilter, and the flags it shares with FT017."""

from __future__ import annotations

import ast

from ftlint.frameworks.transformers import CHECKPOINTING_ENABLE
from ftlint.prefilter import PythonTree

FLAGS = ("activation_checkpointing", "gradient_checkpointing")


def may_report(tree: PythonTree) -> bool:
    """A finding needs a Trainer qualified as transformers' (an absolute import of
    transformers: the package's own modules import each other relatively), a
    ``*_checkpointing_enable`` call given its kwargs keyword, and ``*_checkpointing=True``.
    Non-ASCII names are kept: CPython normalises them, libcst does not."""
    if not any(
        target.partition(".")[0] == "transformers"
        for targets in tree.imports.values()
        for target in targets
    ):
        return False
    calls = tree.of_kind(ast.Call)
    enables = any(
        isinstance(call.func, ast.Attribute)
        and (not call.func.attr.isascii() or call.func.attr in CHECKPOINTING_ENABLE)
        and any(
            keyword.arg is not None
            and (
                not keyword.arg.isascii() or keyword.arg == CHECKPOINTING_ENABLE.get(call.func.attr)
            )
            for keyword in call.keywords
        )
        for call in calls
    )
    return enables and any(
        keyword.arg is not None
        and (not keyword.arg.isascii() or keyword.arg in FLAGS)
        and (
            isinstance(keyword.value, ast.Name)
            or (isinstance(keyword.value, ast.Constant) and keyword.value.value is True)
        )
        for call in calls
        for keyword in call.keywords
    )
