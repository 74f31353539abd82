"""What a rule is: a libcst visitor that carries its code, its docs and its own examples.

Rules follow libcst's ``visit_<Node>`` / ``leave_<Node>`` naming; the engine runs every enabled
rule in one traversal (return values of ``visit_`` methods are ignored, as in libcst's batched
visitors). A rule reports with :meth:`Rule.report`; a fix is a replacement node or a list of edits.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import libcst as cst
from libcst import MetadataDependent
from libcst.metadata import CodeRange, PositionProvider, ProviderT

from ftlint.codes import Documented
from ftlint.diagnostics import Edit, Fix

if TYPE_CHECKING:
    from ftlint.engine import FileContext


@dataclass(frozen=True)
class Valid:
    """Code on which the rule must stay silent."""

    code: str

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


@dataclass(frozen=True)
class Invalid:
    """Code on which the rule must report (at ``line``, when given).

    ``expected_replacement`` is the whole file after applying the rule's fixes, when it has one.
    """

    code: str
    line: int | None = None
    message_contains: str | None = None
    expected_replacement: str | None = None

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")

    @property
    def replacement(self) -> str | None:
        if self.expected_replacement is None:
            return None
        return textwrap.dedent(self.expected_replacement).lstrip("\n")


class Rule(Documented, MetadataDependent):
    """Base class of static rules (FT0xx): a libcst visitor with its own examples."""

    # A file can hold a finding only if it contains at least one of these substrings.
    required_tokens: ClassVar[tuple[str, ...]]
    # Optional finer triage, checked before libcst parses the file (see ftlint/triage.py): a regex
    # that every file with a finding matches, and a code shape from `ftlint.triage.SHAPES`.
    candidate_pattern: ClassVar[str | None] = None
    candidate_shape: ClassVar[str | None] = None
    VALID: ClassVar[list[Valid]]
    INVALID: ClassVar[list[Invalid]]

    METADATA_DEPENDENCIES: ClassVar[tuple[ProviderT, ...]] = (PositionProvider,)

    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context

    def position(self, node: cst.CSTNode) -> CodeRange:
        return self.get_metadata(PositionProvider, node)

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        replacement: cst.CSTNode | None = None,
        edits: list[Edit] | None = None,
        fix_message: str = "",
    ) -> None:
        """Report ``node``; a fix is ``replacement`` (for ``node``) or explicit ``edits``."""
        if replacement is not None:
            edits = [self.replace(node, replacement)]
        fix = None
        if edits and self.fix is not None:
            fix = Fix(self.fix, fix_message, tuple(edits))
        self.context.add(self.code, message, self.position(node), fix)

    def replace(self, node: cst.CSTNode, replacement: cst.CSTNode | str) -> Edit:
        content = (
            replacement
            if isinstance(replacement, str)
            else self.context.module.code_for_node(replacement)
        )
        return self.context.edit(self.position(node), content)
