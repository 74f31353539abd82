"""FT007-FT010 beyond their own examples: traps that must stay silent, further true positives,
the generated torchvision tables, and the real CLI on the fixtures."""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from support import FIXTURES, REPO, lint_text, run_ftlint

from ftlint.analysis.imports import ImportMap
from ftlint.analysis.torchvision import builder_key
from ftlint.fixer import apply_fixes
from ftlint.rules.data.torchvision_batchnorm import BATCHNORM_CHILDREN
from ftlint.rules.data.torchvision_weights import LEGACY_WEIGHTS, WEIGHTS_ENUMS
from ftlint.rules.ft007_name_substring_collision import NameSubstringCollision
from ftlint.rules.ft008_frozen_batchnorm_in_train_mode import FrozenBatchnormInTrainMode
from ftlint.rules.ft009_torchvision_weights_argument import TorchvisionWeightsArgument
from ftlint.rules.ft010_unfreeze_after_optimizer import UnfreezeAfterOptimizer

FT007, FT008, FT009, FT010 = (
    NameSubstringCollision,
    FrozenBatchnormInTrainMode,
    TorchvisionWeightsArgument,
    UnfreezeAfterOptimizer,
)

TRAPS = {
    "ft007-name-from-a-plain-list": (FT007, """
        for name in ["encoder.layer.1", "encoder.layer.2"]:
            if "encoder.layer.1" in name:
                print(name)
        """),
    "ft007-function-parameter": (FT007, """
        def is_frozen(name):
            return "blocks.1" in name
        frozen = [p for n, p in model.named_parameters() if is_frozen(n)]
        """),
    "ft007-two-digit-index": (FT007, """
        for name, p in model.named_parameters():
            p.requires_grad = "encoder.layer.11" in name
        """),
    "ft007-f-string-index-not-from-range": (FT007, """
        def freeze(model, index):
            for name, p in model.named_parameters():
                if f"encoder.layer.{index}" in name:
                    p.requires_grad = False
        """),
    "ft007-f-string-with-separator": (FT007, """
        for i in range(6):
            for name, p in model.named_parameters():
                if f"encoder.layer.{i}." in name:
                    p.requires_grad = False
        """),
    "ft007-anchored-regex": (FT007, r"""
        import re
        for name, p in model.named_parameters():
            if re.search(r"blocks\.1\b", name) or re.fullmatch(r"blocks\.2", name):
                p.requires_grad = False
        """),
    "ft007-resnet-downsample-batchnorm": (FT007, """
        for name, p in model.named_parameters():
            if "downsample.1" in name:
                p.requires_grad = False
        """),
    "ft008-eval-right-after-train": (FT008, """
        from torchvision import models
        model = models.resnet50(weights="DEFAULT")
        model.layer1.requires_grad_(False)
        for epoch in range(3):
            model.train()
            model.layer1.eval()
            train_one_epoch(model)
        """),
    "ft008-never-put-in-train-mode": (FT008, """
        from torchvision.models import resnet50
        model = resnet50(weights="DEFAULT")
        model.requires_grad_(False)
        model.eval()
        """),
    "ft008-frozen-teacher-trained-student": (FT008, """
        from torchvision.models import resnet18, resnet50
        teacher = resnet50(weights="DEFAULT")
        teacher.requires_grad_(False)
        teacher.eval()
        student = resnet18()
        student.train()
        """),
    "ft008-models-without-batchnorm": (FT008, """
        from torchvision.models import swin_t, vgg16, vit_b_16
        for model in (vgg16(weights="DEFAULT"), vit_b_16(weights="DEFAULT")):
            model.requires_grad_(False)
        swin = swin_t(weights="DEFAULT")
        for p in swin.parameters():
            p.requires_grad = False
        swin.train()
        """),
    "ft008-norm-in-a-transformer": (FT008, """
        for name, p in bert.named_parameters():
            if "LayerNorm" in name or "norm" in name:
                p.requires_grad = False
        bert.train()
        """),
    "ft008-negated-batchnorm-test": (FT008, """
        for name, p in model.named_parameters():
            if "bn" not in name:
                p.requires_grad = False
        model.train()
        """),
    "ft008-frozen-batchnorm-layers": (FT008, """
        import torchvision
        from torchvision.ops import FrozenBatchNorm2d
        model = torchvision.models.resnet50(weights="DEFAULT", norm_layer=FrozenBatchNorm2d)
        model.requires_grad_(False)
        model.train()
        """),
    "ft008-bn-eval-helper-defined": (FT008, """
        import torch.nn as nn
        from torchvision.models import resnet50

        def set_bn_eval(module):
            if isinstance(module, nn.BatchNorm2d):
                module.eval()

        model = resnet50(weights="DEFAULT")
        model.requires_grad_(False)
        model.train()
        """),
    "ft008-bn-eval-helper-applied-after-train": (FT008, """
        from torchvision.models import resnet50
        from utils import set_bn_eval

        model = resnet50(weights="DEFAULT")
        model.requires_grad_(False)
        model.train()
        model.apply(set_bn_eval)
        train_one_epoch(model)
        """),
    "ft008-head-only-loop": (FT008, """
        from torchvision.models import resnet50
        model = resnet50(weights="DEFAULT")
        for p in model.fc.parameters():
            p.requires_grad = False
        model.train()
        """),
    "ft009-members-strings-none": (FT009, """
        import torchvision
        from torchvision.models.detection import FasterRCNN_ResNet50_FPN_Weights, fasterrcnn_resnet50_fpn
        a = torchvision.models.resnet50(weights="IMAGENET1K_V2")
        b = torchvision.models.resnet50(weights=None)
        c = fasterrcnn_resnet50_fpn(weights=FasterRCNN_ResNet50_FPN_Weights.DEFAULT)
        d = torchvision.models.get_model("resnet50", weights="DEFAULT")
        """),
    "ft009-getattr-on-another-library": (FT009, """
        import timm.models
        import torchvision
        model = getattr(timm.models, name)(pretrained=True)
        """),
    "ft009-not-a-builder": (FT009, """
        import torchvision
        from torchvision.models import ResNet50_Weights
        transforms = ResNet50_Weights.DEFAULT.transforms()
        loader = load(weights=ResNet50_Weights, pretrained=True)
        """),
    "ft010-unfreeze-before-building": (FT010, """
        model.backbone.requires_grad_(True)
        optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
        """),
    "ft010-alias-of-the-held-part": (FT010, """
        head = model.fc
        optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1)
        head.requires_grad_(True)
        """),
    "ft010-second-optimizer-holds-it": (FT010, """
        head_optimizer = torch.optim.SGD(model.head.parameters(), lr=0.1)
        backbone_optimizer = torch.optim.SGD(model.backbone.parameters(), lr=0.01)
        model.backbone.requires_grad_(True)
        """),
    "ft010-not-a-literal": (FT010, """
        optimizer = torch.optim.SGD(model.head.parameters(), lr=0.1)
        for p in model.backbone.parameters():
            p.requires_grad = epoch >= warmup
        """),
    "ft010-parameters-from-elsewhere": (FT010, """
        optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
        for p in backbone_parameters:
            p.requires_grad = True
        """),
    "ft010-optimizer-from-a-factory": (FT010, """
        optimizer = create_optimizer(args, model)
        model.requires_grad_(True)
        """),
    "ft010-built-in-an-unrelated-function": (FT010, """
        def probe(model):
            optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1)
            return optimizer

        def unfreeze(model):
            model.requires_grad_(True)
        """),
    "ft010-lightning-hook-sets-optimizers-up-again": (FT010, """
        import lightning as L

        class Classifier(L.LightningModule):
            def configure_optimizers(self):
                return torch.optim.Adam(filter(lambda p: p.requires_grad, self.parameters()))

            def on_train_epoch_start(self):
                if self.current_epoch == 3:
                    self.backbone.requires_grad_(True)
                    self.trainer.strategy.setup_optimizers(self.trainer)
        """),
}  # fmt: skip

