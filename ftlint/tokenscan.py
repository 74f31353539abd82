"""Which of the rules' tokens a Python file's bytes contain, in few passes over them.

Every encoding Python source can declare is ASCII-compatible, so an ASCII token in the text is in
the bytes too, and the scan runs before (and mostly instead of) decoding them. A substring scan
costs ~0.25 ns per byte (~12 ms on transformers' 53 MB), a pass per token; the regex engine finds
a pattern that starts with one literal byte at the same speed, and `memchr` is not reachable from
Python for more than one byte. So tokens are searched by their anchor: one regex per rare
character, over every token that holds it (`q` finds the 19 tokens that spell `requires_grad`,
rightly or not, in one pass); at each occurrence of the anchor, the rest of each token is
matched after it and a look-behind checks what precedes it. A file holding none of a group's
tokens costs one pass for the group; each token found, another, partial, pass for the rest. The
tokens found then settle every rule's test at once.

This module must not import libcst: it runs on every file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ftlint.triage import RuleTriage, scannable

# How often each printable ASCII character occurs in Python source, per 100,000 characters
# (CPython 3.11's `Lib/`), rarest first. Other characters count as the commonest.
_CHARACTERS = (
    "~$^&JQ`!?|Z;@YKX<}{V%W+79jGH68z/BU*54M>3DFPO[]qC\\SLR2NAv#I-1kwTyEx0:b=g\"hm',up)(_.dcfli"
    "noratse "
)
_PER_100K = (
    4, 5, 7, 7, 10, 14, 16, 19, 19, 21, 22, 25, 30, 33, 39, 44, 50, 53, 53, 55, 58, 70, 72, 72,
    84, 84, 88, 90, 94, 97, 99, 99, 104, 111, 118, 121, 134, 139, 151, 157, 163, 169, 171, 194,
    196, 196, 221, 251, 253, 268, 280, 286, 288, 317, 321, 329, 351, 353, 364, 386, 392, 439, 540,
    578, 611, 611, 629, 692, 699, 716, 778, 778, 968, 1195, 1300, 1311, 1418, 1429, 1538, 1539,
    1579, 1592, 1780, 1833, 1964, 2816, 2862, 2877, 2892, 3464, 3527, 4480, 4571, 6735, 28199,
)  # fmt: skip
_RATE = {char: count / 100_000 for char, count in zip(_CHARACTERS, _PER_100K, strict=True)}
# The regex engine's cost at each occurrence of an anchor, and per token it may end there, in
# nanoseconds, against its scan's ~0.23 ns per byte (measured on transformers' sources).
_AT_ANCHOR, _PER_TOKEN, _PER_BYTE = 10.0, 11.0, 0.23


def _cost(anchor: str, tokens: int) -> float:
    """A group's pass, in scans of the same bytes: the scan, and the work at each anchor."""
    rate = _RATE.get(anchor, _PER_100K[-1] / 100_000)
    return 1 + rate * (_AT_ANCHOR + _PER_TOKEN * tokens) / _PER_BYTE


def anchor_groups(tokens: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """``tokens`` grouped by an anchor character each holds, chosen greedily (a weighted set
    cover): each step takes the character whose pass costs least per token it covers."""
    left = set(tokens)
    groups: dict[str, tuple[str, ...]] = {}
    while left:
        candidates = {
            anchor: [token for token in left if anchor in token] for anchor in "".join(left)
        }
        anchor = max(
            sorted(candidates),
            key=lambda char: len(candidates[char]) / _cost(char, len(candidates[char])),
        )
        groups[anchor] = tuple(sorted(candidates[anchor]))
        left -= set(candidates[anchor])
    return groups


def anchored_pattern(anchor: str, tokens: Iterable[str]) -> str:
    """A regex that matches at the first ``anchor`` of any of ``tokens`` (each holds it) where
    the whole token is, and names it: group ``t<i>`` for the ``i``-th of ``tokens``. It starts
    with the anchor, a literal the regex engine skips to; what follows the anchor in each token
    is written as a trie, so each occurrence costs about one comparison."""
    trie: dict[str, Any] = {}
    for index, token in enumerate(tokens):
        at = token.index(anchor)
        node = trie
        for char in token[at + 1 :]:
            node = node.setdefault(char, {})
        behind = rf"(?<={re.escape(token)})" if at else ""
        node.setdefault("", []).append(rf"{behind}(?P<t{index}>)")

    def written(node: dict[str, Any]) -> str:
        branches = [
            re.escape(char) + written(child) for char, child in sorted(node.items()) if char
        ]
        branches += node.get("", [])
        return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"

    return re.escape(anchor) + written(trie)


class _Group:
    """The tokens of one anchor, and the regex over each subset of them searched so far."""

    def __init__(self, anchor: str, tokens: tuple[str, ...]) -> None:
        self.anchor = anchor
        self.tokens = frozenset(tokens)
        self._regexes: dict[frozenset[str], tuple[re.Pattern[bytes], tuple[str, ...]]] = {}

    def first(self, raw: bytes, tokens: frozenset[str], start: int) -> tuple[str, int] | None:
        """The first of ``tokens`` in ``raw`` whose anchor is at or after ``start``, and where
        its anchor is."""
        if tokens not in self._regexes:
            ordered = tuple(sorted(tokens))
            pattern = anchored_pattern(self.anchor, ordered).encode()
            self._regexes[tokens] = (re.compile(pattern), ordered)
        regex, ordered = self._regexes[tokens]
        match = regex.search(raw, start)
        if match is None:
            return None
        assert match.lastgroup is not None  # every way through the regex ends in a group
        return ordered[int(match.lastgroup[1:])], match.start()


class TokenScan:
    """The token test of many rules (``RuleTriage.tokens``) on a Python file's bytes."""

    def __init__(self, triages: Iterable[RuleTriage]) -> None:
        tokens = {token for triage in triages for token in triage.tokens}
        scanned = {token for token in tokens if scannable(token)}
        self._groups = [_Group(anchor, group) for anchor, group in anchor_groups(scanned).items()]
        self._scanned = frozenset(scanned)

    def found(self, raw: bytes) -> set[str]:
        """The tokens of the scan that ``raw`` holds: every group's, each found once."""
        found: set[str] = set()
        for group in self._groups:
            left, start = group.tokens, 0
            while left:
                first = group.first(raw, left, start)
                if first is None:
                    break
                # Another token of the group may start at the same anchor: search from it.
                token, start = first
                found.add(token)
                left = left - {token}
        return found

    def passing(self, raw: bytes, triages: Iterable[RuleTriage]) -> list[RuleTriage]:
        """The ``triages`` whose token test ``raw`` may pass: a token the scan does not settle
        may be anywhere."""
        found = self.found(raw)
        return [
            triage
            for triage in triages
            if not found.isdisjoint(triage.tokens) or not self._scanned.issuperset(triage.tokens)
        ]
