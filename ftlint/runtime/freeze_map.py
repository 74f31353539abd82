"""Text rendering of a FreezeReport: one row per block, fit for a terminal or a log."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ftlint.runtime.report import BlockRow, FreezeReport, OptimizerCoverage

__all__ = ["format_names", "human_count", "plural", "render_freeze_map", "should_color"]

_BAR_WIDTH = 20
_GREEN, _RED, _YELLOW, _RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[0m"
_HEADINGS = (
    "block",
    "tensors train/frozen",
    "elements train/frozen",
    "trainable share",
    "batchnorm",
)


def should_color(stream: TextIO | None = None) -> bool:
    """Color only for a terminal, and never when NO_COLOR is set (no-color.org)."""
    stream = sys.stdout if stream is None else stream
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def format_names(names: Sequence[str], limit: int = 3) -> str:
    """The first few names, then a count: never a wall of names."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} (+{len(names) - limit} more)"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def human_count(count: int) -> str:
    for threshold, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "K")):
        if count >= threshold:
            return f"{count / threshold:.1f}{suffix}"
    return str(count)


def render_freeze_map(report: FreezeReport, *, color: bool) -> str:
    rows = [_HEADINGS, *(_cells(block) for block in report.blocks)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_HEADINGS))]
    lines = [_summary(report), ""]
    for index, row in enumerate(rows):
        name, tensors, elements, bar, batchnorm = (
            cell.ljust(width) if column in (0, 3, 4) else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        if index:  # the heading row is not painted
            trainable_bar = "#" * bar.count("#")
            bar = bar.replace(trainable_bar, _paint(trainable_bar, _GREEN, color), 1)
            if report.blocks[index - 1].batchnorm_frozen_updating:
                batchnorm = _paint(batchnorm, _RED, color)
        lines.append(f"{name}  {tensors}  {elements}  {bar}  {batchnorm}".rstrip())
    if report.optimizer is not None:
        lines.extend(("", _optimizer_line(report.optimizer, report.trainable_tensors, color)))
    lines.extend(_paint(f"warning: {warning}", _YELLOW, color) for warning in report.warnings)
    return "\n".join(lines)


def _optimizer_line(coverage: OptimizerCoverage, trainable_tensors: int, color: bool) -> str:
    groups = plural(coverage.param_groups, "param group")
    missing = coverage.trainable_missing
    if not missing:
        return f"optimizer: {groups}, all {trainable_tensors} trainable tensors covered"
    return _paint(
        f"optimizer: {groups}, {plural(len(missing), 'trainable tensor')} in no group,"
        f" never updated ({format_names(missing)})",
        _RED,
        color,
    )


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color and text else text


def _summary(report: FreezeReport) -> str:
    model = report.model_name
    if report.wrappers:
        model += f" (inside {', '.join(report.wrappers)})"
    share = report.trainable_numel / report.total_numel if report.total_numel else 0.0
    return (
        f"{model}: {report.trainable_tensors} of {report.total_tensors} tensors trainable"
        f" ({report.frozen_tensors} frozen), {report.trainable_numel:,} of"
        f" {report.total_numel:,} elements ({share:.1%})"
    )


def _cells(block: BlockRow) -> tuple[str, str, str, str, str]:
    return (
        block.name,
        f"{block.trainable_tensors} / {block.frozen_tensors}",
        f"{human_count(block.trainable_numel)} / {human_count(block.frozen_numel)}",
        _bar(block.trainable_numel, block.frozen_numel),
        _batchnorm_cell(block),
    )


def _bar(trainable: int, frozen: int) -> str:
    total = trainable + frozen
    filled = round(_BAR_WIDTH * trainable / total) if total else 0
    # Keep a sliver visible: 0.1% trainable (a LoRA) is not "nothing".
    if trainable:
        filled = max(filled, 1)
    if frozen:
        filled = min(filled, _BAR_WIDTH - 1)
    return "[" + "#" * filled + "." * (_BAR_WIDTH - filled) + "]"


def _batchnorm_cell(block: BlockRow) -> str:
    if not block.batchnorm_modules:
        return "-"
    settled = block.batchnorm_frozen - block.batchnorm_frozen_updating
    parts = [
        (block.batchnorm_modules - block.batchnorm_frozen, "not frozen"),
        (settled, "frozen"),
        (block.batchnorm_frozen_updating, "frozen but updating stats!"),
    ]
    return ", ".join(f"{count} {state}" for count, state in parts if count)
