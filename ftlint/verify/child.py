"""Verify's child process: runs one entry point under the harness and sends back what it showed.

``python -m ftlint.verify.child SPEC``: ``SPEC`` is a JSON file naming the entry point, its
arguments, the ``--set`` pins and the selected checks. The result goes over the channel the
parent opened (:func:`ftlint.verify.containment.send_result`), never stdout, which belongs to
the script; then the process ends at once, without running the script's ``atexit`` handlers or
waiting for its threads.
"""

from __future__ import annotations
import __future__

import ast
import os
import re
import sys
import traceback
from collections.abc import Mapping, Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from ftlint.analysis.file import FileAnalysis
from ftlint.analysis.mmconfig import is_config as is_mmengine_config
from ftlint.catalog import CATALOG, RULES, RUNTIME_CHECKS, SIMULATED_CHECKS
from ftlint.configfiles.training import DETECTRON2_REMEDY
from ftlint.diagnostics import Finding
from ftlint.engine import analyze, triaged
from ftlint.runner import is_config
from ftlint.sources import SourceFile, read_source
from ftlint.verify.checks.ft102_other_reading_differs import OtherReadingDiffers
from ftlint.verify.containment import send_result
from ftlint.verify.shadow import Shadow
from ftlint.verify.skipping import skip_failures_on_stand_ins
from ftlint.verify.syntax import Note
from ftlint.verify.wire import (
    AS_THEY_STOOD,
    ChildResult,
    ModelSummary,
    ScenarioCounts,
    SimulationSummary,
    Spec,
    encode,
)


def _summaries(verification: Any, source: SourceFile) -> list[ModelSummary]:
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


def _simulate(verified: Any, result: ChildResult) -> None:
    """Run the simulators of the file on the as-written run's live objects."""
    from ftlint.verify.simulators import SimulationInput, SimulationTable, load_simulators
    from ftlint.verify.syntax import line_span

    source, program, analysis, run = (
        verified.source,
        verified.program,
        verified.analysis,
        verified.run,
    )
    simulators = load_simulators(source.text, SIMULATED_CHECKS)
    notes = run.execution.notes

    def show(table: SimulationTable) -> None:
        cell, location = source.display(table.row, 0)
        result.simulations.append(SimulationSummary(cell, location.row, table))

    constructed = [
        (value, program.constructions[site].span) for site, value in run.execution.probes.tracked
    ] + [(value, line_span(source, row)) for value, row in run.execution.session.handed]
    simulation = SimulationInput(
        source,
        run.execution.namespace,
        constructed,
        {target.variable: target.module for target in run.targets.values()},
        lambda code, message, span: analysis.add(Finding(code, message, span)),
        lambda row, text: notes.append(Note(row, text)),
        show,
    )
    for simulator in simulators:
        try:
            simulator.simulate(simulation)
        except Exception as error:  # noqa: BLE001 - a simulation that fails is a note
            notes.append(Note(0, f"simulation failed: {type(error).__name__}: {error}"))


_DETECTRON2_IMPORT = re.compile(r"^\s*(from|import)\s+detectron2\b", re.MULTILINE)

_FUTURE_IMPORT = re.compile(
    r"^from\s+__future__\s+import\s+\(?([\w\s,]+?)\)?\s*(#.*)?$", re.MULTILINE
)


def _compiled(code: str, filename: str) -> Any:
    """The program compiled, its top-level statements skipped when they fail for want of data
    (:mod:`ftlint.verify.skipping`). A notebook compiles its cells one by one, so a ``from
    __future__`` import may open any cell: such imports become compiler flags (rows unchanged)."""
    flags = 0
    for match in _FUTURE_IMPORT.finditer(code):
        for feature in match.group(1).replace(",", " ").split():
            flags |= getattr(__future__, feature).compiler_flag
    if flags:
        code = _FUTURE_IMPORT.sub("pass", code)
    tree = skip_failures_on_stand_ins(ast.parse(code, filename))
    return compile(tree, filename, "exec", flags=flags, dont_inherit=True)


