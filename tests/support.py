"""Helpers shared by the tests: lint text in-process, run the real CLI in a subprocess, read what
`ftlint verify` found. Importable as `support` from any test directory; the fixtures shared across
directories are in tests/conftest.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from ftlint import runner
from ftlint.analysis.file import FileAnalysis
from ftlint.catalog import RULES
from ftlint.config import Settings
from ftlint.diagnostics import Diagnostic
from ftlint.engine import analyze, lint_source
from ftlint.rules.ft001_ambiguous_freeze_condition import AmbiguousFreezeCondition
from ftlint.sources import SourceFile, read_source
from ftlint.verify.instrument import Program, build_program

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
ALL_CODES = {rule.code for rule in RULES}
TEST_PROCESS = os.getpid()  # the pytest process: anything else is a worker

# FT007-FT011 each run on all of these: reported at their own fixture's lines (FT009 on the seed
# as well), silent on the others and on clean code.
CROSS_CHECKED_FIXTURES = [
    *(FIXTURES / name for name in (
        "ft007_name_substring_collision.py", "ft008_frozen_batchnorm_in_train_mode.py",
        "ft009_torchvision_weights_argument.py", "ft010_unfreeze_after_optimizer.py",
        "seed_backbone_freezing.py", "seed_backbone_freezing.ipynb",
    )),
    FIXTURES / "clean",
]  # fmt: skip

# A freeze loop FT001 reports at row 2, column 8, and nothing else does.
AMBIGUOUS_FREEZE = (
    "for name, p in model.named_parameters():\n"
    "    if not tune or 'fc' not in name and 'bn' not in name:\n"
    "        p.requires_grad = False\n"
)

# Metadata Jupyter leaves out, or other tools write as null, a list or a string.
ODD_METADATA = [
    None, [], "python", {"language_info": None}, {"language_info": []},
    {"language_info": "python"},
]  # fmt: skip


def seed_notebook_with_metadata(directory: Path, metadata: object) -> Path:
    """The seed notebook, with ``metadata`` instead of its own, in ``directory``."""
    notebook = json.loads((FIXTURES / "seed_backbone_freezing.ipynb").read_text())
    path = directory / "seed_backbone_freezing.ipynb"
    path.write_text(json.dumps({**notebook, "metadata": metadata}))
    return path


# --- in-process linting ----------------------------------------------------------------------


def code_text(code: str) -> str:
    """``code`` dedented, as ``lint_text`` lints it (for applying fixes to)."""
    return textwrap.dedent(code).lstrip("\n")


def python_source(text: str, path: str = "example.py") -> SourceFile:
    """``text`` as the source of the Python file ``path``."""
    return SourceFile(Path(path), path, text, text.encode())


def lint_text(code: str, rules=RULES, path: str = "example.py") -> list[Diagnostic]:
    """Findings of ``rules`` on ``code`` (dedented), as the engine reports them."""
    return lint_source(python_source(code_text(code), path), rules)


def lint_notebook(tmp_path: Path, rules, *cells: str) -> list[Diagnostic]:
    """Findings of ``rules`` on a notebook of code ``cells`` (each dedented)."""
    path = tmp_path / "finetune.ipynb"
    path.write_text(
        json.dumps(
            {
                "cells": [
                    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": code_text(cell).splitlines(keepends=True)}
                    for cell in cells
                ],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
            }
        )
    )  # fmt: skip
    return lint_source(read_source(path, str(path)), rules)


def rows(code: str, rule) -> list[int]:
    """The rows ``rule`` reports on ``code``."""
    return [d.location.row for d in lint_text(code, [rule])]


def lint_with_a_finding_after(first_line: str) -> list[Diagnostic]:
    """Every rule on ``first_line`` followed by a freeze loop FT001 reports."""
    text = f"{first_line}\nfor p in model.parameters():\n    p.requires_grad = a or b and c\n"
    return lint_source(python_source(text, "deep.py"), RULES)


def line_of(text: str, needle: str) -> int:
    """The number of the first line of ``text`` that contains ``needle``."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def check_fixtures(jobs: int, rules=None, enabled=ALL_CODES):
    """``check_paths`` on the whole fixtures directory, in-process."""
    settings = Settings(root=FIXTURES.parent)
    return runner.check_paths([FIXTURES], settings, set(enabled), jobs=jobs, rules=rules)


# --- the real CLI ----------------------------------------------------------------------------


