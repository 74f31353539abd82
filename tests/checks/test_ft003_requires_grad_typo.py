"""FT003 beyond its own examples: near misses reported, real attributes and traps left alone, and
the CLI on its fixture."""

from __future__ import annotations

import pytest
from support import FIXTURES, check_json, lint_text, rows, where

from ftlint.analysis.misspellings import is_requires_grad_typo
from ftlint.rules.ft003_requires_grad_typo import RequiresGradTypo

FIXTURE = "ft003_requires_grad_typo.py"


@pytest.mark.parametrize(
    "name",
    ["require_grad", "requires_grads", "required_grad", "requires_gradient", "grad_required",
     "requiresgrad", "Requires_grad", "requres_grad", "require_grads"],
)  # fmt: skip
def test_near_misses_of_requires_grad_are_reported(name):
    # Through the engine, so the prefilter is exercised as well.
    assert rows(f"for p in model.parameters():\n    p.{name} = False\n", RequiresGradTypo) == [2]


@pytest.mark.parametrize(
    "name",
    ["requires_grad", "requires_grad_", "_requires_grad", "requires_grad_for_x", "no_grad",
     "retain_grad", "retains_grad", "is_leaf", "grad", "grad_fn", "REQUIRES_GRAD",
     "needs_input_grad", "gradient_checkpointing", "requires_gard"],
)  # fmt: skip
def test_real_and_unrelated_attributes_are_not_typos(name):
    assert not is_requires_grad_typo(name)


@pytest.mark.parametrize(
    "code",
    [
        # The misspelt name is the file's own setting: read back, or a parameter.
        """
        class Head(nn.Module):
            def freeze(self):
                self.require_grad = False

            def forward(self, x):
                return self.proj(x) if self.require_grad else self.proj(x).detach()
        """,
        """
        parser.add_argument("--requires_grads", action="store_true")
        args.requires_grads = True
        """,
        # Passed along by keyword: `Adapter(require_grad=...)` sets the class's own flag.
        """
        adapter = Adapter(require_grad=False)
        adapter.require_grad = True
        """,
        """
        ctx.needs_input_grad = (True, False)
        model.gradient_checkpointing = True
        LintCode.REQUIRES_GRAD = 2
        """,
    ],
)
def test_ft003_traps(code):
    assert rows(code, RequiresGradTypo) == []


def test_ft003_reports_each_misspelt_assignment_and_chained_targets():
    code = """
    for p in model.encoder.parameters():  # a comment naming requires_gradient exempts nothing
        p.requires_gradient = False
    for p in model.decoder.parameters():
        p.requires_gradient = False
    a.weight.requiresgrad = b.weight.requires_grad = False
    """
    assert rows(code, RequiresGradTypo) == [2, 4, 5]


def test_a_plain_variable_of_the_misspelt_name_proves_nothing_about_the_attribute():
    # TorchFix's require_grad fixture, reduced: its three typos beside a local variable.
    code = """
    x = torch.zeros(1)
    x.require_grad = False
    x.require_grad = True
    grad = random.choice([False, True])
    x.require_grad = grad
    x.requires_grad = False
    require_grad = False
    if require_grad:
        pass
    """
    found = lint_text(code, [RequiresGradTypo])
    reason = (
        "`require_grad` is not `requires_grad`, so Python silently creates a new attribute and "
        "the parameter keeps training as before; rename it to `requires_grad`"
    )
    assert [(d.location.row, d.message) for d in found] == [
        (2, f"nothing is frozen: {reason}"),
        (3, f"nothing is unfrozen: {reason}"),
        (5, f"no parameter's `requires_grad` changes: {reason}"),
    ]


def test_cli_reports_its_fixture_at_its_lines_and_nothing_else():
    status, findings = check_json(str(FIXTURES / FIXTURE))
    assert (status, where(findings)) == (1, [(FIXTURE, None, "FT003", row) for row in (11, 15)])
