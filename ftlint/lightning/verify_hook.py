"""``ftlint verify`` on Lightning scripts: the finetuning phases of the module a script builds.

Verify stops the script at ``Trainer.fit`` and hands the Trainer and the module to this
simulator, with every value the script's assignments produced: the callbacks, the module and
the Trainer's ``max_epochs`` are live objects, built on the meta device.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from typing import Any

from libcst.metadata import CodeRange

from ftlint.lightning._compat import BaseFinetuning, LightningModule, Trainer
from ftlint.lightning.phases import (
    DEFAULT_MAX_EPOCHS,
    PHASE_HEADINGS,
    PhaseReport,
    PhaseSimulationError,
    simulate_phases,
)
from ftlint.verify.harness import HandedToFit
from ftlint.verify.simulators import SimulationInput, SimulationTable, TargetSimulator

__all__ = ["SIMULATOR"]

def _finetuning_callbacks(
    constructed: Sequence[tuple[Any, CodeRange]],
) -> list[tuple[BaseFinetuning, CodeRange]]:
    """Each finetuning callback once: at its own construction, else at the Trainer's holding it."""
    found: dict[int, tuple[BaseFinetuning, CodeRange]] = {}
    for value, span in constructed:
        for candidate in value.callbacks if isinstance(value, Trainer) else [value]:  # type: ignore[attr-defined]  # Lightning's CallbackConnector sets Trainer.callbacks; the class does not declare it
            if isinstance(candidate, BaseFinetuning):
                found.setdefault(id(candidate), (candidate, span))
    return list(found.values())


def _max_epochs(values: Sequence[Any], callback: BaseFinetuning) -> int:
    """The ``max_epochs`` of the Trainer that holds ``callback``, when it is bounded."""
    for trainer in values:
        if isinstance(trainer, Trainer) and any(held is callback for held in trainer.callbacks):  # type: ignore[attr-defined]  # set by CallbackConnector, undeclared on Trainer
            # None (not given: Lightning decides at fit time) or -1 (no limit) bound nothing here.
            max_epochs = trainer.max_epochs
            return max_epochs if max_epochs is not None and max_epochs > 0 else DEFAULT_MAX_EPOCHS
    return DEFAULT_MAX_EPOCHS


def _table(report: PhaseReport, row: int) -> SimulationTable:
    # The findings are reported as diagnostics, with the rest of the file's: not in the table.
    return SimulationTable(
        "finetuning phases",
        row,
        report.caption,
        PHASE_HEADINGS,
        report.rows,
        dataclasses.asdict(report),
    )


def _simulate(run: SimulationInput) -> None:
    values = run.values
    # The module fit got, as it got it; else the module the script built last (an earlier one
    # is usually an experiment's leftover).
    modules = [value.module for value in values if isinstance(value, HandedToFit)] or [
        value for value in values if isinstance(value, LightningModule)
    ]
    for callback, span in _finetuning_callbacks(run.constructed):
        row = span.start.line
        if not modules:
            run.note(
                row,
                "finetuning phases not simulated: no LightningModule was built before the script"
                " ended (verify stops at `trainer.fit(...)`: does the script reach it?)",
            )
            continue
        try:
            # A copy per callback: each simulation freezes and unfreezes the module it gets.
            report = simulate_phases(
                copy.deepcopy(modules[-1]), callback, max_epochs=_max_epochs(values, callback)
            )
        except PhaseSimulationError as error:
            run.note(row, f"finetuning phases not simulated: {error}")
            continue
        for finding in report.findings:
            run.report(finding.code, f"{finding.phase}: {finding.message}", span)
        run.show(_table(report, row))


SIMULATOR = TargetSimulator(simulate=_simulate)
