"""Text helpers shared by every output of ftlint, and its one colour policy.

Standard library only: the torch-free CLI, the runtime API, verify and the Lightning
support all import it, so it must stay cheap and depend on no other ftlint module.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

__all__ = ["align_columns", "bindings_label", "format_names", "human_count", "plural", "use_color"]


def use_color(stream: TextIO | None = None) -> bool:
    """Whether to write ANSI colours to ``stream`` (default: ``sys.stdout``).

    A non-empty NO_COLOR (no-color.org) turns colour off, even with FORCE_COLOR; else a
    non-empty FORCE_COLOR (force-color.org) turns it on; else colour iff ``stream`` is a TTY.
    """
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = sys.stdout if stream is None else stream
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # not a file, or a closed one
        return False


def format_names(names: Sequence[str], limit: int = 3) -> str:
    """The first few names, then a count: never a wall of names."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} (+{len(names) - limit} more)"


def bindings_label(bindings: Mapping[str, object]) -> str:
    """Flag values, as verify labels a scenario: ``train_backbone=True, freeze_bn=False``."""
    return ", ".join(f"{name}={value!r}" for name, value in bindings.items()) or "as written"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def human_count(count: int) -> str:
    for threshold, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "K")):
        if count >= threshold:
            return f"{count / threshold:.1f}{suffix}"
    return str(count)


def align_columns(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as left-aligned columns two spaces apart, one line per row."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows
    )


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest one-character insertions, deletions and substitutions
    that turn ``a`` into ``b``."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]
