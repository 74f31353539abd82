"""FT004 beyond its own examples: traps that must stay silent, further true positives, and the
CLI on its fixture."""

from __future__ import annotations

import pytest
from support import FIXTURES, check_json, lint_text, rows, where

from ftlint.rules.ft003_requires_grad_typo import RequiresGradTypo
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


# Receivers that are modules by type, not by a constructor in sight: each true positive (the
# rows reported) beside the trap of the same shape that must stay silent.
MODULES_BY_TYPE = {
    "submodule-of-a-known-model": ("""
        import torchvision
        vgg = torchvision.models.vgg16(weights="DEFAULT")
        vgg.classifier.requires_grad = False
        vgg.classifier[6].weight.requires_grad = False
        vgg.features.some_flag.requires_grad = False
        """, [3]),
    "builder-function": ("""
        from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
        backbone = resnet_fpn_backbone(backbone_name="resnet50", weights=None)
        backbone.requires_grad = False
        backbone.body.conv1.weight.requires_grad = False
        """, [3]),
    "same-file-function-returning-a-module": ("""
        import torch
        import torch.nn as nn

        def build_head():
            return nn.Sequential(nn.Linear(2, 2))

        def build_mask():
            return torch.zeros(3)

        head = build_head()
        head.requires_grad = False
        mask = build_mask()
        mask.requires_grad = False
        """, [11]),
    "parameter-annotated-module": ("""
        import torch
        import torch.nn as nn

        def freeze(module: nn.Module):
            module.requires_grad = False

        def detach(tensor: torch.Tensor):
            tensor.requires_grad = False
        """, [5]),
    "item-of-a-module-list": ("""
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
                self.blocks[0].requires_grad = False
                self.scales = nn.ParameterList([nn.Parameter(torch.ones(1))])
                self.scales[0].requires_grad = False
        """, [8]),
    "model-loaded-or-put-in-eval-mode": ("""
        import torch

        def restore(model, path):
            model.load_state_dict(torch.load(path))
            model.eval()
            model.requires_grad = False

        def restore_tensor(tensor, path):
            tensor.copy_(torch.load(path))
            tensor.requires_grad = False
        """, [6]),
    "parameter-given-a-module-by-its-caller": ("""
        import torchvision

        def freeze(part):
            part.requires_grad = False

        def mark(x):
            x.requires_grad = False

        model = torchvision.models.vgg16(weights="DEFAULT")
        freeze(model.features)
        mark(model.features[0].weight)
        """, [4]),
    "attribute-annotated-module": ("""
        import torch
        import torch.nn as nn

        class Model(nn.Module):
            head: nn.Module
            scale: torch.Tensor

            def __init__(self, config):
                super().__init__()
                self.encoder: nn.Module = build_encoder(config)
                self.head = build_head(config)
                self.scale = make_scale(config)
                self.bias: torch.Tensor = make_bias(config)

            def freeze(self):
                self.encoder.requires_grad = False
                self.head.requires_grad = False
                self.scale.requires_grad = False
                self.bias.requires_grad = False

            def local(self):
                scale: nn.Module = make_scale(None)
                self.scale.requires_grad = False
        """, [16, 17]),
}  # fmt: skip


@pytest.mark.parametrize(("code", "found"), MODULES_BY_TYPE.values(), ids=MODULES_BY_TYPE.keys())
def test_modules_by_type_are_reported_and_their_traps_are_not(code, found):
    assert rows(code, ModuleRequiresGradAttribute) == found


def test_misspelt_attribute_on_a_module_is_ft003_and_ft004():
    code = """
        import torchvision
        vgg = torchvision.models.vgg16(weights="DEFAULT")
        vgg.classifier.require_grad = False
        for p in vgg.features.parameters():
            p.require_grad = False
        """
    found = lint_text(code, [RequiresGradTypo, ModuleRequiresGradAttribute])
    assert [(d.code, d.location.row) for d in found] == [("FT004", 3), ("FT003", 3), ("FT003", 5)]
    assert found[0].message == (
        "nothing is frozen: `vgg.classifier` is an `nn.Module`, and `require_grad` on a module is "
        "a plain attribute that no parameter reads (even spelt `requires_grad`); call "
        "`vgg.classifier.requires_grad_(False)` to set it on every parameter"
    )
