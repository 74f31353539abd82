"""What verify's parent and child processes tell each other: what to run (:class:`Spec`), and
what the runs showed (:class:`ChildResult`), as JSON.

JSON, not pickle: the parent must never execute anything the child (the user's code) could have
shaped. Decoding checks types as it rebuilds the dataclasses, so a malformed message is an error,
never a crash further on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ftlint.diagnostics import Diagnostic, Location
from ftlint.runtime.report import (
    BatchNormState,
    BlockRow,
    FreezeReport,
    OptimizerCoverage,
    ParameterState,
)
from ftlint.verify.simulators import SimulationTable


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
class ChildResult:
    """What the runs of one file showed: its models, the runtime findings, where it stopped."""

    models: list[ModelSummary] = field(default_factory=list)
    simulations: list[SimulationSummary] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)  # runtime findings only
    notes: list[str] = field(default_factory=list)
    stopped: str | None = None  # where the as-written run stopped, and at what
    error: str | None = None  # why the file could not be verified
    missing_config: str | None = None  # a Hugging Face id whose config.json is not here
    exited: bool = False  # the script exited with a failure status: its output says why


@dataclass(frozen=True)
class Spec:
    path: str
    display_path: str
    module: str | None
    args: tuple[str, ...]
    pins: Mapping[str, object]
    selected: frozenset[str]
    workdir: str  # the private directory writes go to

    @classmethod
    def read(cls, path: Path) -> Spec:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            data["path"],
            data["display_path"],
            data["module"],
            tuple(data["args"]),
            data["pins"],
            frozenset(data["selected"]),
            data["workdir"],
        )

    def write(self, path: Path) -> None:
        data = {
            "path": self.path,
            "display_path": self.display_path,
            "module": self.module,
            "args": list(self.args),
            "pins": dict(self.pins),
            "selected": sorted(self.selected),
            "workdir": self.workdir,
        }
        path.write_text(json.dumps(data), encoding="utf-8")


# Said after a failure that came once models existed.
AS_THEY_STOOD = "; the models built before it are shown as they stood"

_Built = TypeVar("_Built")


class WireError(ValueError):
    """The child's message is not a verification."""


def encode(result: ChildResult) -> bytes:
    def diagnostic(d: Diagnostic) -> dict[str, Any]:
        return {**asdict(d), "fix": None}  # runtime findings carry no fix

    return json.dumps(
        {
            "models": [asdict(model) for model in result.models],
            "simulations": [asdict(simulation) for simulation in result.simulations],
            "diagnostics": [diagnostic(d) for d in result.diagnostics],
            "notes": result.notes,
            "stopped": result.stopped,
            "error": result.error,
            "missing_config": result.missing_config,
            "exited": result.exited,
        },
        default=repr,
    ).encode()


def _tuples(value: Any) -> Any:
    return tuple(map(_tuples, value)) if isinstance(value, list) else value


def _build(cls: type[_Built], data: Any, **nested: Any) -> _Built:
    if not isinstance(data, dict):
        raise WireError(f"expected an object for {cls.__name__}")
    values = {key: _tuples(value) for key, value in data.items()}
    values.update(nested)
    try:
        return cls(**values)
    except TypeError as error:
        raise WireError(f"{cls.__name__}: {error}") from None


def _freeze_report(data: dict[str, Any]) -> FreezeReport:
    fields = {name: data[name] for name in FreezeReport.__dataclass_fields__ if name in data}
    optimizer = fields.get("optimizer")
    return _build(
        FreezeReport,
        fields,
        parameters=tuple(_build(ParameterState, p) for p in fields.get("parameters", ())),
        blocks=tuple(_build(BlockRow, b) for b in fields.get("blocks", ())),
        batchnorms=tuple(_build(BatchNormState, b) for b in fields.get("batchnorms", ())),
        optimizer=None if optimizer is None else _build(OptimizerCoverage, optimizer),
    )


def _model(data: dict[str, Any]) -> ModelSummary:
    return _build(
        ModelSummary,
        data,
        scenarios=tuple(
            _build(ScenarioCounts, s, bindings=dict(s.get("bindings", {})))
            for s in data.get("scenarios", ())
        ),
        freeze_map=_freeze_report(data.get("freeze_map", {})),
    )


def _diagnostic(data: dict[str, Any]) -> Diagnostic:
    return _build(
        Diagnostic,
        data,
        location=_build(Location, data.get("location")),
        end_location=_build(Location, data.get("end_location")),
        fix=None,
    )


def decode(payload: bytes) -> ChildResult:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as error:
        raise WireError(f"not JSON: {error}") from None
    if not isinstance(data, dict):
        raise WireError("expected an object")
    return ChildResult(
        models=[_model(m) for m in data.get("models", [])],
        simulations=[
            _build(SimulationSummary, s, table=_build(SimulationTable, s.get("table")))
            for s in data.get("simulations", [])
        ],
        diagnostics=[_diagnostic(d) for d in data.get("diagnostics", [])],
        notes=[str(note) for note in data.get("notes", [])],
        stopped=data.get("stopped"),
        error=data.get("error"),
        missing_config=data.get("missing_config"),
        exited=bool(data.get("exited")),
    )
