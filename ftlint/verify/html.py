"""``ftlint verify --output-format html``: one self-contained page (no scripts, no external
assets, readable offline, e.g. as a CI artifact) with every model's scenarios and freeze map, the
simulations' tables, and the findings with their source snippets."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ftlint import __version__
from ftlint.reporting import diagnostic_location, source_frame
from ftlint.runtime.html import STYLE, WARNING_STYLE, text_table
from ftlint.sources import location_text
from ftlint.text import plural
from ftlint.verify.pipeline import FileVerification, ModelSummary
from ftlint.verify.report import closing, scenario_label

__all__ = ["render_verify_html"]

_PAGE_STYLE = (
    "<style>body{margin:16px 24px;font:14px/1.45 system-ui,sans-serif}h2{font-size:16px;"
    "margin:24px 0 8px;border-bottom:1px solid #8886}h3{font-size:14px;margin:16px 0 4px}"
    "pre{background:#8881;padding:6px 8px;overflow-x:auto}code,pre{font:12px/1.45"
    " ui-monospace,Menlo,Consolas,monospace}</style>"
)


def render_verify_html(results: Sequence[FileVerification]) -> str:
    body = "".join(_file(result) for result in results)
    closing_line = escape(closing(results)).replace("\n", "<br>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>ftlint verify: {escape(plural(len(results), 'file'))}</title>{_PAGE_STYLE}{STYLE}"
        f'</head><body><h1 style="font-size:18px">ftlint verify</h1>{body}'
        f'<p><b>{closing_line}</b></p><p style="color:#888">ftlint {__version__}</p></body></html>\n'
    )


def _file(result: FileVerification) -> str:
    parts = [f"<h2><code>{escape(result.display_path)}</code></h2>"]
    if result.error is not None:
        parts.append(f'<p style="{WARNING_STYLE}">could not verify: {escape(result.error)}</p>')
    parts += [_model(model) for model in result.models]
    if result.stopped is not None:
        parts.append(f"<p>Stopped where training starts: {escape(result.stopped)}</p>")
    for simulation in result.simulations:
        table = simulation.table
        where = location_text(simulation.cell, simulation.line)
        parts.append(
            f"<h3>{escape(table.title)} at {where}</h3><p>{escape(table.caption)}</p>"
            f'<div class="ftlint">{text_table(table.headings, table.rows)}</div>'
        )
    if result.diagnostics:
        parts.append("<h3>Findings</h3>")
    for diagnostic in result.diagnostics:
        frame = "\n".join(source_frame(diagnostic, result.source, lambda text, **_: text))
        parts.append(
            f"<p><code>{escape(diagnostic_location(diagnostic))}</code>"
            f" <b>{diagnostic.code}</b> {escape(diagnostic.message)}</p>"
            + (f"<pre>{escape(frame)}</pre>" if frame else "")
        )
    if result.notes:
        notes = "".join(f"<li>{escape(note)}</li>" for note in result.notes)
        parts.append(f"<h3>Notes</h3><ul>{notes}</ul>")
    return f"<section>{''.join(parts)}</section>"


def _model(model: ModelSummary) -> str:
    where = location_text(model.cell, model.line)
    scenarios = text_table(
        ("scenario", "tensors trainable / frozen", "elements trainable / frozen"),
        [
            (
                scenario_label(scenario),
                f"{scenario.trainable} / {scenario.frozen}",
                f"{scenario.trainable_numel:,} / {scenario.frozen_numel:,}",
            )
            for scenario in model.scenarios
        ],
    )
    return (
        f"<h3><code>{escape(model.variable)}</code> = <code>{escape(model.builder)}(...)</code>"
        f" at {where}: {plural(model.total, 'tensor')}, {model.total_numel:,} elements</h3>"
        f'<div class="ftlint">{scenarios}</div><p>Freeze map, as written:</p>'
        f"{model.freeze_map.to_html()}"
    )
