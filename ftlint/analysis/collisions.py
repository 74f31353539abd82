"""Which names a block-index test collides with (FT007), and the text shape of its findings:
standard library only, for the text triage.

A finding is a string literal that ends in a short block index (`'encoder.layer.1'`,
`f'encoder.layer.{i}'` with `i` from `range(...)`) where the rule reads it: tested with `in`, or
(a plain literal) the first argument of a substring method or of `re.search` and its relatives,
or an element of a list, tuple or set display. The shape reads each literal end back to its
opening quote on the same line and judges the literal as the rule does; a literal it cannot read
so (an escape, a triple quote, no opening quote on the line) keeps the file, and so does a
literal whose line starts with it, since a comment may end the line before.
"""

from __future__ import annotations

import keyword
import re
from functools import cached_property

# A name ending in a ModuleList index from 1 to 9: `blocks.1` is a prefix of `blocks.10`-`.19`
# (index 0 is safe: no index starts with 0, and two-digit indices need 100 blocks to collide).
# Blocks numbered with `_` (torchvision's ViT: `encoder_layer_0` ... `encoder_layer_11`) count
# when the name says they are layers or blocks: `conv_1`, `bn_1` are hand-named pairs.
_SHORT_INDEX_END = re.compile(r"\.[1-9]$|(?i:layers?|blocks?)_[1-9]$")
_PATTERN_SHORT_INDEX_END = re.compile(r"\\?\.[1-9]$|(?i:layers?|blocks?)_[1-9]$")
# The text before an f-string's index: `f"encoder.layer.{i}"`, `f"encoder_layer_{i}"`.
INDEX_PREFIX_END = re.compile(r"\.$|(?i:layers?|blocks?)_$")
# Containers that never reach ten children: resolution stages (4 or 5 in every CNN and
# hierarchical ViT), ResNet's `downsample` (a conv and its BatchNorm).
_FEW_CHILDREN = frozenset({"stage", "stages", "downsample"})
# Methods that test a name against their first argument anywhere in it, and the `re` functions
# that search their pattern anywhere in their second.
SUBSTRING_METHODS = frozenset({"find", "index", "count", "startswith", "rfind", "rindex"})
UNANCHORED_SEARCHES = frozenset({"re.search", "re.match", "re.findall", "re.finditer"})
_SEARCHING = SUBSTRING_METHODS | {name.partition(".")[2] for name in UNANCHORED_SEARCHES}

# The end of every literal FT007 reports: `.1`-`.9` (or an f-string's `.{i}`), its closing quote,
# then what may come after it where the rule reads it: `in`/`not in`, the end of an argument or
# of a display's element, of a tuple's after `for ... in` (`:`) or `=` (the statement's end).
# Found from the character before the quote, a digit or `}` (a class the regex engine scans for
# four times as fast as `[._]`), then the index read backwards on the reversed text.
_FOLLOWED = r"(?:\s|\\|#[^\n]*)*(?:in\b|not\b|[,)\]}:;]|\Z)|[ \t\f]*(?:#[^\n]*)?[\r\n]"
_CLOSING = re.compile(rf"""[0-9}}](['"]{{1,3}})(?={_FOLLOWED})""")
# `[._]` then `[1-9]`, reversed; a plain literal's value may spell either with an escape
# (`blocks\x2e1`, `\N{DIGIT ONE}`) or break its line between them (a backslash before the break).
_ESCAPE_REVERSED = r"(?:[0-9a-fA-F]{2}x|[0-7]{1,3}|[0-9a-fA-F]{4}u|[0-9a-fA-F]{8}U|\}[^}\n]*\{N)\\"
_INDEX_REVERSED = re.compile(
    rf"(?:[1-9]|{_ESCAPE_REVERSED})(?:\n\r?\\)*(?:[._]|{_ESCAPE_REVERSED})|\}}[^{{}}\n]*\{{[._]"
)
_TESTED_WITH_IN = re.compile(r"(?:[\s)\\]|#[^\n]*)*(?:in|not)\b")
# An f-string's last replacement field when it can be a plain name (`{i}`, `{ (i) }`, `{i=}`):
# no attribute, call, conversion or format spec, which the rule never reads as an index.
_NAME_FIELD = re.compile(r"\{[\s()]*([^\W\d]\w*)[\s()]*(?:=\s*)?\}\Z")
_STRING_PREFIXES = frozenset({"", "r", "u", "b", "br", "rb"})
_FORMAT_PREFIXES = frozenset({"f", "fr", "rf"})
# `from re import search as find_it`: then any call may be `re.search` (an `as` anywhere after
# `from re import` counts, conservatively).
_RENAMED_SEARCH = re.compile(r"from[\s\\]+re[\s\\]+import\b[^;]*?\bas\b")
_LINE_SPACE = " \t\f"


