"""What builds an optimizer, as FT010 reads it; standard library only, for the text triage."""

from __future__ import annotations

import re

# torch.optim's optimizers and their usual relatives (`AdamW8bit`, `Lion`, `LAMB`).
_OPTIMIZER_NAMES = (
    "Adadelta", "Adafactor", "Adagrad", "Adam", "ASGD", "LBFGS", "NAdam", "RAdam", "RMSprop",
    "Rprop", "SGD", "SparseAdam", "Lion", "LAMB", "Lamb", "LARS",
)  # fmt: skip
OPTIMIZER_CLASS = re.compile(rf"^({'|'.join(_OPTIMIZER_NAMES)})")
# A call whose name `OPTIMIZER_CLASS` or `optimizer` (any case) starts, or a transformers
# callback (the `Trainer` builds the optimizer).
_BUILT = re.compile(rf"(?:{'|'.join(_OPTIMIZER_NAMES)}|(?i:optimizer))\w*[\s\\]*\(|TrainerCallback")
# What every match of `_BUILT` holds: the names that hold no other name (`Adam` for `NAdam`).
_HELD = tuple(
    name for name in _OPTIMIZER_NAMES if not any(o != name and o in name for o in _OPTIMIZER_NAMES)
) + ("TrainerCallback",)


def may_build_optimizer(text: str) -> bool:
    """Whether ``text`` may build an optimizer (FT010's shape). The regex alone tries every `o`
    of the text; substring tests rule most files out first (on ASCII text only, where
    `(?i:optimizer)` is exactly `optimizer` in the lowercased text)."""
    if (
        text.isascii()
        and "optimizer" not in text.lower()
        and not any(map(text.__contains__, _HELD))
    ):
        return False
    return _BUILT.search(text) is not None
