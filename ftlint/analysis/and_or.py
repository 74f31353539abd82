"""Where the keywords `and` and `or` are in code whose strings and comments are removed: what
FT001's shape (``ftlint.triage``) and the nesting libcst would build (``ftlint.prefilter``)
read. Standard library only."""

from __future__ import annotations

import re

# `and`/`or` as keywords, found by `boolean_operators`. Each alone starts with a literal, which the
# regex engine finds four times as fast as a class of their first letters.
_KEYWORD_ENDS = (re.compile(r"and\b"), re.compile(r"or\b"))


def _ends_word(char: str) -> bool:
    """Whether ``char`` would join a keyword after it into one name: a letter or `_`, not a
    digit (`1or 2` is valid Python)."""
    return (char.isalnum() or char == "_") and not char.isdecimal()


def boolean_operators(code: str) -> list[tuple[int, str]]:
    """Where the keywords `and` and `or` are in ``code`` (strings and comments removed), and
    which, in order."""
    found = [
        (match.start(), match.group())
        for keyword in _KEYWORD_ENDS
        for match in keyword.finditer(code)
        if not (match.start() and _ends_word(code[match.start() - 1]))
    ]
    found.sort()
    return found
