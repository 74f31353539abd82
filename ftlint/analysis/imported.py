"""Whether a file's text may import a package by its absolute name, as ``ImportMap`` reads
imports (``ftlint.analysis.imports``: relative and star imports bind nothing there). Standard
library only: the text triage asks it before anything is parsed."""

from __future__ import annotations

from collections.abc import Iterator

# What may precede an import statement on its line: nothing (the line's start), a compound
# statement's `:` or a `;`, then blanks.
_STATEMENT_START = frozenset("\n\r:;")
_BLANKS = " \t\f"
# What may separate `from` and the package: blanks, line breaks and continuations.
_FROM_GAP = frozenset(" \t\f\\\r\n")
# What ends the stretch of text an `import` statement's names can span back from one of them.
_IMPORT_ENDS = ";#"


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _named(text: str, package: str) -> Iterator[int]:
    """Where ``package`` is in ``text`` as a whole word, or the start of one (the name of a
    package, or its module's). Found by `str.find`, which skips ahead by whole needles, at
    several times the regex engine's pace (cheaper than every `import`)."""
    at = text.find(package)
    while at >= 0:
        after = at + len(package)
        if after < len(text) and _is_word(text[after]):
            at = text.find(package, at + 1)  # the start of a longer name
            continue
        if not (at and (_is_word(text[at - 1]) or text[at - 1] == ".")):
            yield at  # not the end of another name, nor an attribute
        at = text.find(package, after)


def _starts_statement(text: str, keyword: int) -> bool:
    before = keyword - 1
    while before >= 0 and text[before] in _BLANKS:
        before -= 1
    return before < 0 or text[before] in _STATEMENT_START


def _is_keyword(text: str, start: int, keyword: str) -> bool:
    """Whether ``keyword`` is at ``start`` of ``text``, beginning a statement, and ends a word."""
    end = start + len(keyword)
    return (
        text.startswith(keyword, start)
        and not (end < len(text) and (text[end].isalnum() or text[end] == "_"))
        and _starts_statement(text, start)
    )


def _after_from(text: str, name: int) -> bool:
    """Whether the package's name at ``name`` follows a statement's `from` and a gap."""
    gap = name
    while gap > 0 and text[gap - 1] in _FROM_GAP:
        gap -= 1
    return gap < name and text.endswith("from", 0, gap) and _starts_statement(text, gap - 4)


def _import_stretch(text: str, name: int) -> int:
    """Where the text before ``name`` that one `import` statement can span starts: back to a
    `;`, a `#` or a line break, lines that a backslash continues included."""
    end = name
    while True:
        newline = text.rfind("\n", 0, end)
        # A `\r` before the last `\n` cannot start this line: not searched for.
        line = max(newline, text.rfind("\r", newline + 1, end)) + 1
        stop = max(text.rfind(char, line, end) for char in _IMPORT_ENDS)
        if stop >= 0:
            return stop + 1
        line_break = line - 2 if text.endswith("\r\n", 0, line) else line - 1
        if line_break <= 0 or text[line_break - 1] != "\\":
            return line
        end = line_break - 1


def _after_import(text: str, name: int) -> bool:
    """Whether the package's name at ``name`` is among the names of a statement's `import`."""
    start = _import_stretch(text, name)
    keyword = text.find("import", start, name)
    while keyword >= 0:
        if _is_keyword(text, keyword, "import"):
            return True
        keyword = text.find("import", keyword + 1, name)
    return False


def may_import(text: str, package: str) -> bool:
    """Whether ``text`` may hold an import statement that binds a name to ``package`` or to one
    of its modules: ``from package[.x] import ...`` or ``import ..., package[.x] [as y]``, at
    the start of a statement. Strings count: a docstring line that starts with such an import
    keeps the file, a ``>>> from package import ...`` example does not. Judged at each whole
    occurrence of the package's name."""
    return any(
        _after_from(text, name) or _after_import(text, name) for name in _named(text, package)
    )
