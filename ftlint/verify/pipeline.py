"""Verify files: lint, extract the program, run it in every scenario, report what will train."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ftlint.config import Settings
from ftlint.diagnostics import INPUT_ERROR, SYNTAX_ERROR, Diagnostic
from ftlint.discovery import discover
from ftlint.engine import FileContext
from ftlint.rules import DOCUMENTED
from ftlint.runner import check_file
from ftlint.runtime.report import FreezeReport
from ftlint.sources import SourceFile
from ftlint.suppression import is_suppressed
from ftlint.verify import VerifyError
from ftlint.verify.codes import VERIFY_CHECKS, OtherReadingDiffers
from ftlint.verify.extract import Note
from ftlint.verify.findings import verify_findings
from ftlint.verify.instrument import Program, build_program
from ftlint.verify.sandbox import Sandbox
from ftlint.verify.scenarios import Verification, verify_program
from ftlint.verify.simulators import (
    SimulationInput,
    SimulationTable,
    TargetSimulator,
    load_simulators,
)

_VERIFY_CODES = frozenset(check.code for check in VERIFY_CHECKS)


@dataclass(frozen=True)
class ScenarioCounts:
    bindings: Mapping[str, object]
    as_written: bool
    trainable: int
    frozen: int
    trainable_numel: int
    frozen_numel: int


@dataclass(frozen=True)
class ModelSummary:
    """One model of a file: how it was built, and what trains in each scenario."""

    variable: str
    builder: str
    cell: int | None
    line: int
    total: int
    total_numel: int
    scenarios: tuple[ScenarioCounts, ...]
    freeze_map: FreezeReport  # as written


@dataclass(frozen=True)
class SimulationSummary:
    """A table a simulator showed, and where in the file it points."""

    cell: int | None
    line: int
    table: SimulationTable


@dataclass
class FileVerification:
    display_path: str
    source: SourceFile | None = None
    models: list[ModelSummary] = field(default_factory=list)
    simulations: list[SimulationSummary] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # why the file could not be verified


def location_text(cell: int | None, line: int) -> str:
    """``line 12``, or in a notebook ``cell 2, line 3``."""
    return f"line {line}" if cell is None else f"cell {cell}, line {line}"


def _where(source: SourceFile) -> Callable[[int], str]:
    """Rows of the linted text as users see them."""

    def where(row: int) -> str:
        cell, location = source.display(row, 0)
        return location_text(cell, location.row)

    return where


def _summaries(verification: Verification, source: SourceFile) -> list[ModelSummary]:
    summaries = []
    for key, target in verification.as_written.targets.items():
        rows = [
            ScenarioCounts(
                dict(run.scenario.bindings),
                run.scenario.as_written,
                state.trainable_tensors,
                state.frozen_tensors,
                state.trainable_numel,
                state.frozen_numel,
            )
            for run in verification.runs
            if (state := run.reports.get(key)) is not None
        ]
        written = verification.as_written.reports[key]
        cell, location = source.display(target.span.start.line, 0)
        summaries.append(
            ModelSummary(
                target.variable,
                target.builder,
                cell,
                location.row,
                written.total_tensors,
                written.total_numel,
                tuple(rows),
                written,
            )
        )
    return summaries


def _simulate(
    simulators: Sequence[TargetSimulator],
    sandbox: Sandbox,
    source: SourceFile,
    program: Program,
    verification: Verification,
    result: FileVerification,
) -> list[Diagnostic]:
    """Run the simulators; their tables go to ``result``, their notes to the as-written run's."""
    context = FileContext(source, program.module)
    run = verification.as_written
    notes = run.execution.notes

    def show(table: SimulationTable) -> None:
        cell, location = source.display(table.row, 0)
        result.simulations.append(SimulationSummary(cell, location.row, table))

    simulation = SimulationInput(
        source,
        run.execution.namespace,
        [(value, program.constructions[site].span) for site, value in run.execution.probes.tracked],
        {target.variable: target.module for target in run.targets.values()},
        lambda code, message, span: context.add(code, message, span, None),
        lambda row, text: notes.append(Note(row, text)),
        show,
    )
    for simulator in simulators:
        sandbox.call(partial(simulator.simulate, simulation), notes)
    return context.diagnostics


def verify_file(
    path: Path, settings: Settings, enabled: set[str], pins: Mapping[str, object]
) -> FileVerification:
    """The static findings of ``path``, then what its runs show (``error``: why they could not)."""
    source, static = check_file(path, settings, enabled)
    shown = static[0].filename if source is None else source.display_path
    result = FileVerification(shown, source, diagnostics=list(static))
    if source is None or any(d.code == SYNTAX_ERROR for d in static):
        result.error = "the file does not parse" if source is not None else static[0].message
        return result
    try:
        _run(source, enabled - settings.ignored_for(path, DOCUMENTED), pins, result)
    except VerifyError as error:
        result.error = str(error)
    result.diagnostics.sort(key=lambda d: d.sort_key)
    return result


def _verified(
    source: SourceFile,
    allowed: set[str],
    pins: Mapping[str, object],
    simulators: Sequence[TargetSimulator],
    where: Callable[[int], str],
) -> tuple[Program, Sandbox, Verification]:
    program = build_program(
        source,
        frozenset(name for name in pins if name.isidentifier()),
        tuple(name for simulator in simulators for name in simulator.keeps),
    )
    sandbox = Sandbox(source, program, where)
    verification = verify_program(
        program, sandbox, pins, readings=OtherReadingDiffers.code in allowed
    )
    return program, sandbox, verification


def _run(
    source: SourceFile, allowed: set[str], pins: Mapping[str, object], result: FileVerification
) -> None:
    where = _where(source)
    simulators = load_simulators(source.text)
    skipped: list[str] = []
    try:
        program, sandbox, verification = _verified(source, allowed, pins, simulators, where)
    except VerifyError as error:
        if not simulators:
            raise
        # What runs only for the simulators (a Trainer asking for a GPU this machine lacks) must
        # not cost the file its verification: verify it as it would be without them.
        program, sandbox, verification = _verified(source, allowed, pins, [], where)
        simulators, skipped = [], [f"simulations skipped: {error}"]
    found = verify_findings(source, program, verification, allowed & _VERIFY_CODES)
    found += _simulate(simulators, sandbox, source, program, verification, result)
    lines = source.lines()
    result.diagnostics += [
        d for d in found
        if d.code in allowed and not (0 < d.noqa_row <= len(lines) and is_suppressed(d.code, lines[d.noqa_row - 1]))
    ]  # fmt: skip
    result.models = _summaries(verification, source)
    notes = sorted(
        [*program.notes, *verification.as_written.execution.notes], key=lambda note: note.row
    )
    result.notes = [f"{where(note.row)}: {note.text}" for note in notes] + skipped
    if not result.models:
        result.notes.append("no model found: nothing here builds a torch.nn.Module with parameters")
    result.notes += [
        f"--set {name}: the file never mentions {name}, so the pin changes nothing"
        for name in pins
        if not re.search(rf"(?<![\w.]){re.escape(name)}\b", source.text)
    ]


def verify_paths(
    paths: Sequence[Path], settings: Settings, enabled: set[str], pins: Mapping[str, object]
) -> list[FileVerification]:
    return [verify_file(path, settings, enabled, pins) for path in discover(paths, settings)]


def has_errors(results: Sequence[FileVerification]) -> bool:
    return any(
        r.error is not None or any(d.code == INPUT_ERROR for d in r.diagnostics) for r in results
    )
