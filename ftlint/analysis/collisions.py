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
# A plain literal's value may spell the separator or the digit with an escape (`blocks\x2e1`), or
# break its line between them (a backslash before the line break).
_ESCAPE = r"\\(?:x[0-9a-fA-F]{2}|[0-7]{1,3}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}\n]*\})"
_INDEX_END = rf"(?:(?:[._]|{_ESCAPE})(?:\\\r?\n)*(?:[1-9]|{_ESCAPE})|[._]\{{[^{{}}\n]*\}})"
_FOLLOWED = r"(?:\s|\\|#[^\n]*)*(?:in\b|not\b|[,)\]}:;]|\Z)|[ \t\f]*(?:#[^\n]*)?[\r\n]"
COLLIDING_END = rf"""{_INDEX_END}['"]{{1,3}}(?:{_FOLLOWED})"""
# The same, matching only the index and the quotes: literals whose ends are close stay apart.
_LITERAL_END = re.compile(rf"""{_INDEX_END}(['"]{{1,3}})(?={_FOLLOWED})""")
_TESTED_WITH_IN = re.compile(r"(?:[\s)\\]|#[^\n]*)*(?:in|not)\b")
# An f-string's last replacement field when it can be a plain name (`{i}`, `{ (i) }`, `{i=}`):
# no attribute, call, conversion or format spec, which the rule never reads as an index.
_NAME_FIELD = re.compile(r"\{[\s()]*([^\W\d]\w*)[\s()]*(?:=\s*)?\}\Z")
_WORD_END = re.compile(r"\w+\Z")
_STRING_PREFIXES = frozenset({"", "r", "u", "b", "br", "rb"})
_FORMAT_PREFIXES = frozenset({"f", "fr", "rf"})
# `from re import search as find_it`: then any call may be `re.search`.
_RENAMED_SEARCH = re.compile(r"\b(?:search|match|findall|finditer)\s+as\b")
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


def _ranged(name: str, text: str) -> bool:
    """Whether some loop in ``text`` may take ``name`` from ``range(...)``."""
    gap = r"(?:[\s()\\]|#[^\n]*)*"
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w){gap}in\b{gap}range\b", text) is not None


def _previous(text: str, position: int) -> int:
    """Where the last character before ``position`` that is not a space on its line is, or -1
    when there is none (the line starts there)."""
    while position > 0 and text[position - 1] in _LINE_SPACE:
        position -= 1
    return position - 1 if position > 0 and text[position - 1] not in "\r\n" else -1


def _read_as_element(text: str, start: int) -> bool:
    """Whether the literal starting at ``start`` may be an element of a display or the first
    argument of a call the rule reads (``name.startswith(...)``, ``re.search(...)``)."""
    before = _previous(text, start)
    if before < 0 or text[before] in "[{,":
        return True
    if text[before] == "=":  # an assignment or a keyword argument, not a comparison
        return before == 0 or text[before - 1] not in "=<>!+-*/%&|^@:"
    if text[before] != "(":
        word = _WORD_END.search(text, 0, before + 1)
        return word is not None and word.group() == "in"  # `for b in "blocks.1", ...:`
    callee = _previous(text, before)
    if callee < 0 or text[callee] in ")]":
        return True
    word = _WORD_END.search(text, 0, callee + 1)
    if word is None or keyword.iskeyword(word.group()):
        return True  # a parenthesised display or expression, not a call
    return word.group() in _SEARCHING or _RENAMED_SEARCH.search(text) is not None


def _may_collide(text: str, quote: int) -> bool:
    """Whether the one-quote literal closed at ``quote`` may be one FT007 reports; True when
    the text does not settle it."""
    line = text.rfind("\n", 0, quote) + 1
    opening = text.rfind(text[quote], line, quote)
    # A backslash before the opening quote escapes it: the literal starts further back.
    if opening < 0 or "\\" in text[max(opening - 1, 0) : quote]:
        return True
    body = text[opening + 1 : quote]
    # What the tokenizer reads before the quote: a string prefix, or a name of its own (`in`).
    word = _WORD_END.search(text, line, opening)
    prefix = word.group().lower() if word is not None else ""
    tested = _TESTED_WITH_IN.match(text, quote + 1) is not None
    if prefix in _FORMAT_PREFIXES:  # f-strings count only tested with `in` (`f"h.{i}" in n`)
        field = _NAME_FIELD.search(body)
        head = body[: field.start()] if field is not None else ""
        return (
            tested
            and field is not None
            and INDEX_PREFIX_END.search(head) is not None
            and names_many(head)
            and _ranged(field.group(1), text)
        )
    start = opening - len(prefix) if prefix in _STRING_PREFIXES else opening
    return literal_collides(body, False) and (tested or _read_as_element(text, start))


def may_test_colliding_name(text: str) -> bool:
    """Whether ``text`` may hold a literal FT007 reports (its shape)."""
    return any(
        len(match.group(1)) > 1 or _may_collide(text, match.start(1))
        for match in _LITERAL_END.finditer(text)
    )