def verify_entry(spec: Spec) -> ChildResult:
    """Run the entry point in every scenario; the models, runtime findings and notes."""
    from ftlint.verify.execution import Entry, run_program
    from ftlint.verify.harness import install
    from ftlint.verify.instrument import build_program
    from ftlint.verify.scenarios import verify_program
    from ftlint.verify.verified import VerifiedFile

    source = read_source(Path(spec.path), spec.display_path)
    checks = [CATALOG[code] for code in spec.selected]
    needed = {code for check in checks for code in (check.code, *check.needs)}
    analysis = analyze(source, triaged(source, [rule for rule in RULES if rule.code in needed]))
    if not isinstance(analysis, FileAnalysis):
        return ChildResult(error="the file does not parse")
    program = build_program(analysis, frozenset(name for name in spec.pins if name.isidentifier()))
    code = _compiled(program.code, spec.path)
    Shadow(spec.workdir).install()
    on_meta = install()
    entry = Entry(spec.path, spec.module, spec.args)

    def runner(overrides: Mapping[str, object], reading: int | None) -> Any:
        return run_program(code, entry, source.where, overrides, spec.pins, reading, on_meta)

    runtime = [check for check in RUNTIME_CHECKS if check.code in spec.selected]
    verification = verify_program(
        program, source, runner, spec.pins, readings=OtherReadingDiffers in runtime
    )
    verified = VerifiedFile(analysis, program, verification)
    result = ChildResult()
    execution = verification.as_written.execution
    if verification.as_written.targets:
        for check in runtime:
            for finding in check.find(verified):
                analysis.add(finding)
        _simulate(verified, result)
    result.models = _summaries(verification, source)
    runtime_codes = {check.code for check in (*RUNTIME_CHECKS, *SIMULATED_CHECKS)}
    result.diagnostics = [d for d in analysis.diagnostics(spec.selected) if d.code in runtime_codes]
    notes = sorted(
        [*execution.notes, *execution.session.stand_ins, *execution.skips.notes],
        key=lambda note: note.row,
    )
    result.notes = [f"{source.where(note.row)}: {note.text}" for note in notes]
    result.notes += [
        f"--set {name}: the file never mentions {name}, so the pin changes nothing"
        for name in spec.pins
        if not re.search(rf"(?<![\w.]){re.escape(name)}\b", source.text)
    ]
    if execution.stopped is not None:
        result.stopped = f"{source.where(execution.stop_row)}: {execution.stopped}"
    result.missing_config = execution.missing_config
    result.exited = execution.exited
    if execution.failure is not None:
        result.error = execution.failure + (AS_THEY_STOOD if result.models else "")
    elif not result.models and result.stopped is not None:
        result.error = (
            f"the run reached training ({result.stopped}) before it built any model: verify stops"
            " at the first backward(), optimizer step or DataLoader iteration; if the script looks"
            " at its data first, run verify on a copy that builds the model before"
        )
    elif not result.models:
        result.error = (
            "no model found: nothing this file ran built a torch.nn.Module with parameters;"
            " if it only defines models, run verify on the training script that uses it"
        )
    return result


def main(argv: Sequence[str]) -> None:
    try:
        spec = Spec.read(Path(argv[0]))
        source = read_source(Path(spec.path), spec.display_path)
        if is_config(Path(spec.path)):
            from ftlint.verify.configured import verify_configuration

            result = verify_configuration(spec)
        elif source.cells is None and is_mmengine_config(source.text):
            from ftlint.verify.configured_mm import verify_mmengine

            result = verify_mmengine(spec, source)
        elif _DETECTRON2_IMPORT.search(source.text) and find_spec("detectron2") is None:
            result = ChildResult(error=DETECTRON2_REMEDY)  # a LazyConfig, or a script using one
        else:
            result = verify_entry(spec)
    except BaseException as error:  # noqa: BLE001 - said to the parent, never a traceback
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        result = ChildResult(error=f"ftlint could not run the file: {detail}")
    sys.stdout.flush()
    sys.stderr.flush()
    send_result(encode(result))
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
