"""What the text says about the receivers of `requires_grad` settings, for the shapes of FT004
and FT006 (``ftlint.triage``): standard library only.

Both shapes clear a file only when the text settles it: an assignment they cannot read, a name
used in a way they do not follow, or an identifier CPython would normalise (NFKC, where libcst
keeps the text) keeps the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property

from ftlint.analysis.misspellings import REQUIRES_GRAD, is_requires_grad_typo

# What Python allows between an attribute and the `=` or `(` after it (whitespace, line
# continuations, closing parentheses, comments), a piece of rules' `candidate_pattern`. A comment
# runs to the end of its line, in one way only: a run of `#` split between comments would make
# a failing match exponential in its length.
GAP = r"(?:[\s)\\]|#[^\n]*(?![^\n]))*"


# What `requires_grad` set on a detached copy needs in the text (FT006): a receiver ending in
# `.data`, a call or a subscript (`.detach()`, `.clone()`, `w.data[:, :2]`), or a name bound to a
# copy: a `.data` read as a whole value (not `.data.normal_()`, `.data[0]`), or a
# `.state_dict()` call.
_IN_BRACKETS = r"(?:[\s\\]|#[^\n]*(?![^\n]))*"  # what may sit between `.` and a name
_NAMES_COPY = re.compile(
    rf"\.{_IN_BRACKETS}data\b(?![ \t]*[.(\[])|\.{_IN_BRACKETS}state_dict\b{GAP}\("
)
_REQUIRES_GRAD_ATTRIBUTE = re.compile(r"\.[\s\\]*requires_grad")
_RECEIVER_GAP = frozenset(" \t\f\\")


def may_set_on_copy(text: str) -> bool:
    """Whether ``text`` may set ``requires_grad`` on a detached copy (FT006's shape). A receiver
    that spans lines is kept whatever it ends with (a comment may sit before the line break)."""
    if _NAMES_COPY.search(text):
        return True
    for match in _REQUIRES_GRAD_ATTRIBUTE.finditer(text):
        end = match.start() - 1
        while end >= 0 and text[end] in _RECEIVER_GAP:
            end -= 1
        if end >= 0 and (text[end] in ")]\r\n" or text.endswith("data", 0, end + 1)):
            return True
    return False


# FT004: a module's `requires_grad` set by assignment. Assignments to an attribute that holds
# `grad` (the prefilter's `grad_statements`), with what may sit between `.` and the name.
_GRAD_SETTING = re.compile(rf"\.{_IN_BRACKETS}(\w*(?i:grad)\w*){GAP}=(?!=)")
_RECEIVER_NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*[ \t]*\Z")
# A `for` header on one line, found from its keyword (a literal the regex engine skips to; the
# line's start is checked apart, `_for_headers`).
_FOR_HEADER = re.compile(r"for[ \t]+([\w \t,()\[\]]+?)[ \t]+in[ \t]+([^\n]*)$", re.MULTILINE)
_HEADER_INDENT = re.compile(r"[ \t]*(?:async[ \t]+)?\Z")
# Attributes of a loop's iterable that make its variable a module: module iterators, a dict's
# `values`/`items`, `_modules` (FT004 and its prefilter read them too).
MODULE_ELEMENT_ATTRIBUTES = frozenset(
    {"modules", "children", "named_modules", "named_children", "values", "items", "_modules"}
)
_MODULE_ELEMENTS = re.compile(rf"\b(?:{'|'.join(sorted(MODULE_ELEMENT_ATTRIBUTES))})\b")
# Methods only modules have: a name they are called on holds a module (`model.eval()`); tensors
# and optimizers have none of them.
MODULE_ONLY_METHODS = frozenset(
    {"eval", "train", "named_parameters", "parameters", "named_modules", "modules", "children",
     "named_children"}
)  # fmt: skip
_ATTRIBUTE_READ = re.compile(r"[ \t]*\.[ \t]*([A-Za-z_]\w*)")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _normalised_identifiers(text: str) -> bool:
    """Whether ``text`` holds a non-ASCII character that may be part of an identifier."""
    if text.isascii():  # at memory speed; the regex engine scans a character class at ~3 ns each
        return False
    return any(("a" + char).isidentifier() for char in set(_NON_ASCII.findall(text)))


class TextNames:
    """What the text says of calls by name, for prefilters that would otherwise walk every node
    of the tree for its calls: a call the text cannot hold is in no tree. When a name may be
    written otherwise (a non-ASCII identifier, which CPython normalises), nothing is settled."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._verdicts: dict[str, bool] = {}

    @cached_property
    def _settled(self) -> bool:
        return not _normalised_identifiers(self.text)

    def _may_hold(self, pattern: str) -> bool:
        if pattern not in self._verdicts:
            found = not self._settled or re.search(pattern, self.text) is not None
            self._verdicts[pattern] = found
        return self._verdicts[pattern]

    def may_call(self, name: str) -> bool:
        """Whether the text may call ``name`` itself (``name(...)``, not ``x.name(...)``); a
        ``def name(`` header is no call. The name comes first in the regex: a literal the
        regex engine skips to."""
        escaped = re.escape(name)
        return self._may_hold(
            rf"{escaped}(?<![\w.]{escaped})(?<!def {escaped})(?<!def\t{escaped}){GAP}\("
        )

    def may_call_method(self, name: str, methods: Iterable[str]) -> bool:
        """Whether the text may call one of ``methods`` on ``name`` itself (``name.eval()``,
        ``(name).eval()``, not ``x.name.eval()``)."""
        escaped = re.escape(name)
        method = "|".join(map(re.escape, sorted(methods)))
        return self._may_hold(
            rf"{escaped}(?<![\w.]{escaped}){GAP}\.{_IN_BRACKETS}(?:{method})(?!\w)"
        )


def _whole_header(iterable: str) -> bool:
    """Whether a `for` header's line ends the header with ``iterable``: it ends with `:` and
    holds no string or comment, so that balanced brackets mean that no bracket is still open
    (`for p in blocks[1:` goes on)."""
    return (
        iterable.endswith(":")
        and not any(char in iterable for char in "'\"#")
        and all(iterable.count(open_) == iterable.count(close) for open_, close in _PAIRS)
    )


_PAIRS = (("(", ")"), ("[", "]"), ("{", "}"))


def _for_headers(text: str) -> list[re.Match[str]]:
    """The `for` headers that start their line (`async for` included)."""
    return [
        header
        for header in _FOR_HEADER.finditer(text)
        if _HEADER_INDENT.match(text, text.rfind("\n", 0, header.start()) + 1, header.start())
    ]


def _only_a_parameter_loop_variable(text: str, name: str, headers: list[re.Match[str]]) -> bool:
    """Whether every use of ``name`` in ``text`` is as the variable of a `for` (among
    ``headers``) whose header is one plain line over no modules (`for name in
    model.parameters():`) or as the owner of an attribute other than a module-only method
    (`name.requires_grad`, `name.data`): then the FT004 prefilter takes it for a parameter,
    whatever the scopes. Strings and comments count as uses."""
    # The name first: a literal the regex engine skips to, then the look-behind.
    escaped = re.escape(name)
    word = re.compile(rf"{escaped}(?<!\w{escaped})(?!\w)")
    as_loop_variable = set()
    for header in headers:
        targets = [found.start() for found in word.finditer(text, *header.span(1))]
        if not targets:
            continue
        iterable = header.group(2).rstrip()
        if not _whole_header(iterable) or _MODULE_ELEMENTS.search(iterable):
            return False
        as_loop_variable.update(targets)
    for found in word.finditer(text):
        if found.start() in as_loop_variable:
            continue
        before = found.start() - 1
        while before >= 0 and text[before] in " \t":
            before -= 1
        if before >= 0 and text[before] == ".":
            continue  # an attribute of that name, not the name
        attribute = _ATTRIBUTE_READ.match(text, found.end())
        if attribute is None or attribute.group(1) in MODULE_ONLY_METHODS:
            return False
    return True


def may_set_on_module(text: str) -> bool:
    """Whether ``text`` may assign `requires_grad` (or a misspelling) on a module (FT004's
    shape): not when every receiver is a plain name used only as a loop variable over
    parameters, the one case settled without parsing (`param.requires_grad = False` in
    `for param in self.parameters():`, in most of transformers' models)."""
    if _normalised_identifiers(text):
        return True
    names = set()
    for setting in _GRAD_SETTING.finditer(text):
        attribute = setting.group(1)
        if attribute != REQUIRES_GRAD and not is_requires_grad_typo(attribute):
            continue
        # A window, not the whole text before: a receiver longer than it is kept.
        receiver = _RECEIVER_NAME.search(text, max(0, setting.start() - 200), setting.start())
        if receiver is None:
            return True
        names.add(receiver.group().rstrip())
    headers = _for_headers(text) if names else []
    return not all(_only_a_parameter_loop_variable(text, name, headers) for name in names)