TRUE_POSITIVES = {
    "ft007-find": (FT007, """
        for name, p in gpt2.named_parameters():
            if name.find("h.1") != -1:
                p.requires_grad = False
        """, 2),
    "ft007-state-dict-comprehension": (FT007, """
        kept = {k: v for k, v in model.state_dict().items() if "layers.3" not in k}
        """, 1),
    "ft007-enumerate": (FT007, """
        for index, (name, p) in enumerate(model.named_parameters()):
            if "blocks.2" in name:
                p.requires_grad = False
        """, 2),
    "ft007-module-level-list": (FT007, """
        TRAINABLE = ["blocks.9", "blocks.10", "blocks.11"]
        params = [p for n, p in vit.named_parameters() if any(b in n for b in TRAINABLE)]
        """, 1),
    "ft007-checkpoint-state-dict": (FT007, """
        checkpoint = torch.load(path)
        for key in checkpoint["state_dict"]:
            if key.startswith("backbone.layers.1"):
                print(key)
        """, 3),
    "ft008-validation-eval-comes-too-late": (FT008, """
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
    "ft008-child-of-a-batchnorm-model": (FT008, """
        import torchvision
        net = torchvision.models.efficientnet_b0(weights="DEFAULT")
        net.features.requires_grad_(False)
        net.train(True)
        """, 3),
    "ft008-densenet-norm-names": (FT008, """
        from torchvision.models import densenet121
        model = densenet121(weights="DEFAULT")
        for name, p in model.named_parameters():
            if "norm" in name:
                p.requires_grad = False
        model.train()
        """, 3),
    "ft008-frozen-part-trained-through-its-parent": (FT008, """
        from torchvision.models.segmentation import deeplabv3_resnet50
        model = deeplabv3_resnet50(weights="DEFAULT")
        model.backbone.requires_grad_(False)
        model.eval()
        model.train()
        """, 3),
    "ft009-quantize-not-a-literal": (FT009, """
        from torchvision.models.quantization import resnet50
        model = resnet50(pretrained=True, quantize=args.quantize)
        """, 2),
    "ft009-dunder-dict-builder": (FT009, """
        import torchvision.models as models
        model = models.__dict__[args.arch](pretrained=True)
        """, 2),
    "ft009-backbone-enum-class": (FT009, """
        from torchvision.models import ResNet50_Weights
        from torchvision.models.detection import maskrcnn_resnet50_fpn
        model = maskrcnn_resnet50_fpn(weights_backbone=ResNet50_Weights, num_classes=3)
        """, 3),
    "ft010-self-optimizer-of-a-trainer": (FT010, """
        class Trainer:
            def __init__(self, model):
                self.model = model
                self.optimizer = torch.optim.AdamW(
                    [p for p in model.parameters() if p.requires_grad], lr=1e-4
                )

            def train_epoch(self, epoch, loader):
                if epoch == 2:
                    self.model.requires_grad_(True)
                for batch in loader:
                    self.optimizer.step()
        """, 10),
    "ft010-parameter-groups": (FT010, """
        optimizer = torch.optim.Adam([
            {"params": model.head.parameters()},
            {"params": model.neck.parameters(), "lr": 1e-4},
        ])
        while not done:
            if step == unfreeze_step:
                model.backbone.requires_grad_()
            done = train_step(model, optimizer)
        """, 7),
    "ft010-chained-sub-modules": (FT010, """
        import itertools
        optimizer = torch.optim.SGD(itertools.chain(model.fc.parameters(), model.layer4.parameters()), lr=0.01)
        for p in model.layer3.parameters():
            p.requires_grad = True
        """, 4),
}  # fmt: skip


@pytest.mark.parametrize(("rule", "code"), TRAPS.values(), ids=TRAPS.keys())
def test_trap_stays_silent(rule, code):
    assert lint_text(code, [rule]) == []


@pytest.mark.parametrize(
    ("rule", "code", "line"), TRUE_POSITIVES.values(), ids=TRUE_POSITIVES.keys()
)
def test_true_positive_is_reported_once(rule, code, line):
    assert [(d.code, d.location.row) for d in lint_text(code, [rule])] == [(rule.code, line)]


def _fixed(code: str, rule) -> str:
    """``code`` after one pass of ``rule``'s fixes."""
    text = textwrap.dedent(code).lstrip("\n")
    return apply_fixes(text, lint_text(text, [rule]), unsafe=True)[0]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param(
            """
            import torchvision
            model = torchvision.models.resnet50(pretrained=True)
            """,
            "model = torchvision.models.resnet50(weights=torchvision.models.ResNet50_Weights.IMAGENET1K_V1)",
            id="through-the-imported-package",
        ),
        pytest.param(
            """
            from torchvision.models.quantization import ResNet50_QuantizedWeights, resnet50
            model = resnet50(weights=ResNet50_QuantizedWeights)
            """,
            "from torchvision.models import ResNet50_Weights\nmodel = resnet50(weights=ResNet50_Weights.IMAGENET1K_V1)",
            id="quantized-builder-loads-the-float-enum",
        ),
        pytest.param(
            """
            from torchvision.models.detection import fasterrcnn_resnet50_fpn
            model = fasterrcnn_resnet50_fpn(pretrained=False, pretrained_backbone=False)
            """,
            "model = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None)",
            id="both-flags-off",
        ),
        pytest.param(
            """
            from torchvision.models.optical_flow import raft_large
            model = raft_large(pretrained=True)
            """,
            "from torchvision.models.optical_flow import Raft_Large_Weights\nmodel = raft_large(weights=Raft_Large_Weights.C_T_SKHT_V2)",
            id="legacy-member-is-not-imagenet",
        ),
    ],
)  # fmt: skip
def test_ft009_fix_keeps_the_weights_loaded_today(code, expected):
    assert expected in _fixed(code, FT009)


