"""FT003-FT006: traps that must stay silent, true positives beyond the rules' own examples, and
the CLI on the fixture scripts."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from support import FIXTURES, lint_text, run_ftlint

from ftlint.engine import lint_source
from ftlint.fixer import apply_fixes
from ftlint.rules.ft003_requires_grad_typo import RequiresGradTypo, is_requires_grad_typo
from ftlint.rules.ft004_module_requires_grad_attribute import ModuleRequiresGradAttribute
from ftlint.rules.ft005_no_op_requires_grad import NoOpRequiresGrad
from ftlint.rules.ft006_detached_copy_freeze import DetachedCopyFreeze
from ftlint.sources import read_source


def rows(code: str, rule) -> list[int]:
    return [d.location.row for d in lint_text(code, [rule])]


def code_text(code: str) -> str:
    """``code`` as ``lint_text`` lints it, for applying fixes to."""
    return textwrap.dedent(code).lstrip("\n")


# --- FT003 ---------------------------------------------------------------------------------


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


# --- FT004 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        # A parameter named like the module-level model is not that model.
        """
        import torchvision
        model = torchvision.models.resnet18()

        def freeze(model):
            model.requires_grad = False
        """,
        """
        from transformers import AutoTokenizer
        tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")
        tokenizer.requires_grad = False
        """,
        """
        import torch
        from torch import nn
        scale = nn.Parameter(torch.ones(1))
        scale.requires_grad = False
        """,
        """
        from torchvision.models import get_weight
        weights = get_weight("ResNet50_Weights.DEFAULT")
        weights.requires_grad = False
        """,
        # A constructor argument kept as the module's own setting.
        """
        import torch.nn as nn

        class Adapter(nn.Module):
            def __init__(self, requires_grad):
                super().__init__()
                self.requires_grad = requires_grad
        """,
        # `self` of a class that is not a module.
        """
        class Config:
            def __init__(self):
                self.requires_grad = False
        """,
        # A class of this file defines `requires_grad`: its instances honour the attribute.
        """
        import torch.nn as nn

        class LoRALinear(nn.Linear):
            @property
            def requires_grad(self):
                return self.lora_A.requires_grad

            @requires_grad.setter
            def requires_grad(self, value):
                self.lora_A.requires_grad_(value)

        for module in model.modules():
            module.requires_grad = False
        """,
        # Evidence that rests only on itself is none.
        """
        class Wrapper:
            def __init__(self, model):
                self.model = model

            def move(self):
                self.model = self.model.cuda()
                self.model.requires_grad = False
        """,
        # `self.head` is also assigned a tensor.
        """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.head = nn.Linear(8, 2)

            def tie(self, other):
                self.head = other.weight
                self.head.requires_grad = False
        """,
        """
        for name, param in model.named_parameters():
            param.requires_grad = False
        for index, module in enumerate(model.modules()):
            index.requires_grad = False
        """,
    ],
)
def test_ft004_traps(code):
    assert rows(code, ModuleRequiresGradAttribute) == []


@pytest.mark.parametrize(
    ("code", "row"),
    [
        ("""
        for i, (name, module) in enumerate(model.named_modules()):
            module.requires_grad = False
        """, 2),
        ("""
        for name, child in encoder._modules.items():
            child.requires_grad = False
        """, 2),
        ("""
        for child in list(model.children())[:-2]:
            child.requires_grad = False
        """, 2),
        ("""
        import timm
        model = timm.create_model("resnet50", pretrained=True)

        def freeze_all():
            model.requires_grad = False
        """, 5),
        ("""
        from torch import nn
        head = nn.Sequential(nn.Linear(768, 256), nn.GELU(), nn.Linear(256, 2))
        head.requires_grad = True
        """, 3),
        ("""
        import torch.nn as nn
        import torchvision.models as models

        class Block(nn.Module):
            pass

        class Wrapper(Block):
            pass

        backbone = Wrapper()
        backbone.requires_grad = False
        detector = models.detection.fasterrcnn_resnet50_fpn().cuda()
        detector.requires_grad = False
        """, 11),
        # A value resting on the attribute itself counts by the attribute's other values.
        ("""
        import torch.nn as nn

        class Classifier(nn.Module):
            def __init__(self, backbone):
                super().__init__()
                self.head = nn.Linear(512, 10)
                self.head = self.head.cuda()

            def freeze_head(self):
                self.head.requires_grad = False
        """, 10),
        ("""
        from transformers import AutoConfig, AutoModelForCausalLM
        config = AutoConfig.from_pretrained("gpt2")
        lm = AutoModelForCausalLM.from_config(config)
        lm.requires_grad = False
        """, 4),
    ],
)  # fmt: skip
def test_ft004_true_positives(code, row):
    assert row in rows(code, ModuleRequiresGradAttribute)


# --- FT005 ---------------------------------------------------------------------------------


def notebook(tmp_path: Path, *cells: str) -> list:
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
    return lint_source(read_source(path, str(path)), [NoOpRequiresGrad])


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


# --- FT006 ---------------------------------------------------------------------------------


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


# --- the CLI on the fixture scripts ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "code", "lines"),
    [
        ("ft003_requires_grad_typo.py", "FT003", [11, 15]),
        ("ft004_module_requires_grad_attribute.py", "FT004", [15, 28]),
        ("ft005_no_op_requires_grad.py", "FT005", [11, 14]),
        ("ft006_detached_copy_freeze.py", "FT006", [14, 17, 18]),
    ],
)
def test_cli_reports_each_fixture_at_its_lines(fixture, code, lines):
    result = run_ftlint("check", "--output-format", "json", str(FIXTURES / fixture))
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)
    assert [f["location"]["row"] for f in findings if f["code"] == code] == lines
    assert {f["code"] for f in findings} == {code}, "a fixture exhibits its own rule only"
