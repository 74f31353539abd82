"""Apply fixes to a source, as ruff does: lint, apply the fixes that do not overlap, re-lint the
new text, repeat until no applicable fix is left. Pure: text in, text out; nothing is written."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from ftlint.diagnostics import Applicability, Diagnostic, Edit, Fix
from ftlint.sources import CellSpan, SourceFile

# Passes of lint → fix → re-lint; a fix that keeps creating new fixes stops here.
MAX_PASSES = 10

Lint = Callable[[SourceFile], list[Diagnostic]]


class Unfixable(Exception):
    """A fix that cannot be applied; the message says why."""


@dataclass(frozen=True)
class Rejected:
    diagnostic: Diagnostic
    reason: str


@dataclass
class FixOutcome:
    source: SourceFile  # after the fixes
    remaining: list[Diagnostic]  # findings of the fixed text
    fixed: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (unsafe or fix.applicability is Applicability.SAFE)


def _fix_edits(diagnostic: Diagnostic) -> tuple[Edit, ...]:
    """The edits of a diagnostic kept for its applicable fix (so it has one)."""
    assert diagnostic.fix is not None
    return diagnostic.fix.edits


def _overlaps(a: Edit, b: Edit) -> bool:
    # Two insertions at one offset conflict too: their order would be arbitrary.
    return a.start_offset == b.start_offset or (
        a.start_offset < b.end_offset and b.start_offset < a.end_offset
    )


def select_fixes(diagnostics: Iterable[Diagnostic], *, unsafe: bool) -> list[Diagnostic]:
    """Diagnostics whose applicable fixes do not overlap an earlier one; the others wait a pass."""
    fixable = sorted(
        (d for d in diagnostics if applicable(d.fix, unsafe)),
        key=lambda d: min(edit.start_offset for edit in _fix_edits(d)),
    )
    chosen: list[Diagnostic] = []
    taken: list[Edit] = []
    for diagnostic in fixable:
        edits = _fix_edits(diagnostic)
        if not any(_overlaps(edit, other) for edit in edits for other in taken):
            chosen.append(diagnostic)
            taken.extend(edits)
    return chosen


def dominant_newline(text: str) -> str:
    counts = Counter(re.findall(r"\r\n|\r|\n", text))
    return counts.most_common(1)[0][0] if counts else "\n"


def _splice(text: str, edits: Sequence[Edit], newline: str, base: int = 0) -> str:
    """``text`` (which starts at offset ``base`` of the linted text) with ``edits`` applied; new
    line breaks follow the file's, so a CRLF file stays CRLF."""
    pieces: list[str] = []
    position = 0
    for edit in sorted(edits, key=lambda e: (e.start_offset, e.end_offset)):
        pieces.append(text[position : edit.start_offset - base])
        pieces.append(re.sub(r"\r\n|\r|\n", newline, edit.content))
        position = edit.end_offset - base
    pieces.append(text[position:])
    return "".join(pieces)


def _edits(diagnostics: Iterable[Diagnostic]) -> list[Edit]:
    return [edit for d in diagnostics for edit in _fix_edits(d)]


def apply_fixes(text: str, diagnostics: Iterable[Diagnostic], *, unsafe: bool) -> tuple[str, int]:
    """One pass over plain text: (text with the non-overlapping applicable fixes, how many)."""
    chosen = select_fixes(diagnostics, unsafe=unsafe)
    return _splice(text, _edits(chosen), dominant_newline(text)), len(chosen)


