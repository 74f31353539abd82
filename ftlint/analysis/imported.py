"""Whether a file's text may import a package by its absolute name, as ``ImportMap`` reads
imports (``ftlint.analysis.imports``: relative and star imports bind nothing there). Standard
library only: the text triage asks it before anything is parsed."""

from __future__ import annotations

import re
from functools import cache

# What may precede an import statement on its line: nothing (the line's start), a compound
# statement's `:` or a `;`, then blanks.
_STATEMENT_START = frozenset("\n\r:;")
_BLANKS = " \t\f"


@cache
def _imports(package: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """`from <package>[.module] import` and `import ..., <package>[.module] ...`, each found
    from its keyword (a literal the regex engine skips to), line continuations included."""
    name = re.escape(package)
    return (
        re.compile(rf"from[ \t\f\\\r\n]+{name}\b"),
        re.compile(rf"import\b(?:[^\r\n;#]|\\\r?\n)*?(?<![\w.]){name}\b"),
    )


def _starts_statement(text: str, keyword: int) -> bool:
    before = keyword - 1
    while before >= 0 and text[before] in _BLANKS:
        before -= 1
    return before < 0 or text[before] in _STATEMENT_START


def may_import(text: str, package: str) -> bool:
    """Whether ``text`` may hold an import statement that binds a name to ``package`` or to one
    of its modules: ``from package[.x] import ...`` or ``import ..., package[.x] [as y]``, at
    the start of a statement. Strings count: a docstring line that starts with such an import
    keeps the file, a ``>>> from package import ...`` example does not."""
    return any(
        _starts_statement(text, found.start())
        for statement in _imports(package)
        for found in statement.finditer(text)
    )
