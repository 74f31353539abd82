"""FT900, a file that does not parse: one finding at the line Python stops at (in its cell for a
notebook), the run goes on; and code nested deeper than Python accepts is refused, not parsed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support import AMBIGUOUS_FREEZE, by_file, check_json, lint_with_a_finding_after

from ftlint.input_checks import UnparsableFile


def test_syntax_error_is_one_diagnostic_and_the_run_continues(tmp_path):
    # Only files that can hold a finding are parsed (triage), so the broken file has freeze code.
    (tmp_path / "broken.py").write_text(
        "import torch\nfor p in model.parameters(:\n    p.requires_grad = a or b and c\n"
    )
    (tmp_path / "good.py").write_text(AMBIGUOUS_FREEZE)
    code, findings = check_json(tmp_path)
    assert code == 1
    files = by_file(findings)
    assert files["broken.py"]["code"] == "FT900"
    assert files["broken.py"]["location"]["row"] == 2
    assert "cannot parse" in files["broken.py"]["message"]
    assert files["good.py"]["code"] == "FT001"


def test_syntax_error_in_notebook_names_the_cell(tmp_path):
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": "import torch\n"},
            {"cell_type": "code", "metadata": {}, "outputs": [],
             "source": ["x = 1\n", "for p in m.parameters(:\n", "    p.requires_grad = False\n"]},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook))
    code, findings = check_json(tmp_path)
    (finding,) = findings
    assert finding["code"] == "FT900"
    assert finding["cell"] == 2 and finding["location"]["row"] == 2


@pytest.mark.parametrize("nested", ["(" * 3000 + "1" + ")" * 3000, "+".join(["1"] * 10000)])
def test_code_nested_past_what_python_accepts_is_refused_not_parsed(nested):
    # libcst's native parser overflows its stack on it: the process would die.
    [diagnostic] = lint_with_a_finding_after(f"x = {nested}")
    assert diagnostic.code == UnparsableFile.code and "nested deeper" in diagnostic.message


def test_a_raised_recursion_limit_does_not_let_deep_code_reach_libcst():
    # A program that raised the limit makes CPython accept nesting that kills libcst's parser:
    # the verdict is CPython's at its default room, whatever the caller set.
    program = (
        "import sys; from pathlib import Path; sys.setrecursionlimit(100_000)\n"
        "from ftlint.catalog import RULES; from ftlint.engine import lint_source\n"
        "from ftlint.sources import SourceFile\n"
        "text = 'x = ' + '+'.join(['1'] * 10_000) + '\\nm.backbone.requires_grad = False\\n'\n"
        "print([d.code for d in lint_source(SourceFile(Path('d.py'), 'd.py', text,"
        " text.encode()), RULES)])\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (0, "['FT900']\n"), result.stderr[-2000:]