def _refit_cells(source: SourceFile, edits: Sequence[Edit]) -> tuple[str, list[CellSpan]]:
    """Apply ``edits`` cell by cell: each edit stays in the cell where it starts, so cells keep
    their own rows, and the rows of blanked magics move with the lines inserted above them."""
    assert source.cells is not None
    text = source.text
    pieces: list[str] = []
    cells: list[CellSpan] = []
    first_row = 1
    for position, cell in enumerate(source.cells):
        start = source.offset(cell.first_row, 0)
        end = source.offset(cell.first_row + cell.row_count, 0)
        is_last = position == len(source.cells) - 1
        inside = [
            e for e in edits if start <= e.start_offset < end or (is_last and e.start_offset == end)
        ]
        if any(edit.end_offset > end for edit in inside):
            raise Unfixable("it spans two notebook cells")
        masked: dict[int, str] = {}
        for row, magic in cell.masked.items():
            line_start = source.offset(cell.first_row + row - 1, 0)
            line_stop = source.offset(cell.first_row + row, 0) - 1  # the line's "\n"
            if any(e.end_offset > line_start and e.start_offset <= line_stop for e in inside):
                raise Unfixable("it edits a line holding an IPython magic")
            above = [e for e in inside if e.end_offset <= line_start]
            moved = sum(
                e.content.count("\n") - text[e.start_offset : e.end_offset].count("\n")
                for e in above
            )
            masked[row + moved] = magic
        piece = _splice(text[start:end], inside, "\n", base=start)
        if piece and not piece.endswith("\n"):
            raise Unfixable("it joins two notebook cells")
        pieces.append(piece)
        cells.append(replace(cell, first_row=first_row, row_count=piece.count("\n"), masked=masked))
        first_row += cells[-1].row_count
    return "".join(pieces), cells


def _apply(source: SourceFile, diagnostics: Sequence[Diagnostic]) -> SourceFile:
    """``source`` with the fixes of ``diagnostics`` applied; raises Unfixable."""
    edits = _edits(diagnostics)
    if source.cells is None:
        text, cells = _splice(source.text, edits, dominant_newline(source.text)), None
    else:
        text, cells = _refit_cells(source, edits)
    import libcst as cst  # here, not at the top: `check` reports before any fix needs libcst

    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        first_line = str(error.message).splitlines()[0]
        raise Unfixable(f"the fixed code would not parse ({first_line})") from error
    return SourceFile(
        source.path, source.display_path, text, source.raw, source.encoding, cells, source.notebook
    )


def _identity(text: str, diagnostic: Diagnostic) -> tuple[object, ...]:
    """What makes a fix the same fix after other fixes moved it: its code and its edits' text."""
    edits = _fix_edits(diagnostic)
    return (diagnostic.code, *((text[e.start_offset : e.end_offset], e.content) for e in edits))


def fix_source(source: SourceFile, lint: Lint, *, unsafe: bool) -> FixOutcome:
    """Apply every applicable fix ``lint`` offers, pass after pass; a fix that cannot be applied
    (it would not parse, or does not fit the notebook's cells) is rejected, never applied."""
    outcome = FixOutcome(source, lint(source))
    rejected: set[tuple[object, ...]] = set()
    passes = 0
    while passes < MAX_PASSES:
        text = outcome.source.text
        pending = [
            d
            for d in outcome.remaining
            if applicable(d.fix, unsafe) and _identity(text, d) not in rejected
        ]
        chosen = select_fixes(pending, unsafe=unsafe)
        if not chosen:
            break
        try:
            fixed = _apply(outcome.source, chosen)
        except Unfixable:
            # Find the fixes that fail on their own; if each is fine alone, apply just the first.
            failures: list[Rejected] = []
            for diagnostic in chosen:
                try:
                    _apply(outcome.source, [diagnostic])
                except Unfixable as error:
                    failures.append(Rejected(diagnostic, str(error)))
            if failures:
                outcome.rejected.extend(failures)
                rejected.update(_identity(text, failure.diagnostic) for failure in failures)
                continue
            chosen = chosen[:1]
            fixed = _apply(outcome.source, chosen)
        passes += 1
        outcome.source, outcome.fixed = fixed, outcome.fixed + len(chosen)
        outcome.remaining = lint(fixed)
    return outcome
