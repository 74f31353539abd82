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
