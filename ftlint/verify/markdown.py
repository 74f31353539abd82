"""``ftlint verify --output-format markdown``: what the text output says, as GitHub-flavoured
Markdown for a pull request or a job summary (``--output-format github`` appends it to
``$GITHUB_STEP_SUMMARY``). Per file: each model's scenarios and freeze map, the simulations'
tables (the Lightning phases), the findings with their locations, the notes."""

from __future__ import annotations

from collections.abc import Sequence

from ftlint.reporting import diagnostic_location
from ftlint.runtime.report import (
    FreezeReport,
    batchnorm_text,
    block_cells,
    number_headings,
    optimizer_text,
    share_text,
    summary_text,
)
from ftlint.sources import location_text
from ftlint.text import plural
from ftlint.verify.pipeline import FileVerification, ModelSummary
from ftlint.verify.report import closing, scenario_label

__all__ = ["render_verify_markdown"]

_WARNING = "⚠️"


def render_verify_markdown(results: Sequence[FileVerification]) -> str:
    out = ["## ftlint verify", ""]
    for result in results:
        out += [f"### `{result.display_path}`", ""]
        if result.error is not None:
            out += [f"{_WARNING} **could not verify:** {_inline(result.error)}", ""]
        for model in result.models:
            out += _model(model)
        if result.stopped is not None:
            out += [f"Stopped where training starts: {_inline(result.stopped)}", ""]
        for simulation in result.simulations:
            table = simulation.table
            where = location_text(simulation.cell, simulation.line)
            out += [f"**{table.title}** at {where}: {_inline(table.caption)}", ""]
            out += _table(table.headings, table.rows, numeric=0)
        if result.diagnostics:
            out += ["**Findings**", ""]
            out += [
                f"- `{diagnostic_location(d)}` **{d.code}** {_inline(d.message)}"
                for d in result.diagnostics
            ]
            out.append("")
        out += [f"- note: {_inline(note)}" for note in result.notes]
        if result.notes:
            out.append("")
    out.append(closing(results))
    return "\n".join(out) + "\n"


def _model(model: ModelSummary) -> list[str]:
    where = location_text(model.cell, model.line)
    lines = [
        f"**`{model.variable}`** = `{model.builder}(...)` at {where}:"
        f" {plural(model.total, 'tensor')}, {model.total_numel:,} elements",
        "",
    ]
    lines += _table(
        ("scenario", "tensors trainable / frozen", "elements trainable / frozen"),
        [
            (
                scenario_label(scenario),
                f"{scenario.trainable} / {scenario.frozen}",
                f"{scenario.trainable_numel:,} / {scenario.frozen_numel:,}",
            )
            for scenario in model.scenarios
        ],
        numeric=2,
    )
    return lines + _freeze_map(model.freeze_map)


def _freeze_map(report: FreezeReport) -> list[str]:
    adapters = bool(report.adapter_tensors)
    copies = bool(report.saved_copy_tensors)
    numbers = number_headings(adapters, saved_copies=copies)
    lines = [f"Freeze map, as written: {_inline(summary_text(report))}", ""]
    lines += _table(
        ("block", *numbers, "trainable share", "batchnorm"),
        [
            (
                f"`{block.name}`",
                *block_cells(block, adapters=adapters, saved_copies=copies),
                share_text(block.trainable_numel, block.frozen_numel),
                f"{_WARNING} {batchnorm_text(block)}"
                if block.batchnorm_frozen_updating
                else batchnorm_text(block),
            )
            for block in report.blocks
        ],
        numeric=len(numbers) + 1,
    )
    if report.notes:
        lines += [*(f"note: {_inline(note)}" for note in report.notes), ""]
    if report.optimizer is not None:
        line = _inline(optimizer_text(report.optimizer, report.trainable_tensors))
        lines += [f"{_WARNING} {line}" if report.optimizer.trainable_missing else line, ""]
    lines += [f"{_WARNING} warning: {_inline(warning)}" for warning in report.warnings]
    if report.warnings:
        lines.append("")
    return lines


def _table(headings: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: int) -> list[str]:
    """A Markdown table whose columns 1..``numeric`` (counts) are right-aligned."""
    aligns = ["---:" if 0 < column <= numeric else "---" for column in range(len(headings))]
    return [
        _row(headings),
        _row(aligns),
        *(_row([_inline(cell) for cell in row]) for row in rows),
        "",
    ]


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _inline(text: str) -> str:
    # One line, and no raw HTML: GitHub would render a `<name>` in a message as a tag.
    return " ".join(text.split()).replace("<", "&lt;")
