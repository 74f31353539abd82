"""HTML forms of the freeze map and of a FreezeError: notebooks show them (``_repr_html_``), and
the page of ``ftlint verify --output-format html`` is built from them.

Plain HTML, no JavaScript, no external assets: a notebook that shows a report stays a few kB and
renders offline. Layout sits in one small ``<style>`` scoped to the ``ftlint`` class; the colours
that carry meaning (the bars, the warnings) are inline on their elements, so they survive
renderers that drop ``<style>`` (GitHub's notebook view, HTML sanitisers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING

from ftlint.runtime.expect import fix_groups, headline
from ftlint.runtime.report import (
    BlockRow,
    FreezeReport,
    batchnorm_text,
    block_cells,
    number_headings,
    optimizer_text,
    share_text,
    summary_text,
)
from ftlint.text import format_names

if TYPE_CHECKING:
    from ftlint.runtime.expect import FreezeError

__all__ = [
    "STYLE",
    "TRAINABLE_COLOR",
    "WARNING_BACKGROUND",
    "freeze_error_html",
    "freeze_report_html",
    "table_html",
]

TRAINABLE_COLOR = "#2e7d32"
FROZEN_COLOR = "#cfd8dc"
# Frozen BatchNorm updating its statistics, an optimizer missing tensors, a failed expectation.
WARNING_BACKGROUND = "#ffc46b"
WARNING_STYLE = f"background:{WARNING_BACKGROUND};color:#3d1f00"
STYLE = (
    "<style>.ftlint{font:13px/1.4 system-ui,sans-serif}.ftlint table{border-collapse:collapse;font:12px/1.5 ui-monospace,Menlo,Consolas,"
    "monospace}.ftlint th,.ftlint td{padding:1px 8px;text-align:left;white-space:nowrap;border-bottom:1px solid"
    " #8884}.ftlint .n{text-align:right}.ftlint p,.ftlint ul{margin:4px 0}</style>"
)
_INDENT_PX = 16  # per level of nesting
_BAR_PX = 80


def freeze_report_html(report: FreezeReport, *, depth: int) -> str:
    """The freeze map: blocks of depth 1, each followed by its nested blocks down to ``depth``."""
    return f'{STYLE}<div class="ftlint">{_report_body(report, depth)}</div>'


def freeze_error_html(error: FreezeError) -> str:
    """The FreezeError message, mismatch by mismatch with their fixes, then the freeze map."""
    title = headline(error.report)
    if error.context is not None:
        title = f"{error.context}: {title}"
    parts = [f'<p style="{WARNING_STYLE}"><b>{escape(title)}</b></p>']
    if error.expectation:
        parts.append(f"<p>expected: {escape(error.expectation)}</p>")
    for group in fix_groups(error.mismatches):
        items = [
            escape(mismatch.text)
            + (f"<br><small>{escape(format_names(mismatch.names))}</small>" if mismatch.names else "")
            for mismatch in group.shown
        ]
        if group.hidden:
            items.append(f"... and {group.hidden} more blocks")
        parts.append(_tag("ul", "".join(_tag("li", item) for item in items)))
        parts.append(f"<p><i>fix:</i> {escape(group.fix)}</p>")
    parts.append(_report_body(error.report, error.report.depth))
    return f'{STYLE}<div class="ftlint">{"".join(parts)}</div>'


def table_html(headings: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain table of text cells (escaped), for tables such as the finetuning phases."""
    head = "".join(_tag("th", escape(heading)) for heading in headings)
    body = "".join(_tag("tr", "".join(_tag("td", escape(cell)) for cell in row)) for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _report_body(report: FreezeReport, depth: int) -> str:
    adapters = bool(report.adapter_tensors)
    headings = ("block", *number_headings(adapters), "trainable share", "batchnorm")
    head = "".join(_tag("th", escape(heading)) for heading in headings)
    rows = "".join(_block_row(row, level, adapters) for row, level in _nested(report, depth))
    parts = [f"<p><b>{escape(summary_text(report))}</b></p>", f"<table><tr>{head}</tr>{rows}</table>"]
    if report.optimizer is not None:
        line = escape(optimizer_text(report.optimizer, report.trainable_tensors))
        style = f' style="{WARNING_STYLE}"' if report.optimizer.trainable_missing else ""
        parts.append(f"<p{style}>{line}</p>")
    parts.extend(f'<p style="{WARNING_STYLE}">warning: {escape(w)}</p>' for w in report.warnings)
    return "".join(parts)


def _nested(report: FreezeReport, depth: int) -> list[tuple[BlockRow, int]]:
    """Rows in tree order with their level (0 for depth 1); a block shallower than ``depth``
    (``conv1`` at depth 2) appears once, at its own level."""
    levels = [report.blocks_at(level) for level in range(1, depth + 1)]
    ordered: list[tuple[BlockRow, int]] = []

    def add(level: int, parent: str | None) -> None:
        for row in levels[level]:
            if parent is None or row.name.startswith(f"{parent}."):
                ordered.append((row, level))
                if level + 1 < depth:
                    add(level + 1, row.name)

    add(0, None)
    return ordered


def _block_row(block: BlockRow, level: int, adapters: bool) -> str:
    indent = f' style="padding-left:{8 + _INDENT_PX * level}px"' if level else ""
    tensors, elements, *adapter = block_cells(block, adapters=adapters)
    exact = f"{block.trainable_numel:,} / {block.frozen_numel:,} elements"
    batchnorm_style = f' style="{WARNING_STYLE}"' if block.batchnorm_frozen_updating else ""
    return _tag(
        "tr",
        f"<td{indent}>{escape(block.name)}</td>"
        f'<td class="n">{tensors}</td><td class="n" title="{exact}">{elements}</td>'
        + "".join(f'<td class="n">{cell}</td>' for cell in adapter)
        + f"<td>{_bar(block.trainable_numel, block.frozen_numel)}</td>"
        f"<td{batchnorm_style}>{escape(batchnorm_text(block))}</td>",
    )


def _bar(trainable: int, frozen: int) -> str:
    total = trainable + frozen
    percent = 100 * trainable / total if total else 0.0
    # As in the text bar, a sliver stays visible: 0.1% trainable (a LoRA) is not "nothing".
    if trainable:
        percent = max(percent, 3.0)
    if frozen:
        percent = min(percent, 97.0)
    return (
        f'<span style="display:inline-block;vertical-align:middle;width:{_BAR_PX}px;height:9px;'
        f'background:{FROZEN_COLOR}"><span style="display:block;height:9px;width:{percent:.1f}%;'
        f'background:{TRAINABLE_COLOR}"></span></span> {share_text(trainable, frozen)}'
    )


def _tag(name: str, content: str) -> str:
    return f"<{name}>{content}</{name}>"
