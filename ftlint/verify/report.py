"""``ftlint verify`` output: per model, what trains in each scenario and the freeze map; then the
findings, static and runtime, as ``ftlint check`` prints them."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import click

from ftlint.reporting import diagnostic_json, render_text, summary
from ftlint.sources import location_text
from ftlint.text import bindings_label, plural
from ftlint.verify.pipeline import FileVerification
from ftlint.verify.wire import ModelSummary, ScenarioCounts, SimulationSummary


def scenario_label(scenario: ScenarioCounts) -> str:
    """``train_backbone=True (as written)``; ``as written`` for a file without flags."""
    label = bindings_label(scenario.bindings)
    return label + (" (as written)" if scenario.as_written and scenario.bindings else "")


def _model_json(model: ModelSummary) -> dict[str, object]:
    return {
        "target": model.variable,
        "builder": model.builder,
        "cell": model.cell,
        "line": model.line,
        "total": model.total,
        "total_numel": model.total_numel,
        "scenarios": [
            {
                "bindings": dict(scenario.bindings),
                "as_written": scenario.as_written,
                "trainable": scenario.trainable,
                "frozen": scenario.frozen,
                "trainable_numel": scenario.trainable_numel,
                "frozen_numel": scenario.frozen_numel,
            }
            for scenario in model.scenarios
        ],
        "freeze_map": model.freeze_map.to_dict(),
    }


def _simulation_json(simulation: SimulationSummary) -> dict[str, object]:
    table = simulation.table
    return {"title": table.title, "cell": simulation.cell, "line": simulation.line, **table.data}


def render_json(results: Sequence[FileVerification]) -> str:
    files = [
        {
            "file": result.display_path,
            "targets": [_model_json(model) for model in result.models],
            "simulations": [_simulation_json(simulation) for simulation in result.simulations],
            "findings": [diagnostic_json(diagnostic) for diagnostic in result.diagnostics],
            "notes": result.notes,
            "stopped": result.stopped,
            "error": result.error,
        }
        for result in results
    ]
    return json.dumps({"files": files}, indent=2, default=repr)


def _model_text(model: ModelSummary, color: bool, style: Callable[..., str]) -> list[str]:
    heading = (
        f"  {style(model.variable, bold=True)} = {model.builder}(...)"
        f" at {location_text(model.cell, model.line)}:"
        f" {plural(model.total, 'tensor')}, {model.total_numel:,} elements"
    )
    lines = [heading]
    labels = [scenario_label(scenario) for scenario in model.scenarios]
    width = max(map(len, labels))
    for label, scenario in zip(labels, model.scenarios):
        lines.append(
            f"    {label:<{width}}  {scenario.trainable} trainable / {scenario.frozen} frozen tensors"
            f" ({scenario.trainable_numel:,} / {scenario.frozen_numel:,} elements)"
        )
    lines.append("    freeze map, as written:")
    lines.extend(
        f"      {line}".rstrip() for line in model.freeze_map.render(color=color).splitlines()
    )
    return lines


def _simulation_text(simulation: SimulationSummary, style: Callable[..., str]) -> list[str]:
    table = simulation.table
    where = location_text(simulation.cell, simulation.line)
    heading = f"  {style(table.title, bold=True)} at {where}:"
    return [heading, *(f"    {line}".rstrip() for line in table.text.splitlines())]


def render_verify_text(results: Sequence[FileVerification], *, color: bool) -> str:
    def style(text: str, *, fg: str | None = None, bold: bool | None = None) -> str:
        return click.style(text, fg=fg, bold=bold) if color else text

    out: list[str] = []
    for result in results:
        out.append(style(result.display_path, bold=True))
        if result.error is not None:
            out.append(style(f"  could not verify: {result.error}", fg="red", bold=True))
        for model in result.models:
            out.extend(_model_text(model, color, style))
        if result.stopped is not None:
            out.append(f"  stopped where training starts: {result.stopped}")
        for simulation in result.simulations:
            out.extend(_simulation_text(simulation, style))
        out.extend(f"  note: {note}" for note in result.notes)
        out.append("")
    diagnostics = sorted((d for r in results for d in r.diagnostics), key=lambda d: d.sort_key)
    sources = {r.display_path: r.source for r in results if r.source is not None}
    if diagnostics:
        out.append(render_text(diagnostics, sources, color=color))
    out.append(closing(results))
    return "\n".join(out)


def closing(results: Sequence[FileVerification]) -> str:
    """The findings' summary, and how many files could not be verified: never "All checks
    passed!" when one was not."""
    diagnostics = [d for result in results for d in result.diagnostics]
    failed = sum(result.error is not None for result in results)
    if not failed:
        return summary(diagnostics)
    unverified = f"Could not verify {plural(failed, 'file')}."
    return f"{summary(diagnostics)}\n{unverified}" if diagnostics else unverified