def test_ft009_two_fixes_needing_one_import_do_not_import_it_twice():
    code = """
        from torchvision.models.detection import fasterrcnn_resnet50_fpn
        a = fasterrcnn_resnet50_fpn(pretrained=True)
        b = fasterrcnn_resnet50_fpn(pretrained=True)
        """
    fixed = _fixed(code, FT009)
    assert fixed.count("import FasterRCNN_ResNet50_FPN_Weights") == 1
    cst.parse_module(fixed)


def test_ft009_without_an_import_to_follow_offers_no_fix():
    code = """
        def build():
            from torchvision.models.detection import fasterrcnn_resnet50_fpn
            return fasterrcnn_resnet50_fpn(pretrained=True)
        """
    (diagnostic,) = lint_text(code, [FT009])
    assert diagnostic.fix is None


def test_ft007_offers_no_fix_for_module_names():
    code = """
        for name, module in model.named_modules():
            if "blocks.1" in name:
                module.eval()
        """
    (diagnostic,) = lint_text(code, [FT007])
    assert diagnostic.fix is None


@pytest.mark.parametrize(
    ("func", "key"),
    [
        ("resnet50", "torchvision.models.resnet50"),
        ("tv.models.resnet.resnet50", "torchvision.models.resnet50"),
        ("quantization.resnet50", "torchvision.models.quantization.resnet50"),
        ("Q.resnet.resnet50", "torchvision.models.quantization.resnet50"),
        ("detection.resnet50", None),
        ("tv.models.ResNet50_Weights", None),
    ],
)
def test_builder_key_resolves_every_import_form(func, key):
    imports = ImportMap.from_module(cst.parse_module(
        "import torchvision as tv\n"
        "from torchvision.models import resnet50, quantization, detection\n"
        "import torchvision.models.quantization as Q\n"
    ))  # fmt: skip
    assert builder_key(cst.parse_expression(func), imports) == key


