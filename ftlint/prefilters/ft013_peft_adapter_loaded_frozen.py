"""FT013's prefilter, and what FT013 shares with it: which calls unfreeze an adapter, which
classes are peft's models."""

from __future__ import annotations

import ast

from ftlint.prefilter import PythonTree

# Calls that make a loaded adapter (or a new one) trainable, or may: a file that makes any of them
# is not judged. `requires_grad` covers assignments, `requires_grad_()` and filters on it.
UNFREEZING = (
    "requires_grad",
    "set_adapter",
    "load_adapter",
    "add_adapter",
    "get_peft_model",
    "mark_only_",
)


def is_peft_model_class(qualified: str | None) -> bool:
    if qualified is None or not qualified.startswith("peft."):
        return False
    last = qualified.rpartition(".")[2]
    return last == "PeftModel" or last.startswith(("PeftModelFor", "AutoPeftModel"))


def may_report(tree: PythonTree) -> bool:
    """A file that may unfreeze is never judged (``leave_Module``); else a finding needs an
    assignment of ``<peft model class>.from_pretrained(...)`` to a name."""
    if any(token in tree.text for token in UNFREEZING):
        return False
    return any(
        isinstance(placed.statement, ast.Assign)
        and isinstance(placed.statement.value, ast.Call)
        and isinstance(placed.statement.value.func, ast.Attribute)
        and placed.statement.value.func.attr == "from_pretrained"
        and any(map(is_peft_model_class, tree.qualified(placed.statement.value.func.value)))
        for placed in tree.statements
    )
