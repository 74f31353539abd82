"""FT006 beyond its own examples: traps that must stay silent, further true positives, when the
fix may drop `.data`, and the CLI on its fixture."""

from __future__ import annotations

import pytest
from support import FIXTURES, check_json, code_text, lint_text, rows, where

from ftlint.fixer import apply_fixes
from ftlint.rules.ft006_detached_copy_freeze import DetachedCopyFreeze

FIXTURE = "ft006_detached_copy_freeze.py"


@pytest.mark.parametrize(
    "code",
    [
        """
        def copy_leaf(x):
            return x.detach().clone().requires_grad_(x.requires_grad)
        """,
        # A checkpoint's tensors are not `state_dict()` of a live model: nothing to claim.
        """
        checkpoint = torch.load("model.pt")
        for key, value in checkpoint["model"].items():
            value.requires_grad = False
        """,
        """
        state = model.state_dict(keep_vars=keep)
        for tensor in state.values():
            tensor.requires_grad = False
        """,
        """
        state = model.state_dict()
        state = dict(model.named_parameters())
        for tensor in state.values():
            tensor.requires_grad = False
        """,
        """
        for p in model.parameters():
            p.detach_().requires_grad = False
        """,
        """
        w = model.fc.weight.data
        w.requires_grad = True
        """,
    ],
)
def test_ft006_traps(code):
    assert rows(code, DetachedCopyFreeze) == []


@pytest.mark.parametrize(
    ("code", "row"),
    [
        ("""
        state = model.state_dict()
        state.get("fc.weight").requires_grad_(False)
        """, 2),
        ("""
        for i, (k, v) in enumerate(model.state_dict().items()):
            v.requires_grad = i > 10
        """, 2),
        ("""
        model.state_dict()["classifier.weight"].requires_grad = False
        """, 1),
        ("""
        w = model.fc.weight.data
        w.requires_grad = False
        """, 2),
        ("""
        for layer in model.layers:
            layer.weight.clone().requires_grad_(False)
        """, 2),
        ("""
        class FrozenLinear(nn.Linear):
            def freeze(self):
                self.weight.data.requires_grad = False
        """, 3),
    ],
)  # fmt: skip
def test_ft006_true_positives(code, row):
    assert rows(code, DetachedCopyFreeze) == [row]


def test_ft006_drops_data_only_when_the_source_is_the_parameter():
    code = """
    import torch.nn as nn

    class Prompt(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens = nn.Parameter(torch.zeros(8, 768))

        def freeze(self):
            self.tokens.data.requires_grad = False
            model.state_dict()["w"].data.requires_grad = False
    """
    diagnostics = lint_text(code, [DetachedCopyFreeze])
    assert [(d.location.row, d.fix is not None) for d in diagnostics] == [(9, True), (10, False)]
    text, _ = apply_fixes(code_text(code), diagnostics, unsafe=True)
    assert "        self.tokens.requires_grad = False\n" in text


def test_cli_reports_its_fixture_at_its_lines_and_nothing_else():
    status, findings = check_json(str(FIXTURES / FIXTURE))
    assert (status, where(findings)) == (
        1, [(FIXTURE, None, "FT006", row) for row in (14, 17, 18)]
    )  # fmt: skip
