"""Helpers shared by the tests: lint text in-process, run the real CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from ftlint.diagnostics import Diagnostic
from ftlint.engine import lint_source
from ftlint.rules import ALL_RULES
from ftlint.sources import SourceFile

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


def lint_text(code: str, rules=ALL_RULES, path: str = "example.py") -> list[Diagnostic]:
    """Findings of ``rules`` on ``code`` (dedented), as the engine reports them."""
    text = textwrap.dedent(code).lstrip("\n")
    return lint_source(SourceFile(Path(path), path, text, text.encode()), rules)


def run_ftlint(*args: str, cwd: Path | None = None, env: dict | None = None,
               input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess."""
    inherited = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    full_env = {**inherited, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "ftlint", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, input=input, timeout=300,
    )  # fmt: skip
