"""FT900-FT902: findings about the input itself, or about ftlint, rather than about fine-tuning
code. They cannot be deselected or suppressed: hiding them would hide files that were never
checked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ftlint.check import Check, Command, Invalid, Valid
from ftlint.diagnostics import Diagnostic, Location

if TYPE_CHECKING:
    from ftlint.sources import SourceFile

ISSUES_URL = "https://github.com/ftlint/ftlint/issues"
# How every FT902 message ends: an internal error is a bug to report, with what triggers it.
REPORT = f"please report it with the file at {ISSUES_URL}"


class InputCheck(Check):
    """Reported by the machinery that reads and parses files (``ftlint.sources``,
    ``ftlint.engine``, ``ftlint.runner``), for every command."""

    command = Command.ANY

    @classmethod
    def is_implemented(cls) -> bool:
        return True


class UnparsableFile(InputCheck):
    """
    ## What it does
    Reports a file that holds freeze code but does not parse, at the place Python reports the
    error (or where libcst stops, for syntax newer than the running Python knows).

    ## Why is this bad?
    No rule ran on the file: whatever it freezes went unchecked. Files that the text alone
    clears are not parsed at all, so their syntax errors are left to Python and your other
    linters: files with no freeze code, and freeze code that no rule can flag whatever the rest
    of the file says (`p.requires_grad = False` in `for p in model.parameters():`).

    ## Example
    ```python
    model.backbone.requires_grad = False
    head = nn.Linear(2048, (10
    ```

    ## Fix
    Fix the syntax error; `python -m py_compile FILE` shows the same message.
    """

    code = "FT900"
    name = "syntax-error"
    summary = "A file with freeze code does not parse; no rule ran on it"
    VALID = (
        Valid(
            """
            for parameter in model.parameters():
                parameter.requires_grad = False
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            model.backbone.requires_grad = False
            head = nn.Linear(2048, (10
            """,
            line=2,
            message_contains="cannot parse: '(' was never closed",
        ),
    )


class UnreadableFile(InputCheck):
    """
    ## What it does
    Reports a file that cannot be read or decoded: permissions, an unknown or wrong encoding
    declaration, bytes that are not text in the declared encoding, a notebook that is not JSON,
    a YAML/JSON training configuration (one holding a token a configuration rule looks for) that
    is not valid YAML/JSON, at the place the parser stops, or a path that is no regular file (a FIFO, a device, a socket), which is never opened for
    reading: that could wait forever.

    ## Why is this bad?
    The file was not checked at all. `ftlint` exits with code 2, so that CI never reads a
    file it could not open as a clean result.

    ## Example
    ```python
    # -*- coding: no-such-codec -*-
    for parameter in model.parameters():
        parameter.requires_grad = False
    ```

    ## Fix
    Fix the encoding declaration or the file's bytes, or exclude the file (`exclude`).
    """

    code = "FT901"
    name = "unreadable-input"
    summary = "A file could not be read or decoded; it was not checked"
    VALID = (
        Valid(
            """
            # -*- coding: latin-1 -*-
            for parameter in model.parameters():
                parameter.requires_grad = False
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            # -*- coding: no-such-codec -*-
            for parameter in model.parameters():
                parameter.requires_grad = False
            """,
            line=1,
            message_contains="unknown encoding: no-such-codec",
        ),
    )


class InternalError(InputCheck):
    """
    ## What it does
    Reports a file on which ftlint itself failed: a rule raised, the parser or the traversal
    gave up, or the worker process checking it stopped (a crash, the out-of-memory killer); the
    other files are checked all the same. Also a file Python accepts but libcst, ftlint's parser,
    cannot handle: code it would nest more than 3,000 levels deep (an `and`/`or` chain of
    thousands of operands, an implicit concatenation of more than 3,000 strings). The message
    names what failed, or the limit.

    ## Why is this bad?
    It is a bug or a limit of ftlint, and the failed part did not check the file (after a rule
    failed, the other rules still ran). `ftlint` exits with code 2.

    ## Example
    Only a bug in ftlint produces it; the test suite injects one (a rule that raises).

    ## Fix
    Report it at https://github.com/ftlint/ftlint/issues with the file (or the smallest part of
    it that still fails); `--jobs 1` shows the error in full. For a limit, split the expression.
    """

    code = "FT902"
    name = "internal-error"
    summary = "ftlint failed on a file; the failed part did not check it"


def internal_error(source: SourceFile, culprit: str, error: BaseException) -> Diagnostic:
    """FT902 for ``source``: ``culprit`` (a rule code, or what else failed) raised ``error``."""
    return Diagnostic(
        InternalError.code,
        f"internal error in {culprit} on this file ({type(error).__name__}: {error}); {REPORT}",
        source.display_path,
        Location(1, 1),
        Location(1, 1),
    )


# Every input check, in code order: findings about a file as a whole, in any command.
INPUT_CHECKS: tuple[type[InputCheck], ...] = (UnparsableFile, UnreadableFile, InternalError)
