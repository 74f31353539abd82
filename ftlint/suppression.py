"""``# noqa`` comments: a bare ``# noqa`` silences every finding on its line, ``# noqa: FT001,FT002``
only those codes (ruff's syntax, case-insensitive ``noqa``)."""

from __future__ import annotations

import io
import re
import tokenize

from ftlint.sources import python_lines

_NOQA = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)

ALL_CODES = frozenset({"*"})


def noqa_codes(line: str) -> frozenset[str] | None:
    """Codes a line's ``# noqa`` suppresses: ALL_CODES for a bare one, None when there is none."""
    if "#" not in line:
        return None
    match = _NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if codes is None:
        return ALL_CODES
    return frozenset(code.upper() for code in re.split(r"[\s,]+", codes) if code)


def is_suppressed(code: str, line: str) -> bool:
    codes = noqa_codes(line)
    return codes is not None and (codes is ALL_CODES or code in codes)


def comments_by_row(text: str) -> dict[int, str]:
    """Each row's comment, from Python's tokenizer: ``"# noqa"`` inside a string is no comment.
    Rows of text the tokenizer rejects fall back to the whole line."""
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError):
        return dict(enumerate(python_lines(text), start=1))
    return comments