def test_every_legacy_member_names_a_known_enum_member():
    for entry in LEGACY_WEIGHTS.values():
        for _, member, quantized in entry.values():
            for qualified in filter(None, (member, quantized)):
                enum, _, name = qualified.partition(".")
                assert enum in WEIGHTS_ENUMS and name


def test_batchnorm_table_knows_which_families_normalize_with_batchnorm():
    assert BATCHNORM_CHILDREN["torchvision.models.resnet50"][0] == "bn1"
    assert BATCHNORM_CHILDREN["torchvision.models.vgg16_bn"] == ("features",)
    for without in ("convnext_tiny", "vit_b_16", "swin_t", "alexnet", "vgg16", "squeezenet1_0"):
        assert f"torchvision.models.{without}" not in BATCHNORM_CHILDREN


def test_weights_table_matches_the_installed_torchvision(monkeypatch):
    pytest.importorskip("torchvision")
    path = REPO / "scripts" / "generate_torchvision_tables.py"
    spec = importlib.util.spec_from_file_location("generate_torchvision_tables", path)
    generator = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, generator)  # its dataclasses look it up
    spec.loader.exec_module(generator)
    assert generator.weights_tables() == (LEGACY_WEIGHTS, WEIGHTS_ENUMS)


FIXTURE_FINDINGS = {
    ("ft007_name_substring_collision.py", None, "FT007", 15),
    ("ft008_frozen_batchnorm_in_train_mode.py", None, "FT008", 9),
    ("ft009_torchvision_weights_argument.py", None, "FT009", 10),
    ("ft009_torchvision_weights_argument.py", None, "FT009", 11),
    ("ft009_torchvision_weights_argument.py", None, "FT009", 12),
    ("ft009_torchvision_weights_argument.py", None, "FT009", 18),
    ("ft010_unfreeze_after_optimizer.py", None, "FT010", 23),
    ("seed_backbone_freezing.py", None, "FT009", 6),
    ("seed_backbone_freezing.ipynb", 1, "FT009", 5),
}


def test_cli_reports_each_fixture_at_its_line_and_nothing_on_clean_code():
    paths = [FIXTURES / name for name, *_ in FIXTURE_FINDINGS] + [FIXTURES / "clean"]
    result = run_ftlint(
        "check", "--select", "FT007,FT008,FT009,FT010", "--output-format", "json",
        *map(str, sorted(set(paths))),
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    found = {
        (Path(d["filename"]).name, d["cell"], d["code"], d["location"]["row"])
        for d in json.loads(result.stdout)
    }
    assert found == FIXTURE_FINDINGS
