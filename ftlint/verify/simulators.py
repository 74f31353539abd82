"""Extensions that simulate more of a file than its plain run, such as training phases.

A simulator module exposes ``SIMULATOR``, a :class:`TargetSimulator`, and implements the
catalog's :class:`~ftlint.verify.runtime_check.SimulatedCheck` entries that name it.
``ftlint verify`` loads it only for files that import one of their ``triggers``; after the
as-written run the simulator gets the run's live objects (what the file's assignments produced,
what a stop point such as ``Trainer.fit`` was handed) and reports its findings, notes and tables.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from libcst.metadata import CodeRange

from ftlint.sources import SourceFile
from ftlint.text import align_columns
from ftlint.verify.runtime_check import SimulatedCheck
from ftlint.verify.syntax import line_span


@dataclass(frozen=True)
class SimulationTable:
    """What a simulator shows beside its findings: a captioned table in the text, Markdown and
    HTML outputs, ``data`` in JSON."""

    title: str  # "finetuning phases"
    row: int  # the row of the source it is about
    caption: str  # what the table is of, e.g. the module and the callback
    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    data: Mapping[str, Any]

    @property
    def text(self) -> str:
        return f"{self.caption}\n{align_columns([self.headings, *self.rows])}"


@dataclass(frozen=True)
class SimulationInput:
    """What a simulator can use: the file, and the objects its as-written run left behind."""

    source: SourceFile
    namespace: Mapping[str, Any]  # the file's globals after the run
    # Every value an `x = f(...)` or `return f(...)` of the file produced, in order, with that
    # statement; then what the stop point was handed, at its line.
    constructed: Sequence[tuple[Any, CodeRange]]
    models: Mapping[str, Any]  # the models verify found, by variable
    report: Callable[[str, str, CodeRange], None]  # (code, message, span) adds a finding
    note: Callable[[int, str], None]  # (row, text) adds a note, such as why it simulated nothing
    show: Callable[[SimulationTable], None]

    @property
    def values(self) -> list[Any]:
        return [value for value, _ in self.constructed]

    def line_span(self, row: int) -> CodeRange:
        """The span of a line of the source (a row of its text), for ``report``."""
        return line_span(self.source, row)


@dataclass(frozen=True)
class TargetSimulator:
    simulate: Callable[[SimulationInput], None]  # runs inside verify's sandbox


def load_simulators(text: str, checks: Sequence[type[SimulatedCheck]]) -> list[TargetSimulator]:
    """The simulators of ``checks`` for a file whose source is ``text``."""
    simulators = []
    for module_name in dict.fromkeys(check.simulator for check in checks):
        triggers = {t for check in checks if check.simulator == module_name for t in check.triggers}
        pattern = rf"^\s*(from|import)\s+({'|'.join(map(re.escape, sorted(triggers)))})\b"
        if not re.search(pattern, text, flags=re.MULTILINE):
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        simulator = getattr(module, "SIMULATOR", None)
        if isinstance(simulator, TargetSimulator):
            simulators.append(simulator)
    return simulators
