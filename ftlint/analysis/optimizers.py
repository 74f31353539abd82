"""What builds an optimizer, as FT010 reads it; standard library only, for the text triage."""

from __future__ import annotations

import re

# torch.optim's optimizers and their usual relatives (`AdamW8bit`, `Lion`, `LAMB`).
_OPTIMIZER_NAMES = (
    "Adadelta", "Adafactor", "Adagrad", "Adam", "ASGD", "LBFGS", "NAdam", "RAdam", "RMSprop",
    "Rprop", "SGD", "SparseAdam", "Lion", "LAMB", "Lamb", "LARS",
)  # fmt: skip
OPTIMIZER_CLASS = re.compile(rf"^({'|'.join(_OPTIMIZER_NAMES)})")
# What builds an optimizer: a call whose name `OPTIMIZER_CLASS` or `optimizer` (any case)
# starts, or a transformers callback (the `Trainer` builds the optimizer). Searched in two
# passes: a call whose lowercased name starts with `optimizer` (a literal the regex engine skips
# to), and a call whose name holds one of the names that hold no other (`Adam` for `NAdam`),
# which every optimizer's call holds (they start with `A`, `L`, `R` or `S`, capitals rare in
# code: one pass over them all costs a third of a substring test for each).
_CALLED = r"\w*[\s\\]*\("
_OPTIMIZER_CALLED = re.compile(f"optimizer{_CALLED}")
_HELD = [
    name
    for name in _OPTIMIZER_NAMES
    if not any(other != name and other in name for other in _OPTIMIZER_NAMES)
]
_HELD_CALLED = re.compile(f"(?:{'|'.join(_HELD)}){_CALLED}")
# Besides a letter's two cases, `(?i:optimizer)` matches the Turkish dotted and dotless i, which
# `lower()` does not make an `i` (the dotted one becomes two characters).
_TURKISH_I = ("\u0130", "\u0131")


def may_build_optimizer(text: str) -> bool:
    """Whether ``text`` may build an optimizer (FT010's shape). `(?i:optimizer)` matches where
    the lowercased text (Turkish i made `i` first, so that every character keeps its place)
    holds `optimizer`, and lowercasing keeps every word character one, and spaces,
    backslashes and brackets as they are."""
    if "TrainerCallback" in text:
        return True
    lowered = text
    if not text.isascii():
        for turkish in _TURKISH_I:
            lowered = lowered.replace(turkish, "i")
    lowered = lowered.lower()
    if "optimizer" in lowered and _OPTIMIZER_CALLED.search(lowered):
        return True
    return _HELD_CALLED.search(text) is not None