def literal_collides(value: str, regex: bool) -> bool:
    """``value`` (a name, or with ``regex`` a pattern) ends in a short index of a container that
    may hold ten children or more."""
    pattern = _PATTERN_SHORT_INDEX_END if regex else _SHORT_INDEX_END
    return pattern.search(value) is not None and names_many(value[:-1])


def names_many(head: str) -> bool:
    """The container named before the index, in ``head``, may hold ten children or more."""
    container = head.replace("\\.", ".").rstrip(".").rpartition(".")[2]
    return container not in _FEW_CHILDREN


def _word_before(text: str, end: int) -> str:
    """The run of identifier characters (``\\w``) that ends at ``end``."""
    start = end
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    return text[start:end]


def _previous(text: str, position: int) -> int:
    """Where the last character before ``position`` that is not a space on its line is, or -1
    when there is none (the line starts there)."""
    while position > 0 and text[position - 1] in _LINE_SPACE:
        position -= 1
    return position - 1 if position > 0 and text[position - 1] not in "\r\n" else -1


class _Literals:
    """The literal ends of one file's text, judged one by one; what a verdict needs from the
    whole text is computed once."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def _reversed(self) -> str:
        return self.text[::-1]

    @cached_property
    def _renames_search(self) -> bool:
        return _RENAMED_SEARCH.search(self.text) is not None

    def _ranged(self, name: str) -> bool:
        """Whether some loop may take ``name`` from ``range(...)``."""
        gap = r"(?:[\s()\\]|#[^\n]*)*"
        pattern = rf"(?<!\w){re.escape(name)}(?!\w){gap}in\b{gap}range\b"
        return re.search(pattern, self.text) is not None

    def may_report(self, quote: int, quotes: int) -> bool:
        """Whether the literal closed by ``quotes`` quote characters at ``quote`` may be one
        FT007 reports; True when the text does not settle it."""
        index = _INDEX_REVERSED.match(self._reversed, len(self.text) - quote)
        return index is not None and (quotes > 1 or self._may_collide(quote))

    def _may_collide(self, quote: int) -> bool:
        text = self.text
        line = text.rfind("\n", 0, quote) + 1
        opening = text.rfind(text[quote], line, quote)
        # A backslash before the opening quote escapes it: the literal starts further back.
        if opening < 0 or "\\" in text[max(opening - 1, 0) : quote]:
            return True
        body = text[opening + 1 : quote]
        # What the tokenizer reads before the quote: a string prefix, or a name of its own (`in`).
        prefix = _word_before(text, opening).lower()
        tested = _TESTED_WITH_IN.match(text, quote + 1) is not None
        if prefix in _FORMAT_PREFIXES:  # f-strings count only tested with `in` (`f"h.{i}" in n`)
            field = _NAME_FIELD.search(body)
            head = body[: field.start()] if field is not None else ""
            return (
                tested
                and field is not None
                and INDEX_PREFIX_END.search(head) is not None
                and names_many(head)
                and self._ranged(field.group(1))
            )
        start = opening - len(prefix) if prefix in _STRING_PREFIXES else opening
        return literal_collides(body, False) and (tested or self._read_as_element(start))

    def _read_as_element(self, start: int) -> bool:
        """Whether the literal starting at ``start`` may be an element of a display or the
        first argument of a call the rule reads (``name.startswith(...)``, ``re.search(...)``)."""
        text = self.text
        before = _previous(text, start)
        if before < 0 or text[before] in "[{,":
            return True
        if text[before] == "=":  # an assignment or a keyword argument, not a comparison
            return before == 0 or text[before - 1] not in "=<>!+-*/%&|^@:"
        if text[before] != "(":
            return _word_before(text, before + 1) == "in"  # `for b in "blocks.1", ...:`
        callee = _previous(text, before)
        if callee < 0 or text[callee] in ")]":
            return True
        word = _word_before(text, callee + 1)
        if not word or keyword.iskeyword(word):
            return True  # a parenthesised display or expression, not a call
        return word in _SEARCHING or self._renames_search


def may_test_colliding_name(text: str) -> bool:
    """Whether ``text`` may hold a literal FT007 reports (its shape)."""
    literals = _Literals(text)
    return any(
        literals.may_report(match.start(1), len(match.group(1)))
        for match in _CLOSING.finditer(text)
    )
