"""FT008 beyond its own examples: traps that must stay silent, further true positives, the
generated table of torchvision's BatchNorm families, and the real CLI on the fixtures."""

from __future__ import annotations

import pytest
from support import CROSS_CHECKED_FIXTURES, check_json, lint_text, where

from ftlint.analysis.data.torchvision_batchnorm import BATCHNORM_CHILDREN
from ftlint.rules.ft008_frozen_batchnorm_in_train_mode import FrozenBatchnormInTrainMode

TRAPS = {
    "eval-right-after-train": """
        from torchvision import models
        model = models.resnet50(weights="DEFAULT")
        model.layer1.requires_grad_(False)
        for epoch in range(3):
            model.train()
            model.layer1.eval()
            train_one_epoch(model)
        """,
    "never-put-in-train-mode": """
        from torchvision.models import resnet50
        model = resnet50(weights="DEFAULT")
        model.requires_grad_(False)
        model.eval()
        """,
    "frozen-teacher-trained-student": """
        from torchvision.models import resnet18, resnet50
        teacher = resnet50(weights="DEFAULT")
        teacher.requires_grad_(False)
        teacher.eval()
        student = resnet18()
        student.train()
        """,
    "models-without-batchnorm": """
        from torchvision.models import swin_t, vgg16, vit_b_16
        for model in (vgg16(weights="DEFAULT"), vit_b_16(weights="DEFAULT")):
            model.requires_grad_(False)
        swin = swin_t(weights="DEFAULT")
        for p in swin.parameters():
            p.requires_grad = False
        swin.train()
        """,
    "norm-in-a-transformer": """
        for name, p in bert.named_parameters():
            if "LayerNorm" in name or "norm" in name:
                p.requires_grad = False
        bert.train()
        """,
    "negated-batchnorm-test": """
        for name, p in model.named_parameters():
            if "bn" not in name:
                p.requires_grad = False
        model.train()
        """,
    "frozen-batchnorm-layers": """
        import torchvision
        from torchvision.ops import FrozenBatchNorm2d
        model = torchvision.models.resnet50(weights="DEFAULT", norm_layer=FrozenBatchNorm2d)
        model.requires_grad_(False)
        model.train()
        """,
    "bn-eval-helper-defined": """
        import torch.nn as nn
        from torchvision.models import resnet50

        def set_bn_eval(module):
            if isinstance(module, nn.BatchNorm2d):
                module.eval()

        model = resnet50(weights="DEFAULT")
        model.requires_grad_(False)
        model.train()
        """,
    "bn-eval-helper-applied-after-train": """
        from torchvision.models import resnet50
        from utils import set_bn_eval

        model = resnet50(weights="DEFAULT")
        model.requires_grad_(False)
        model.train()
        model.apply(set_bn_eval)
        train_one_epoch(model)
        """,
    "head-only-loop": """
        from torchvision.models import resnet50
        model = resnet50(weights="DEFAULT")
        for p in model.fc.parameters():
            p.requires_grad = False
        model.train()
        """,
}  # fmt: skip

TRUE_POSITIVES = {
    "validation-eval-comes-too-late": ("""
        from torchvision.models import resnet50
        model = resnet50(weights="DEFAULT")
        for p in model.parameters():
            p.requires_grad = False
        for epoch in range(10):
            model.train()
            train_one_epoch(model)
            model.eval()
            evaluate(model)
        """, 3),
    "child-of-a-batchnorm-model": ("""
        import torchvision
        net = torchvision.models.efficientnet_b0(weights="DEFAULT")
        net.features.requires_grad_(False)
        net.train(True)
        """, 3),
    "densenet-norm-names": ("""
        from torchvision.models import densenet121
        model = densenet121(weights="DEFAULT")
        for name, p in model.named_parameters():
            if "norm" in name:
                p.requires_grad = False
        model.train()
        """, 3),
    "frozen-part-trained-through-its-parent": ("""
        from torchvision.models.segmentation import deeplabv3_resnet50
        model = deeplabv3_resnet50(weights="DEFAULT")
        model.backbone.requires_grad_(False)
        model.eval()
        model.train()
        """, 3),
}  # fmt: skip


@pytest.mark.parametrize("code", TRAPS.values(), ids=TRAPS.keys())
def test_trap_stays_silent(code):
    assert lint_text(code, [FrozenBatchnormInTrainMode]) == []


@pytest.mark.parametrize(("code", "line"), TRUE_POSITIVES.values(), ids=TRUE_POSITIVES.keys())
def test_true_positive_is_reported_once(code, line):
    found = [(d.code, d.location.row) for d in lint_text(code, [FrozenBatchnormInTrainMode])]
    assert found == [("FT008", line)]


def test_batchnorm_table_knows_which_families_normalize_with_batchnorm():
    assert BATCHNORM_CHILDREN["torchvision.models.resnet50"][0] == "bn1"
    assert BATCHNORM_CHILDREN["torchvision.models.vgg16_bn"] == ("features",)
    for without in ("convnext_tiny", "vit_b_16", "swin_t", "alexnet", "vgg16", "squeezenet1_0"):
        assert f"torchvision.models.{without}" not in BATCHNORM_CHILDREN


def test_cli_reports_its_fixture_at_its_lines_and_nothing_on_the_others_or_clean_code():
    status, findings = check_json("--select", "FT008", *map(str, CROSS_CHECKED_FIXTURES))
    assert (status, where(findings)) == (1, [
        ("ft008_frozen_batchnorm_in_train_mode.py", None, "FT008", 9),
    ])  # fmt: skip
