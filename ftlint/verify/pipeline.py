"""Verify files: the static findings here, the runs in a contained child process.

The parent never imports torch nor runs the user's code: it reads the file, lints it, starts
``python -m ftlint.verify.child`` under :func:`ftlint.verify.containment.run_contained`, and
reads back what the runs showed (:mod:`ftlint.verify.wire`). Whatever ends the child — a crash,
``os._exit``, a hang, memory exhausted — is a file that could not be verified, never a traceback.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ftlint.catalog import CONFIG_RULES, RULES, RUNTIME_CHECKS, SIMULATED_CHECKS
from ftlint.config import Settings
from ftlint.diagnostics import Diagnostic, Location
from ftlint.discovery import discover
from ftlint.engine import analyze, triaged
from ftlint.input_checks import UnreadableFile
from ftlint.runner import display_path, is_config, selected_for
from ftlint.sources import SourceError, SourceFile, read_source
from ftlint.verify.containment import Limits, Outcome, private_workdir, run_contained
from ftlint.verify.hub import HubError, fetch_config
from ftlint.verify.wire import (
    AS_THEY_STOOD,
    ChildResult,
    ModelSummary,
    SimulationSummary,
    Spec,
    WireError,
    decode,
)

__all__ = ["FileVerification", "ModelSummary", "SimulationSummary", "verify_file", "verify_paths"]

_RUNTIME_CODES = frozenset(check.code for check in (*RUNTIME_CHECKS, *SIMULATED_CHECKS))


@dataclass
class FileVerification:
    display_path: str
    source: SourceFile | None = None
    models: list[ModelSummary] = field(default_factory=list)
    simulations: list[SimulationSummary] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped: str | None = None  # where the run stopped, and at what training step
    error: str | None = None  # why the file could not be verified


def _unreadable(shown: str, error: SourceError) -> FileVerification:
    diagnostic = Diagnostic(UnreadableFile.code, str(error), shown, Location(1, 1), Location(1, 1))
    return FileVerification(shown, diagnostics=[diagnostic], error=str(error))


def verify_file(
    path: Path,
    settings: Settings,
    enabled: set[str],
    pins: Mapping[str, object],
    limits: Limits | None = None,
    *,
    module: str | None = None,
    args: Sequence[str] = (),
    fetch_configs: bool = False,
) -> FileVerification:
    """The static findings of ``path``, then what its contained runs show: the file run as a
    script, or as ``module`` (``-m``), with ``args`` as its command line. With
    ``fetch_configs``, a Hugging Face configuration the run misses is fetched (config.json only)
    and the run starts again."""
    limits = limits or Limits()
    shown = display_path(path)
    try:
        source = read_source(path, shown)
    except SourceError as error:
        return _unreadable(shown, error)
    selected = selected_for(path, settings, enabled)
    if is_config(path):
        return _configuration(source, selected, limits, fetch_configs)
    spec = Spec(
        str(path.resolve()), shown, module, tuple(args), dict(pins), frozenset(selected), ""
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The child imports torch while this process lints the file.
        running = pool.submit(_runs, spec, limits, fetch_configs)
        static = [rule for rule in RULES if rule.code in selected]
        analysis = analyze(source, triaged(source, static))
        outcome, child, fetched = running.result()
    result = FileVerification(shown, source)
    if isinstance(analysis, Diagnostic):
        result.diagnostics = [analysis]
        result.error = "the file does not parse"
        return result
    result.diagnostics = [d for d in analysis.diagnostics(selected) if d.code not in _RUNTIME_CODES]
    _add_runs(result, outcome, child, fetched)
    return result


def _add_runs(
    result: FileVerification, outcome: Outcome, child: ChildResult, fetched: list[str]
) -> None:
    """What the contained runs showed (:func:`_runs`), added to ``result``."""
    result.models, result.simulations = child.models, child.simulations
    result.diagnostics = sorted([*result.diagnostics, *child.diagnostics], key=lambda d: d.sort_key)
    result.notes = [
        *(f"fetched the configuration of {name!r} (--fetch-configs)" for name in fetched),
        *child.notes,
        *(f"not enforced here: {missing}" for missing in outcome.missing),
    ]
    result.stopped, result.error = child.stopped, child.error


def _runs(
    spec: Spec, limits: Limits, fetch_configs: bool
) -> tuple[Outcome, ChildResult, list[str]]:
    """The child's run of ``spec``; with ``fetch_configs``, again after each configuration it
    missed is fetched. Also the names fetched."""
    fetched: list[str] = []
    while True:
        outcome, child = _run_child(spec, limits)
        name = child.missing_config
        if not fetch_configs or name is None or name in fetched:
            return outcome, child, fetched
        try:
            fetch_config(name)
        except HubError as error:
            child.error = f"{child.error}; --fetch-configs could not fetch it: {error}"
            return outcome, child, fetched
        fetched.append(name)


def _configuration(
    source: SourceFile, selected: set[str], limits: Limits, fetch_configs: bool
) -> FileVerification:
    """A YAML/JSON configuration named explicitly: its static findings, then, for a training
    configuration whose model verify can build (:mod:`ftlint.configfiles.training`), what
    trains under its framework's semantics, from a contained child. Nothing of the file is run
    as Python (a YAML line such as `key: value` is valid Python)."""
    from ftlint.configfiles.document import ConfigSyntaxError, parse
    from ftlint.configfiles.engine import lint_config
    from ftlint.configfiles.training import training_plan, unbuildable

    rules = [rule for rule in CONFIG_RULES if rule.code in selected]
    result = FileVerification(source.display_path, source, diagnostics=lint_config(source, rules))
    try:
        document = parse(source.text, is_json=source.path.suffix.lower() == ".json")
    except ConfigSyntaxError as error:
        result.error = f"cannot parse: {error.message}"
        return result
    plan = unbuildable(document) or training_plan(document)
    if isinstance(plan, str):
        result.error = plan
        return result
    spec = Spec(
        str(source.path.resolve()), source.display_path, None, (), {}, frozenset(selected), ""
    )
    _add_runs(result, *_runs(spec, limits, fetch_configs))
    return result


def _run_child(spec: Spec, limits: Limits) -> tuple[Outcome, ChildResult]:
    """One contained child run of ``spec``, and what it sent back (or why it sent nothing)."""
    with private_workdir() as workdir:
        spec = dataclasses.replace(spec, workdir=str(workdir))
        spec.write(workdir / "spec.json")
        outcome = run_contained(
            [sys.executable, "-m", "ftlint.verify.child", str(workdir / "spec.json")],
            cwd=Path.cwd(),
            limits=limits,
            env=os.environ,
            workdir=workdir,
        )
    if outcome.result is None:
        return outcome, ChildResult(error=_why_no_result(outcome, limits))
    try:
        child = decode(outcome.result)
    except WireError as error:
        return outcome, ChildResult(error=f"the run sent back no verification ({error})")
    if child.exited and child.error is not None:  # what it printed says why
        failure, stood, _ = child.error.partition(AS_THEY_STOOD)
        child.error = failure + _last_output(outcome) + stood
    return outcome, child


def _why_no_result(outcome: Outcome, limits: Limits) -> str:
    if outcome.timed_out:
        why = (
            f"the run did not reach training within {limits.timeout:g} s and was stopped"
            " (raise the limit with --timeout)"
        )
    elif outcome.signal is not None:
        name = signal.Signals(outcome.signal).name
        why = f"the run was killed by {name}"
        if outcome.signal == signal.SIGKILL:
            why += f" (out of memory? the limit is {limits.memory // 2**20:,} MiB: --memory)"
    else:
        why = f"the script ended the process with status {outcome.returncode} before verify could report"
    return why + _last_output(outcome)


def _last_output(outcome: Outcome) -> str:
    """The last lines the run printed, where they say why it ended: `: line | line`."""
    last = [line.strip() for line in outcome.output.splitlines() if line.strip()][-3:]
    return ": " + " | ".join(last) if last else ""


def verify_paths(
    paths: Sequence[Path],
    settings: Settings,
    enabled: set[str],
    pins: Mapping[str, object],
    limits: Limits | None = None,
    args: Sequence[str] = (),
    fetch_configs: bool = False,
) -> list[FileVerification]:
    """Each Python file and notebook under ``paths`` verified (configurations only when named)."""
    return [
        verify_file(path, settings, enabled, pins, limits, args=args, fetch_configs=fetch_configs)
        for path in discover(paths, settings, configs=False)
    ]


def has_errors(results: Sequence[FileVerification]) -> bool:
    return any(
        r.error is not None or any(d.code == UnreadableFile.code for d in r.diagnostics)
        for r in results
    )
