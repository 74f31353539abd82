"""Freeze calls and the methods that yield parameters, as names: what the prefilters test on
CPython's tree and ``ftlint.analysis.freeze`` builds on for libcst's. Imports no libcst."""

from __future__ import annotations

import ast
import re

# Methods that change whether parameters train or whether BatchNorm updates its statistics.
FREEZE_METHODS = frozenset({"requires_grad_", "eval", "train"})
# Helper names people give freeze functions: freeze(), unfreeze_backbone(), set_requires_grad(),
# make_trainable(); not the ones that only read the state (print_trainable_parameters()).
# Its word alone is what the ast prefilters test: CPython normalises identifiers (NFKC) and
# libcst does not, so they may test a name only with conditions no normalisation of a matching
# name can fail, which the excluded prefixes could.
FREEZE_WORD = re.compile(r"(?i)((^|_)(un)?freez|requires_grad|trainable)")
# Methods whose results are parameters, modules or their names.
PARAMETER_ITERATORS = frozenset(
    {
        "parameters",
        "named_parameters",
        "modules",
        "named_modules",
        "children",
        "named_children",
        "state_dict",
        "buffers",
        "named_buffers",
    }
)


def may_freeze(call: ast.Call) -> bool:
    """On CPython's tree: a superset of the calls ``is_freeze_call`` accepts."""
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr in FREEZE_METHODS or bool(FREEZE_WORD.search(func.attr))
    return isinstance(func, ast.Name) and bool(FREEZE_WORD.search(func.id))
