"""What iterating a model or a dict yields, the state dict's name, and how far names are
followed through calls: shared by what reads libcst's tree (``ftlint.analysis.parts``,
``ftlint.analysis.bindings``) and the prefilters, which must not import libcst."""

from __future__ import annotations

from typing import Literal

Kind = Literal["parameter", "module", "state"]
Position = tuple[int, ...]  # where a loop variable sits in each element: `p` of `(n, p)` is (1,)

# Iterating `part.<method>()`: what it yields, and where names and values sit in each element.
MODEL_ITERATORS: dict[str, tuple[Kind, Position | None, Position]] = {
    "named_parameters": ("parameter", (0,), (1,)),
    "parameters": ("parameter", None, ()),
    "named_modules": ("module", (0,), (1,)),
    "named_children": ("module", (0,), (1,)),
    "modules": ("module", None, ()),
    "children": ("module", None, ()),
}
STATE_DICT = "state_dict"
# Where a dict's value sits in what its iterators yield, for `bindings.iterated_method`.
DICT_VALUES: dict[str, tuple[int, ...]] = {"values": (), "items": (1,)}
# How many calls `BindingTracker.placements` follows out of a function.
CALL_DEPTH = 3
