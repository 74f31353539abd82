"""Stable codes users select, ignore and read about: static rules and runtime checks alike.

Kept outside ``ftlint.rules`` so that runtime-check modules can define their codes without
importing the rule registry (which imports them).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import ClassVar

from ftlint.diagnostics import Applicability


@dataclass(frozen=True)
class RuleDocs:
    code: str
    name: str
    summary: str
    body: str  # markdown: What it does / Why is this bad? / Example / Fix
    fix: Applicability | None


class Documented:
    """Anything with a stable code users can select, ignore and read about (`ftlint rule CODE`).

    The docstring is the documentation, with the sections ``## What it does``,
    ``## Why is this bad?``, ``## Example`` and ``## Fix``.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    # Applicability of the fixes this rule offers, or None when it has none.
    fix: ClassVar[Applicability | None] = None

    @classmethod
    def docs(cls) -> RuleDocs:
        return RuleDocs(
            cls.code, cls.name, cls.summary, textwrap.dedent(cls.__doc__ or "").strip(), cls.fix
        )


class RuntimeCheck(Documented):
    """A finding of ``ftlint verify`` (FT1xx): documented like a rule, found by running the model."""