def run_ftlint(*args: str, cwd: Path | None = None, env: dict | None = None,
               input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess."""
    inherited = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    full_env = {**inherited, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "ftlint", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, input=input, timeout=timeout,
    )  # fmt: skip


def check_json(*args: str | Path, timeout: float = 300) -> tuple[int, list[dict]]:
    """Exit status and findings of ``ftlint check --output-format json *args``: no traceback."""
    result = run_ftlint("check", "--output-format", "json", *map(str, args), timeout=timeout)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def by_file(findings: list[dict]) -> dict[str, dict]:
    """The findings of ``check_json`` by file name (the last one of each file)."""
    return {os.path.basename(f["filename"]): f for f in findings}


def where(findings: list[dict]) -> list[tuple[str, int | None, str, int]]:
    """(file name, cell, code, row) of each finding of ``check_json``, in output order."""
    return [
        (Path(f["filename"]).name, f["cell"], f["code"], f["location"]["row"]) for f in findings
    ]


# --- what `ftlint verify` found (a FileVerification) -----------------------------------------


def runtime_codes(result) -> list[str]:
    return sorted(d.code for d in result.diagnostics if d.code.startswith("FT1"))


def message(result, code: str) -> str:
    """The message of the one ``code`` finding of ``result``."""
    (found,) = [d.message for d in result.diagnostics if d.code == code]
    return found


def fixture_finding(verify_path, fixture: str, code: str) -> str:
    """The message of the one ``code`` finding on ``fixtures/verify/<fixture>``."""
    return message(verify_path(FIXTURES / "verify" / fixture), code)


def fixture_codes(verify_path, fixture: str) -> tuple[str | None, list[str]]:
    """The error and the runtime codes of verify on ``fixtures/verify/<fixture>``."""
    result = verify_path(FIXTURES / "verify" / fixture)
    return result.error, runtime_codes(result)


def counts(model) -> list[tuple[dict, bool, int, int]]:
    """(bindings, as written, trainable, frozen) of each scenario verify ran on ``model``."""
    return [(dict(s.bindings), s.as_written, s.trainable, s.frozen) for s in model.scenarios]


def program_of_source(source: SourceFile, pinned: frozenset[str] = frozenset()) -> Program:
    """The verify program of ``source``, built from its analysis as ``ftlint verify`` does."""
    analysis = analyze(source, [AmbiguousFreezeCondition])
    assert isinstance(analysis, FileAnalysis), analysis
    return build_program(analysis, pinned)


# --- configuration files ----------------------------------------------------------------------


def check_config(
    directory: Path, filename: str, text: str, select: set[str] | None = None
) -> list[Diagnostic]:
    """What ``ftlint check`` finds (the FT2xx rules, or ``select``) in the configuration
    ``text`` (dedented), written to ``directory/filename``."""
    from ftlint.catalog import CONFIG_RULES

    path = directory / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(code_text(text))
    codes = select if select is not None else {rule.code for rule in CONFIG_RULES}
    return runner.check_paths([path], Settings(root=directory), codes, jobs=1).diagnostics


def found_at(diagnostics: list[Diagnostic]) -> list[tuple[str, int, int, str]]:
    """(code, row, column, message) of each finding."""
    return [(d.code, d.location.row, d.location.column, d.message) for d in diagnostics]


def lint_config_tree(directory: Path, files: dict[str, str], checked: str, rules) -> list[Diagnostic]:
    """Write ``files`` (relative path -> code, dedented) under ``directory`` and lint ``checked``
    among them with ``rules``, as `ftlint check` reads it from disk (its `_base_` files too)."""
    for relative, code in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code_text(code))
    return lint_source(read_source(directory / checked, checked), rules)


# --- `ftlint verify` end to end, in a workspace it must leave as it was -----------------------

# What ftlint may make during a run (its catalog cache), relative to the test's directory.
OWN_CACHE = ("cache", "cache/ftlint")


class Workspace:
    """A project directory to verify scripts in, and the places a run must leave alone: each run
    has ``HOME``, ``XDG_CACHE_HOME``, ``TMPDIR`` and ``HF_HUB_CACHE`` pointed into the test's
    directory, and afterwards nothing there changed but ftlint's own cache (so the private work
    directory is gone, the canary directory ``outside`` is empty, the hub cache and the project
    are as they were)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.project = root / "project"  # the scripts, and the current directory of each run
        self.outside = root / "outside"  # scripts aim their writes here: it must stay empty
        self.hub = root / "hub"  # the Hugging Face cache (HF_HUB_CACHE)
        for directory in (self.project, self.outside, self.hub, root / "home", root / "tmp"):
            directory.mkdir()

    def write(self, name: str, code: str) -> Path:
        """``code`` (dedented, ``OUTSIDE`` replaced by the canary directory) in the project."""
        path = self.project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = textwrap.dedent(code).lstrip("\n").replace("OUTSIDE", repr(str(self.outside)))
        path.write_text(text)
        return path

    def state(self) -> dict[str, tuple[int, int] | None]:
        """Every path under the test's directory but ftlint's cache: a file's size and mtime,
        None for a directory (whose mtime changes as the private directory comes and goes)."""
        found: dict[str, tuple[int, int] | None] = {}
        for path in self.root.rglob("*"):
            relative = path.relative_to(self.root).as_posix()
            if relative not in OWN_CACHE and not relative.startswith(f"{OWN_CACHE[1]}/"):
                status = path.lstat()
                found[relative] = None if path.is_dir() else (status.st_size, status.st_mtime_ns)
        return found

    def verify(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``ftlint verify *args`` from the project directory; nothing else may change."""
        before = self.state()
        result = run_ftlint(
            "verify",
            *args,
            cwd=self.project,
            env={
                "HOME": str(self.root / "home"),
                "XDG_CACHE_HOME": str(self.root / "cache"),
                "TMPDIR": str(self.root / "tmp"),
                "HF_HUB_CACHE": str(self.hub),
            },
        )
        assert "Traceback" not in result.stderr, result.stderr
        assert self.state() == before
        return result

    def verify_json(self, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
        """Exit status and each file's entry, without the freeze maps (compared apart)."""
        result = self.verify("--output-format", "json", *args)
        entries = {}
        for entry in json.loads(result.stdout)["files"]:
            entry["targets"] = [without_freeze_map(target) for target in entry["targets"]]
            entries[entry.pop("file")] = entry
        return result.returncode, entries


def hub_config(hub: Path, repo: str, config: dict[str, object]) -> None:
    """``config`` as the Hugging Face cache keeps a downloaded config.json of ``repo``."""
    model = hub / f"models--{repo.replace('/', '--')}"
    (model / "refs").mkdir(parents=True)
    (model / "refs" / "main").write_text("0123abcd")
    (model / "snapshots" / "0123abcd").mkdir(parents=True)
    (model / "snapshots" / "0123abcd" / "config.json").write_text(json.dumps(config))


def without_freeze_map(target: dict[str, Any]) -> dict[str, Any]:
    maps = target.pop("freeze_map")
    target["parameters"] = [(p["name"], p["shape"], p["trainable"]) for p in maps["parameters"]]
    return target


def entry(targets=(), notes=(), stopped=None, error=None) -> dict[str, Any]:
    """A file's JSON entry with no findings and no simulation."""
    return {
        "targets": list(targets),
        "simulations": [],
        "findings": [],
        "notes": list(notes),
        "stopped": stopped,
        "error": error,
    }


def target(name, builder, line, scenarios, parameters, cell=None, bindings=None) -> dict[str, Any]:
    """A model's JSON entry: ``scenarios`` are (trainable, frozen, trainable_numel, frozen_numel),
    the first as written; ``parameters`` are (name, shape, trainable), or how many there are."""
    bindings = bindings or [{}] * len(scenarios)
    first = scenarios[0]
    return {
        "target": name,
        "builder": builder,
        "cell": cell,
        "line": line,
        "total": first[0] + first[1],
        "total_numel": first[2] + first[3],
        "scenarios": [
            {
                "bindings": binding,
                "as_written": number == 0,
                "trainable": trainable,
                "frozen": frozen,
                "trainable_numel": trainable_numel,
                "frozen_numel": frozen_numel,
            }
            for number, (binding, (trainable, frozen, trainable_numel, frozen_numel)) in enumerate(
                zip(bindings, scenarios)
            )
        ],
        "parameters": parameters,
    }


def linear(name: str, fan_in: int, fan_out: int, trainable: bool) -> list[tuple[str, list, bool]]:
    """The parameters of ``nn.Linear(fan_in, fan_out)`` named ``name`` in its model ("": the
    model itself)."""
    prefix = f"{name}." if name else ""
    return [
        (f"{prefix}weight", [fan_out, fan_in], trainable),
        (f"{prefix}bias", [fan_out], trainable),
    ]
