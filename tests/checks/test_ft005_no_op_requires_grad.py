"""FT005 beyond its own examples: notebook cells, traps that must stay silent, which findings get
a fix, and the CLI on its fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import FIXTURES, check_json, code_text, lint_notebook, lint_text, rows, where

from ftlint.fixer import apply_fixes
from ftlint.rules.ft005_no_op_requires_grad import NoOpRequiresGrad

FIXTURE = "ft005_no_op_requires_grad.py"


def notebook(tmp_path: Path, *cells: str) -> list:
    return lint_notebook(tmp_path, [NoOpRequiresGrad], *cells)


def test_ft005_last_line_of_a_notebook_cell_is_displayed_not_a_no_op(tmp_path):
    diagnostics = notebook(
        tmp_path,
        """
        for p in model.features.parameters():
            p.requires_grad == False
        model.features[0].weight.requires_grad == False
        # shown by Jupyter
        """,
        """
        model.classifier.weight.requires_grad_
        x = 1
        """,
    )
    assert [(d.cell, d.location.row) for d in diagnostics] == [(1, 2), (2, 1)]


@pytest.mark.parametrize(
    "code",
    [
        """
        while p.requires_grad == True:
            p = next(params)
        """,
        """
        def is_frozen(p):
            return p.requires_grad == False
        """,
        """
        frozen = sum(p.requires_grad is False for p in model.parameters())
        p.requires_grad
        """,
    ],
)
def test_ft005_traps(code):
    assert rows(code, NoOpRequiresGrad) == []


def test_ft005_fixes_only_equality():
    code = """
    p.requires_grad == freeze_backbone
    q.requires_grad is not True
    """
    diagnostics = lint_text(code, [NoOpRequiresGrad])
    assert [(d.location.row, d.fix is not None) for d in diagnostics] == [(1, True), (2, False)]
    assert "nothing is frozen" in diagnostics[1].message
    text, _ = apply_fixes(code_text(code), diagnostics, unsafe=True)
    assert text.splitlines()[0] == "p.requires_grad = freeze_backbone"


def test_cli_reports_its_fixture_at_its_lines_and_nothing_else():
    status, findings = check_json(str(FIXTURES / FIXTURE))
    assert (status, where(findings)) == (1, [(FIXTURE, None, "FT005", row) for row in (11, 14)])
