"""FT004 beyond its own examples: traps that must stay silent, further true positives, and the
CLI on its fixture."""

from __future__ import annotations

import pytest
from support import FIXTURES, check_json, rows, where

from ftlint.rules.ft004_module_requires_grad_attribute import ModuleRequiresGradAttribute

FIXTURE = "ft004_module_requires_grad_attribute.py"


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


def test_cli_reports_its_fixture_at_its_lines_and_nothing_else():
    status, findings = check_json(str(FIXTURES / FIXTURE))
    assert (status, where(findings)) == (1, [(FIXTURE, None, "FT004", row) for row in (15, 28)])
