"""Scenarios: the values of the flags that freeze conditions read, and the runs of a program in
each of them (and, for FT102, with each ambiguous condition read left to right)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ftlint.runtime.report import FreezeReport, report
from ftlint.sources import SourceFile
from ftlint.text import bindings_label
from ftlint.verify.execution import Execution
from ftlint.verify.instrument import Program
from ftlint.verify.targets import Target, find_targets

# Runs the program once: (flag overrides, the chain read left to right or None).
Runner = Callable[[Mapping[str, object], int | None], Execution]

# All combinations up to this many scenarios; beyond, the as-written one and each flag flipped.
MAX_SCENARIOS = 8

TargetKey = tuple[int, ...]


@dataclass(frozen=True)
class Scenario:
    bindings: Mapping[str, object]  # flags and pins, by name
    as_written: bool

    def label(self) -> str:
        return bindings_label(self.bindings)


def plan_scenarios(flags: Mapping[str, bool], pins: Mapping[str, object]) -> list[Scenario]:
    """The as-written scenario first, then the others: each free boolean flag True and False."""
    written = {**flags, **pins}
    free = [name for name in flags if name not in pins]
    if 2 ** len(free) <= MAX_SCENARIOS:
        choices = itertools.product(*((flags[name], not flags[name]) for name in free))
        values = [dict(zip(free, choice)) for choice in choices]
    else:
        values = [{}, *({name: not flags[name]} for name in free)]
    return [Scenario({**written, **value}, index == 0) for index, value in enumerate(values)]


@dataclass
class Run:
    """One run of the program, and the models it built, by target key."""

    scenario: Scenario
    execution: Execution
    targets: dict[TargetKey, Target] = field(default_factory=dict)
    reports: dict[TargetKey, FreezeReport] = field(default_factory=dict)


@dataclass
class Verification:
    runs: list[Run]  # one per scenario, the as-written one first
    readings: dict[int, list[Run]]  # chain -> one run per scenario, that chain read left to right

    @property
    def as_written(self) -> Run:
        return self.runs[0]


def _run(
    program: Program, source: SourceFile, runner: Runner, scenario: Scenario, reading: int | None
) -> Run:
    execution = runner(scenario.bindings, reading)
    run = Run(scenario, execution)
    optimizers = [optimizer for optimizer, _, _ in execution.optimizers()]
    for target in find_targets(program, execution, source):
        run.targets[target.key] = target
        # Its optimizer, the first that holds one of its parameters: the freeze map shows coverage.
        optimizer = next(
            (
                optimizer
                for optimizer in optimizers
                if any(target.owns(p) for group in optimizer.param_groups for p in group["params"])
            ),
            None,
        )
        run.reports[target.key] = report(target.module, optimizer)
    return run


def verify_program(
    program: Program,
    source: SourceFile,
    runner: Runner,
    pins: Mapping[str, object],
    *,
    readings: bool,
) -> Verification:
    """Run ``program`` as written, then in every other scenario of the flags it read, and with
    ``readings``, once more per scenario for each ambiguous condition it evaluated. Only the
    as-written run may fail: the others are run only when it did not."""
    first = _run(program, source, runner, Scenario(dict(pins), True), None)
    if first.execution.failure is not None:
        return Verification([first], {})
    scenarios = plan_scenarios(first.execution.probes.free_flags, pins)
    first.scenario = scenarios[0]
    runs = [first, *(_run(program, source, runner, s, None) for s in scenarios[1:])]
    evaluated = set().union(*(run.execution.probes.chains_run for run in runs))
    chains = sorted(evaluated) if readings else []
    return Verification(
        runs,
        {chain: [_run(program, source, runner, s, chain) for s in scenarios] for chain in chains},
    )
