"""FT008 beyond its own examples: traps that must stay silent, further true positives, the
generated table of torchvision's BatchNorm families, and the real CLI on the fixtures."""

from __future__ import annotations

import pytest
from support import CROSS_CHECKED_FIXTURES, check_json, lint_notebook, lint_text, where

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
    # Across functions: the helper freezes the teacher, the training loop trains the student.
    "helper-freezes-another-model": """
        from torchvision.models import resnet18, resnet50

        def freeze(model):
            for p in model.parameters():
                p.requires_grad = False

        def train_model(model, loader):
            model.train()

        teacher = resnet50(weights="DEFAULT")
        freeze(teacher)
        teacher.eval()
        student = resnet18()
        train_model(student, loader)
        """,
    "helper-puts-frozen-part-back-in-eval": """
        from torchvision.models import resnet50

        def train_model(model, loader):
            for epoch in range(3):
                model.train()
                model.eval()
                model.fc.train()

        net = resnet50(weights="DEFAULT")
        for p in net.parameters():
            p.requires_grad = False
        train_model(net, loader)
        """,
    "returned-model-without-batchnorm": """
        from torchvision.models import vit_b_16

        def set_parameter_requires_grad(model, feature_extracting):
            if feature_extracting:
                for param in model.parameters():
                    param.requires_grad = False

        def build():
            net = vit_b_16(weights="DEFAULT")
            set_parameter_requires_grad(net, True)
            return net

        def train_model(model):
            model.train()

        model = build()
        train_model(model)
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
    # The PyTorch fine-tuning tutorial: a helper freezes what a builder returns, a function trains.
    "tutorial-helpers": ("""
        from torchvision import models

        def train_model(model, dataloaders, criterion, optimizer, num_epochs=25):
            for epoch in range(num_epochs):
                for phase in ["train", "val"]:
                    if phase == "train":
                        model.train()
                    else:
                        model.eval()
            return model

        def set_parameter_requires_grad(model, feature_extracting):
            if feature_extracting:
                for param in model.parameters():
                    param.requires_grad = False

        def initialize_model(num_classes, feature_extract, use_pretrained=True):
            model_ft = models.resnet18(weights="DEFAULT")
            set_parameter_requires_grad(model_ft, feature_extract)
            return model_ft, 224

        model, input_size = initialize_model(2, True)
        model = train_model(model, dataloaders, criterion, optimizer)
        """, 14),
}  # fmt: skip

# The PyTorch transfer-learning tutorial: frozen at the top level, trained in `train_model`.
TRANSFER_LEARNING_TUTORIAL = """
    import torch.nn as nn
    import torchvision

    def train_model(model, criterion, optimizer, scheduler, num_epochs=25):
        for epoch in range(num_epochs):
            for phase in ["train", "val"]:
                if phase == "train":
                    model.train()
                else:
                    model.eval()
        return model

    model_conv = torchvision.models.resnet18(weights="IMAGENET1K_V1")
    for param in model_conv.parameters():
        param.requires_grad = False
    model_conv.fc = nn.Linear(model_conv.fc.in_features, 2)
    model_conv = train_model(model_conv, criterion, optimizer_conv, exp_lr_scheduler)
    """
EFFECT = (
    "puts them back in train mode: their running mean and variance keep updating on every "
    "forward pass, so the frozen layers still change, and are evaluated with statistics their "
    "weights were not trained with. After `model.train()`, call `.eval()` on the frozen part (or "
    "override `train()`), or build it with `FrozenBatchNorm2d`"
)


def test_model_trained_in_a_function_is_followed_from_its_call():
    [found] = lint_text(TRANSFER_LEARNING_TUTORIAL, [FrozenBatchnormInTrainMode])
    assert (found.location.row, found.message) == (14, (
        "this freezes the BatchNorm layers of `model_conv` (resnet18) only through "
        "`requires_grad`, but `model.train()` (line 8, in `train_model(...)` called on line 17) "
        + EFFECT
    ))  # fmt: skip


def test_helper_freeze_names_the_call_it_freezes_through():
    code, line = TRUE_POSITIVES["tutorial-helpers"]
    [found] = lint_text(code, [FrozenBatchnormInTrainMode])
    assert (found.location.row, found.message) == (line, (
        "this freezes the BatchNorm layers of `model` (resnet18) only through `requires_grad` "
        "(in `set_parameter_requires_grad(...)` called on line 19), but `model.train()` (line 7, "
        "in `train_model(...)` called on line 23) " + EFFECT
    ))  # fmt: skip


def test_notebook_message_names_the_cell_and_line_of_train(tmp_path):
    [found] = lint_notebook(tmp_path, [FrozenBatchnormInTrainMode], """
        from torchvision.models import resnet50
        model = resnet50(weights="DEFAULT")
        model.requires_grad_(False)
        """, """
        for epoch in range(3):
            model.train()
        """)  # fmt: skip
    assert (found.cell, found.location.row, found.message) == (1, 3, (
        "this freezes the BatchNorm layers of `model` (resnet50) only through `requires_grad`, "
        "but `model.train()` (cell 2, line 2) " + EFFECT
    ))  # fmt: skip


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
