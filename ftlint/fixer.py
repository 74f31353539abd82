"""Apply fixes to text: non-overlapping edits, in order; an overlapping fix waits for a later pass."""

from __future__ import annotations

from collections.abc import Iterable

from ftlint.diagnostics import Applicability, Diagnostic, Fix


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (unsafe or fix.applicability is Applicability.SAFE)


def apply_fixes(text: str, diagnostics: Iterable[Diagnostic], *, unsafe: bool) -> tuple[str, int]:
    """``text`` with every applicable fix that does not overlap an earlier one; (text, applied)."""
    fixes = sorted(
        (d.fix for d in diagnostics if applicable(d.fix, unsafe)),
        key=lambda fix: min(edit.start_offset for edit in fix.edits),  # type: ignore[union-attr]
    )
    chosen: list[Fix] = []
    taken: list[tuple[int, int]] = []
    for fix in fixes:
        spans = [(edit.start_offset, edit.end_offset) for edit in fix.edits]  # type: ignore[union-attr]
        if any(start < end2 and start2 < end for start, end in spans for start2, end2 in taken):
            continue
        chosen.append(fix)  # type: ignore[arg-type]
        taken.extend(spans)
    edits = sorted((edit for fix in chosen for edit in fix.edits), key=lambda e: e.start_offset)
    for edit in reversed(edits):
        text = text[: edit.start_offset] + edit.content + text[edit.end_offset :]
    return text, len(chosen)
