"""``# ftlint: expect ...`` pragmas: the freeze state a file says its model must end up in.

``# ftlint: expect trainable=126 frozen=35`` counts parameter tensors (``trainable_numel=`` and
``frozen_numel=`` count elements); ``# ftlint: expect trainable=layer3,layer4,fc`` names them
with the patterns of :mod:`ftlint.runtime.patterns`, as ``ftlint.expect`` does. A pragma applies
to the statement on its line, or else to the first statement below it, past blank and comment
lines.
"""

from __future__ import annotations

import io
import re
import tokenize
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from libcst.metadata import CodePosition, CodeRange

EXPECTATION_KEYS = ("trainable", "frozen", "trainable_numel", "frozen_numel")
_PRAGMA = re.compile(r"#\s*ftlint:\s*expect\b\s*(?P<body>.*?)\s*$")
_ITEM = re.compile(r"(\w+)\s*=\s*(.*?)\s*(?=\s\w+\s*=|$)")


@dataclass(frozen=True)
class Pragma:
    span: CodeRange  # the comment
    text: str
    expectations: dict[str, int | str]  # keyword arguments of ftlint.expect
    error: str | None  # why the pragma cannot be read

    def applies_to(self, statement_rows: Sequence[int], lines: Sequence[str]) -> int | None:
        """The row of the statement the pragma is about, given the rows where statements start."""
        row = self.span.start.line
        index = bisect_left(statement_rows, row)
        if index == len(statement_rows):
            return None
        candidate = statement_rows[index]
        between = lines[row : candidate - 1]
        if candidate == row or all(
            not line.strip() or line.lstrip().startswith("#") for line in between
        ):
            return candidate
        return None


def _parse(body: str) -> tuple[dict[str, int | str], str | None]:
    items = _ITEM.findall(body)
    if not items or _ITEM.sub("", body).strip():
        return (
            {},
            "expected key=value items, e.g. `trainable=126 frozen=35` or `trainable=layer4,fc`",
        )
    expectations: dict[str, int | str] = {}
    for key, value in items:
        if key not in EXPECTATION_KEYS:
            return {}, f"unknown key `{key}` (use {', '.join(EXPECTATION_KEYS)})"
        if value.isdigit():
            expectations[key] = int(value)
        elif key.endswith("_numel"):
            return {}, f"`{key}` must be a number of elements"
        else:
            expectations[key] = value
    return expectations, None


def find_pragmas(text: str) -> list[Pragma]:
    """Every expect pragma in ``text`` (comments only, never inside strings)."""
    pragmas = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return []
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = _PRAGMA.match(token.string)
        if match is None:
            continue
        expectations, error = _parse(match.group("body"))
        span = CodeRange(CodePosition(*token.start), CodePosition(*token.end))
        pragmas.append(Pragma(span, token.string, expectations, error))
    return pragmas
