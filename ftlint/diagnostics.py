"""The data every part of ftlint exchanges: findings, their locations and their fixes."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst
    from libcst.metadata import CodeRange


class Applicability(str, enum.Enum):
    """Whether applying a fix keeps behaviour (ruff's fix model)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, order=True)
class Location:
    """1-based row and column, as ruff reports them."""

    row: int
    column: int


@dataclass(frozen=True)
class Edit:
    """Replace ``source[start_offset:end_offset]`` with ``content``.

    Offsets index the linted text (for a notebook: its code cells joined); ``location`` and
    ``end_location`` are what users see (for a notebook: relative to the cell).
    """

    content: str
    start_offset: int
    end_offset: int
    location: Location
    end_location: Location


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    message: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    filename: str
    location: Location
    end_location: Location
    fix: Fix | None = None
    cell: int | None = None
    # Row, in the linted text, whose `# noqa` comment can suppress this finding.
    noqa_row: int = field(default=0, compare=False)

    @property
    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.filename, self.cell or 0, self.location.row, self.location.column, self.code)



@dataclass(frozen=True)
class Finding:
    """What a check found, before selection and suppression make it a :class:`Diagnostic`:
    ``span`` in the linted text, and ``node``, what it found (FT001's boolean chain), for the
    checks that build on it."""

    code: str
    message: str
    span: CodeRange
    fix: Fix | None = None
    node: cst.CSTNode | None = field(default=None, compare=False)
