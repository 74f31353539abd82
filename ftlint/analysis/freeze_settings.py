"""The freeze-relevant settings of transformers' configs, and which keywords misspell them (FT016).

Standard library only: the text triage (``ftlint.triage``) looks for misspellings before libcst
is imported.
"""

from __future__ import annotations

import re
from functools import cache

from ftlint.text import edit_distance

# The freeze-relevant settings of transformers' configs (read in transformers 5.25.0), with what
# the model does when the setting keeps its default because its name was misspelt.
FREEZE_SETTINGS: dict[str, str] = {
    "tie_word_embeddings": (
        "the checkpoint's (or the config class's) value stays: when it is true, `lm_head.weight`"
        " is the input embedding matrix, so freezing or training either one does the same to the"
        " other"
    ),
    "freeze_backbone_batch_norms": (
        "its default (True) stays: the backbone's BatchNorm layers stay replaced by frozen ones"
        " that never update their weights or statistics"
    ),
    "freeze_lm_head": "its default (False) stays: the language model head trains",
    "freeze_vision_layers": "its default (True) stays: the vision layers stay frozen",
    "freeze_text_layers": "its default (True) stays: the text layers stay frozen",
    "freeze_vision_module_exceptions": (
        "its default (none) stays: every vision layer is frozen, the ones listed as well"
    ),
    "freeze_text_module_exceptions": (
        "its default (none) stays: every text layer is frozen, the ones listed as well"
    ),
}
MAX_DISTANCE = 2


def _thirds(name: str) -> tuple[str, str, str]:
    third = len(name) // 3
    return name[:third], name[third : 2 * third], name[2 * third :]


# A keyword within MAX_DISTANCE (2) edits of a setting keeps one of the setting's three pieces
# whole (an edit breaks at most one piece): a substring test rules out most names before the
# quadratic edit distance.
_PIECES = {name: _thirds(name) for name in FREEZE_SETTINGS}
_ANY_PIECE = re.compile(
    "|".join(re.escape(piece) for pieces in _PIECES.values() for piece in pieces)
)


@cache
def meant_setting(keyword: str) -> str | None:
    """The freeze setting ``keyword`` misspells (one or two characters off, a singular for a
    plural), or None."""
    if keyword in FREEZE_SETTINGS or _ANY_PIECE.search(keyword) is None:
        return None
    distances = {
        name: edit_distance(keyword, name)
        for name, pieces in _PIECES.items()
        if abs(len(keyword) - len(name)) <= MAX_DISTANCE and any(p in keyword for p in pieces)
    }
    if not distances:
        return None
    name = min(distances, key=distances.__getitem__)
    return name if distances[name] <= MAX_DISTANCE else None


_WORD = r"[\w\x80-\U0010ffff]"  # an identifier's characters, non-ASCII ones included
_LENGTHS = range(
    min(map(len, FREEZE_SETTINGS)) - MAX_DISTANCE, max(map(len, FREEZE_SETTINGS)) + MAX_DISTANCE + 1
)


# `name <gap> =` (not `==`), read backwards: on the reversed text the regex engine skips from one
# `=` to the next instead of trying every identifier (the `=` comes first, before the look-behind
# that rules out `==`: a literal first lets it search at C speed). The gap is whitespace, line
# continuations and comments (reversed: a line break, the comment's text, then its `#`). Compiled
# on first use (~5 ms: its character class spans all of Unicode), not at every start-up.
@cache
def _keyword_reversed() -> re.Pattern[str]:
    return re.compile(
        rf"=(?<!==)(?:[\s\\]|\n[^\n]*#)*({_WORD}{{{_LENGTHS.start},{_LENGTHS.stop - 1}}})(?!{_WORD})",
        re.ASCII,
    )


def may_misspell_setting(text: str) -> bool:
    """Whether ``text`` may pass a keyword argument that misspells a freeze setting: a name of a
    length within reach, followed by ``=``, that :func:`meant_setting` maps to a setting. Read on
    the whole text, strings included (a superset of the keywords libcst sees)."""
    return any(
        meant_setting(name[::-1]) is not None
        for name in set(_keyword_reversed().findall(text[::-1]))
    )
