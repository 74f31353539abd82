"""Where the keywords `and` and `or` are in code whose strings and comments are removed: what
FT001's shape (``ftlint.triage``) and the nesting libcst would build (``ftlint.prefilter``)
read. Standard library only."""

from __future__ import annotations

import re

# `and`/`or` as keywords, found by `boolean_operators`: each starts with its literal, which the
# regex engine finds four times as fast as a class of their first letters, and the look-behind
# after it leaves out, in C, the ends of other names (`for`, `tensor`; not after a digit: `1or 2`
# is valid Python). `[^\W\d]` is a letter or `_`, as `str.isalnum() or "_"` minus `str.isdecimal()`.
_KEYWORDS = (re.compile(r"and(?<![^\W\d]and)\b"), re.compile(r"or(?<![^\W\d]or)\b"))


def boolean_operators(code: str) -> list[tuple[int, str]]:
    """Where the keywords `and` and `or` are in ``code`` (strings and comments removed), and
    which, in order."""
    found = [
        (match.start(), match.group()) for keyword in _KEYWORDS for match in keyword.finditer(code)
    ]
    found.sort()
    return found
