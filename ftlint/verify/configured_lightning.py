"""``ftlint verify CONFIG`` of a Lightning CLI YAML, in verify's child process.

The configuration is handed to Lightning's own ``LightningCLI`` as ``fit --config CONFIG``, so
its classes are imported and instantiated as the CLI would (``class_path`` importable from the
configuration's directory or the working directory), under the harness: modules are built on
meta and ``Trainer.fit`` stops the run after the finetuning callbacks' ``freeze_before_training``.
What trains then is the model's freeze map; the finetuning phases are simulated by the
Lightning simulator (:mod:`ftlint.lightning.verify_hook`), its findings shown at the callback's
lines of the configuration.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from libcst.metadata import CodeRange
from torch import nn

from ftlint.configfiles.document import Node
from ftlint.configfiles.training import TrainingPlan
from ftlint.diagnostics import Diagnostic
from ftlint.lightning.verify_hook import SIMULATOR
from ftlint.runtime.report import report
from ftlint.sources import SourceFile
from ftlint.verify.harness import Bound, Session, TrainingStarts, install
from ftlint.verify.simulators import SimulationInput, SimulationTable
from ftlint.verify.syntax import line_span
from ftlint.verify.wire import ChildResult, ModelSummary, SimulationSummary, Spec

# Blocks of the freeze map: the LightningModule's attributes (`backbone.layer1`).
_DEPTH = 2


def _callback_rows(root: Node) -> Iterator[tuple[str, int]]:
    """The class name and ``class_path`` row of each callback of ``trainer.callbacks``."""
    callbacks = root.path("trainer", "callbacks")
    for item in callbacks.items or [] if callbacks is not None else []:
        class_path = item.get("class_path")
        if class_path is not None and isinstance(class_path.value, str):
            yield class_path.value.rsplit(".", 1)[-1], class_path.start.row


def _placed(trainer: Any, root: Node, source: SourceFile) -> list[tuple[Any, CodeRange]]:
    """The Trainer's callbacks configured in ``trainer.callbacks``, each at its line (matched in
    order by class name: Lightning adds its own callbacks around them)."""
    rows = list(_callback_rows(root))
    placed = []
    for callback in getattr(trainer, "callbacks", ()):
        if rows and type(callback).__name__ == rows[0][0]:
            placed.append((callback, line_span(source, rows.pop(0)[1])))
    return placed


def _run_cli(path: str, session: Session) -> str | None:
    """LightningCLI's ``fit`` on the configuration at ``path``, stopped at ``Trainer.fit``; why
    it failed, or None."""
    on_meta = install()
    try:
        with Bound(session), on_meta:
            from lightning.pytorch.cli import LightningCLI

            LightningCLI(
                args=["fit", "--config", path],
                save_config_callback=None,
                parser_kwargs={"exit_on_error": False},
            )
    except TrainingStarts:
        return None
    except Exception as error:  # noqa: BLE001 - the CLI's refusal is the file's error
        return traceback.format_exception_only(type(error), error)[-1].strip()
    return "LightningCLI returned without calling Trainer.fit"


def verify_lightning_cli(spec: Spec, source: SourceFile, plan: TrainingPlan) -> ChildResult:
    """The LightningModule of the configuration at ``spec.path`` as ``fit`` gets it, with the
    phases of its finetuning callbacks."""
    # LightningCLI imports `class_path` from sys.path: the configuration's project, as run there.
    sys.path[:0] = dict.fromkeys([str(Path(spec.path).parent), os.getcwd()])
    session = Session(spec.path)
    where = f"line {plan.line}"
    failure = _run_cli(spec.path, session)
    if failure is not None:
        return ChildResult(error=f"{where}: LightningCLI could not build the run: {failure}")
    trainer, model, handed = (value for value, _ in session.handed)
    assert isinstance(model, nn.Module)  # the LightningModule LightningCLI handed to fit
    result = ChildResult(stopped=f"{where}: Trainer.fit()")
    freeze_map = report(model, depth=_DEPTH)
    result.models = [ModelSummary.as_configured(plan.model, "LightningCLI", plan.line, freeze_map)]
    notes = [f"{where}: {note.text}" for note in session.notes]

    def found(code: str, message: str, span: CodeRange) -> None:
        if code in spec.selected:
            cell, start = source.display(span.start.line, span.start.column)
            _, end = source.display(span.end.line, span.end.column)
            result.diagnostics.append(
                Diagnostic(code, message, source.display_path, start, end, cell=cell)
            )

    def show(table: SimulationTable) -> None:
        result.simulations.append(SimulationSummary(None, table.row, table))

    model_line = line_span(source, plan.line)
    SIMULATOR.simulate(
        SimulationInput(
            source,
            {},
            [*_placed(trainer, plan.root, source), (trainer, model_line), (handed, model_line)],
            {plan.model: model},
            found,
            lambda row, text: notes.append(f"line {row}: {text}"),
            show,
        )
    )
    result.notes = notes
    return result
