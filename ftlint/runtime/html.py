"""HTML building blocks shared by every HTML form of ftlint: the freeze map a FreezeReport shows
in a notebook (``_repr_html_``), a FreezeError's diff, and the page of
``ftlint verify --output-format html``. Those compose these; this module imports no other ftlint
module, so the runtime modules can use it at import time without a cycle.

Plain HTML, no JavaScript, no external assets: a notebook that shows a report stays a few kB and
renders offline. Layout sits in one small ``<style>`` scoped to the ``ftlint`` class; the colours
that carry meaning (the bars, the warnings) are inline on their elements, so they survive
renderers that drop ``<style>`` (GitHub's notebook view, HTML sanitisers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

__all__ = [
    "STYLE",
    "TRAINABLE_COLOR",
    "WARNING_BACKGROUND",
    "WARNING_STYLE",
    "bar",
    "cell",
    "escape",
    "fragment",
    "paragraph",
    "table",
    "text_table",
]

TRAINABLE_COLOR = "#2e7d32"
FROZEN_COLOR = "#cfd8dc"
# Frozen BatchNorm updating its statistics, an optimizer missing tensors, a failed expectation.
WARNING_BACKGROUND = "#ffc46b"
WARNING_STYLE = f"background:{WARNING_BACKGROUND};color:#3d1f00"
STYLE = (
    "<style>.ftlint{font:13px/1.4 system-ui,sans-serif}.ftlint table{border-collapse:collapse;"
    "font:12px/1.5 ui-monospace,Menlo,Consolas,monospace}.ftlint th,.ftlint td{padding:1px 8px;"
    "text-align:left;white-space:nowrap;border-bottom:1px solid #8884}.ftlint .n{text-align:"
    "right}.ftlint p,.ftlint ul{margin:4px 0}</style>"
)
_INDENT_PX = 16  # per level of nesting
_BAR_PX = 80


def fragment(body: str) -> str:
    """``body`` with the style it needs: what a ``_repr_html_`` returns."""
    return f'{STYLE}<div class="ftlint">{body}</div>'


def cell(
    content: str,
    *,
    numeric: bool = False,
    warning: bool = False,
    level: int = 0,
    title: str | None = None,
) -> str:
    """A ``<td>`` of HTML ``content``: a right-aligned count, a warning, nested ``level`` deep."""
    attributes = ' class="n"' if numeric else ""
    if title is not None:
        attributes += f' title="{escape(title)}"'
    if warning:
        attributes += f' style="{WARNING_STYLE}"'
    elif level:
        attributes += f' style="padding-left:{8 + _INDENT_PX * level}px"'
    return f"<td{attributes}>{content}</td>"


def table(headings: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Rows of :func:`cell` under text headings."""
    head = "".join(f"<th>{escape(heading)}</th>" for heading in headings)
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def text_table(headings: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table of plain text cells, such as the finetuning phases."""
    return table(headings, ([cell(escape(text)) for text in row] for row in rows))


def paragraph(content: str, *, warning: bool = False) -> str:
    return f'<p style="{WARNING_STYLE}">{content}</p>' if warning else f"<p>{content}</p>"


def bar(trainable: int, frozen: int, label: str) -> str:
    """The trainable share as a green bar over grey, then ``label``."""
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
        f'background:{TRAINABLE_COLOR}"></span></span> {escape(label)}'
    )
