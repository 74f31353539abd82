"""What a check is: a stable code users select, ignore, suppress and read about, with its
documentation, its own examples, and the command that finds it.

Every code ftlint reports is a subclass of :class:`Check`, listed once in :mod:`ftlint.catalog`.
This module is torch-free and libcst-free: it only describes checks.
"""

from __future__ import annotations

import enum
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ftlint.diagnostics import Applicability


class Command(str, enum.Enum):
    """Which command finds a check's findings."""

    CHECK = "check"  # static: `ftlint check` (and `ftlint verify`, which lints first)
    VERIFY = "verify"  # found by running the model: `ftlint verify`
    ANY = "any"  # about the input itself (FT9xx): every command, never deselected


@dataclass(frozen=True)
class Valid:
    """Code on which the check must stay silent (for a runtime check: a whole script), in a
    file named ``filename`` (``config.yaml``, ``adapter_config.json``: a configuration)."""

    code: str
    filename: str = "example.py"

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


@dataclass(frozen=True)
class Invalid:
    """Code on which the check must report (at ``line``, when given).

    ``expected_replacement`` is the whole file after applying the check's fixes, when it has one;
    ``filename`` as in :class:`Valid`.
    """

    code: str
    line: int | None = None
    message_contains: str | None = None
    expected_replacement: str | None = None
    filename: str = "example.py"

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")

    @property
    def replacement(self) -> str | None:
        if self.expected_replacement is None:
            return None
        return textwrap.dedent(self.expected_replacement).lstrip("\n")


@dataclass(frozen=True)
class CheckDocs:
    code: str
    name: str
    summary: str
    body: str  # markdown: What it does / Why is this bad? / Example / Fix
    fix: Applicability | None
    command: Command


class Check:
    """A stable code. The docstring is its documentation, with the sections ``## What it does``,
    ``## Why is this bad?``, ``## Example`` and ``## Fix`` (and a link to the framework's docs
    where they define the behaviour); ``VALID`` and ``INVALID`` are its examples, from which
    tests are generated."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    command: ClassVar[Command]
    # Applicability of the fixes this check offers, or None when it has none.
    fix: ClassVar[Applicability | None] = None
    # Off unless selected by code or prefix (`select = ["ALL"]` or `--select FT1xx` included).
    default: ClassVar[bool] = True
    # Codes whose raw findings this check builds on: their analysis runs whenever this check
    # does, whether or not they are selected or suppressed themselves.
    needs: ClassVar[tuple[str, ...]] = ()
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()

    @classmethod
    def docs(cls) -> CheckDocs:
        return CheckDocs(
            cls.code,
            cls.name,
            cls.summary,
            textwrap.dedent(cls.__doc__ or "").strip(),
            cls.fix,
            cls.command,
        )

    @classmethod
    def is_implemented(cls) -> bool:
        """Whether this class holds the logic that finds the code, not only its docs."""
        raise NotImplementedError(f"{cls.__name__} does not say how it finds {cls.code}")
