"""Verify files: lint, extract the program, run it in every scenario, report what will train."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ftlint.analysis.file import FileAnalysis
from ftlint.catalog import CATALOG, CONFIG_RULES, RULES, RUNTIME_CHECKS, SIMULATED_CHECKS
from ftlint.config import Settings
from ftlint.diagnostics import Diagnostic, Finding, Location
from ftlint.discovery import discover
from ftlint.engine import analyze, triaged
from ftlint.input_checks import UnreadableFile
from ftlint.runner import display_path, is_config, selected_for
from ftlint.runtime.report import FreezeReport
from ftlint.sources import SourceError, SourceFile, read_source
from ftlint.verify import VerifyError
from ftlint.verify.checks.ft102_other_reading_differs import OtherReadingDiffers
from ftlint.verify.extract import Note
from ftlint.verify.instrument import build_program
from ftlint.verify.runtime_check import RuntimeCheck
from ftlint.verify.sandbox import Sandbox
from ftlint.verify.scenarios import Verification, verify_program
from ftlint.verify.simulators import (
    SimulationInput,
    SimulationTable,
    TargetSimulator,
    load_simulators,
)
from ftlint.verify.verified import VerifiedFile


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
    verified: VerifiedFile,
    result: FileVerification,
) -> None:
    """Run the simulators: their findings go to the analysis, their tables to ``result``, their
    notes to the as-written run's."""
    source, program, analysis = verified.source, verified.program, verified.analysis
    run = verified.run
    notes = run.execution.notes

    def show(table: SimulationTable) -> None:
        cell, location = source.display(table.row, 0)
        result.simulations.append(SimulationSummary(cell, location.row, table))

    simulation = SimulationInput(
        source,
        run.execution.namespace,
        [(value, program.constructions[site].span) for site, value in run.execution.probes.tracked],
        {target.variable: target.module for target in run.targets.values()},
        lambda code, message, span: analysis.add(Finding(code, message, span)),
        lambda row, text: notes.append(Note(row, text)),
        show,
    )
    for simulator in simulators:
        sandbox.call(partial(simulator.simulate, simulation), notes)


def verify_file(
    path: Path, settings: Settings, enabled: set[str], pins: Mapping[str, object]
) -> FileVerification:
    """The static findings of ``path``, then what its runs show (``error``: why they could not)."""
    shown = display_path(path)
    try:
        source = read_source(path, shown)
    except SourceError as error:
        diagnostic = Diagnostic(
            UnreadableFile.code, str(error), shown, Location(1, 1), Location(1, 1)
        )
        return FileVerification(shown, diagnostics=[diagnostic], error=str(error))
    selected = selected_for(path, settings, enabled)
    if is_config(path):
        return _configuration(source, selected)
    checks = [CATALOG[code] for code in selected]
    needed = {code for check in checks for code in (check.code, *check.needs)}
    analysis = analyze(source, triaged(source, [rule for rule in RULES if rule.code in needed]))
    result = FileVerification(shown, source)
    if isinstance(analysis, Diagnostic):
        result.diagnostics = [analysis]
        result.error = "the file does not parse"
        return result
    try:
        _run(analysis, [c for c in RUNTIME_CHECKS if c.code in selected], pins, result)
    except VerifyError as error:
        result.error = str(error)
    result.diagnostics = analysis.diagnostics(selected)
    return result


def _verified(
    analysis: FileAnalysis,
    readings: bool,
    pins: Mapping[str, object],
    simulators: Sequence[TargetSimulator],
    where: Callable[[int], str],
) -> tuple[VerifiedFile, Sandbox]:
    program = build_program(
        analysis,
        frozenset(name for name in pins if name.isidentifier()),
        tuple(name for simulator in simulators for name in simulator.keeps),
    )
    sandbox = Sandbox(analysis.source, program, where)
    verification = verify_program(program, sandbox, pins, readings=readings)
    return VerifiedFile(analysis, program, verification), sandbox


def _run(
    analysis: FileAnalysis,
    checks: Sequence[type[RuntimeCheck]],
    pins: Mapping[str, object],
    result: FileVerification,
) -> None:
    source = analysis.source
    simulators = load_simulators(source.text, SIMULATED_CHECKS)
    readings = OtherReadingDiffers in checks
    skipped: list[str] = []
    try:
        verified, sandbox = _verified(analysis, readings, pins, simulators, source.where)
    except VerifyError as error:
        if not simulators:
            raise
        # What runs only for the simulators (a Trainer asking for a GPU this machine lacks) must
        # not cost the file its verification: verify it as it would be without them.
        verified, sandbox = _verified(analysis, readings, pins, [], source.where)
        simulators, skipped = [], [f"simulations skipped: {error}"]
    for check in checks:
        for finding in check.find(verified):
            analysis.add(finding)
    _simulate(simulators, sandbox, verified, result)
    verification, program = verified.verification, verified.program
    result.models = _summaries(verification, source)
    notes = sorted(
        [*program.notes, *verification.as_written.execution.notes], key=lambda note: note.row
    )
    result.notes = [f"{source.where(note.row)}: {note.text}" for note in notes] + skipped
    if not result.models:
        result.error = (
            "no model found: nothing this file runs builds a torch.nn.Module with parameters;"
            " run verify on the training script that builds the model"
        )
    result.notes += [
        f"--set {name}: the file never mentions {name}, so the pin changes nothing"
        for name in pins
        if not re.search(rf"(?<![\w.]){re.escape(name)}\b", source.text)
    ]


def _configuration(source: SourceFile, selected: set[str]) -> FileVerification:
    """A YAML/JSON configuration named explicitly: its static findings; nothing is run (a YAML
    line such as `key: value` is valid Python, which must not be executed as a script)."""
    from ftlint.configfiles.engine import lint_config

    rules = [rule for rule in CONFIG_RULES if rule.code in selected]
    return FileVerification(
        source.display_path,
        source,
        diagnostics=lint_config(source, rules),
        error=(
            "a YAML/JSON configuration: `ftlint verify` runs Python training scripts; run it "
            "on the script that loads this file (its static findings are shown)"
        ),
    )


def verify_paths(
    paths: Sequence[Path], settings: Settings, enabled: set[str], pins: Mapping[str, object]
) -> list[FileVerification]:
    """Each Python file and notebook under ``paths`` verified (configurations only when named)."""
    found = discover(paths, settings, configs=False)
    return [verify_file(path, settings, enabled, pins) for path in found]


def has_errors(results: Sequence[FileVerification]) -> bool:
    return any(
        r.error is not None or any(d.code == UnreadableFile.code for d in r.diagnostics)
        for r in results
    )
