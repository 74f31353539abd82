"""FT009 beyond its own examples: traps that must stay silent (for FT011 too), further true
positives, fixes that keep the weights loaded today, the generated weights tables, and the real
CLI on the fixtures."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from support import CROSS_CHECKED_FIXTURES, REPO, check_json, code_text, lint_text, where

from ftlint.analysis.data.torchvision_weights import LEGACY_WEIGHTS, WEIGHTS_ENUMS
from ftlint.fixer import apply_fixes
from ftlint.rules.ft009_torchvision_weights_argument import TorchvisionWeightsArgument
from ftlint.rules.ft011_torchvision_pretrained_flag import TorchvisionPretrainedFlag

TRAPS = {
    "members-strings-none": """
        import torchvision
        from torchvision.models.detection import FasterRCNN_ResNet50_FPN_Weights, fasterrcnn_resnet50_fpn
        a = torchvision.models.resnet50(weights="IMAGENET1K_V2")
        b = torchvision.models.resnet50(weights=None)
        c = fasterrcnn_resnet50_fpn(weights=FasterRCNN_ResNet50_FPN_Weights.DEFAULT)
        d = torchvision.models.get_model("resnet50", weights="DEFAULT")
        """,
    "getattr-on-another-library": """
        import timm.models
        import torchvision
        model = getattr(timm.models, name)(pretrained=True)
        """,
    "not-a-builder": """
        import torchvision
        from torchvision.models import ResNet50_Weights
        transforms = ResNet50_Weights.DEFAULT.transforms()
        loader = load(weights=ResNet50_Weights, pretrained=True)
        """,
}  # fmt: skip

TRUE_POSITIVES = {
    "backbone-enum-class": ("""
        from torchvision.models import ResNet50_Weights
        from torchvision.models.detection import maskrcnn_resnet50_fpn
        model = maskrcnn_resnet50_fpn(weights_backbone=ResNet50_Weights, num_classes=3)
        """, 3),
    "quantize-not-a-literal": ("""
        from torchvision.models.quantization import ResNet50_QuantizedWeights, resnet50
        model = resnet50(weights=ResNet50_QuantizedWeights, quantize=args.quantize)
        """, 2),
}  # fmt: skip


@pytest.mark.parametrize("code", TRAPS.values(), ids=TRAPS.keys())
@pytest.mark.parametrize("rule", [TorchvisionWeightsArgument, TorchvisionPretrainedFlag])
def test_trap_stays_silent(code, rule):
    assert lint_text(code, [rule]) == []


@pytest.mark.parametrize(("code", "line"), TRUE_POSITIVES.values(), ids=TRUE_POSITIVES.keys())
def test_true_positive_is_reported_once(code, line):
    found = [(d.code, d.location.row) for d in lint_text(code, [TorchvisionWeightsArgument])]
    assert found == [("FT009", line)]


def test_ft009_fix_names_the_member_of_the_enum_the_builder_loads():
    code = """
        from torchvision.models.quantization import ResNet50_QuantizedWeights, resnet50
        model = resnet50(weights=ResNet50_QuantizedWeights)
        """
    text = code_text(code)
    fixed, _ = apply_fixes(text, lint_text(text, [TorchvisionWeightsArgument]), unsafe=True)
    assert fixed == (
        "from torchvision.models.quantization import ResNet50_QuantizedWeights, resnet50\n"
        "from torchvision.models import ResNet50_Weights\n"
        "model = resnet50(weights=ResNet50_Weights.IMAGENET1K_V1)\n"
    )


def test_every_legacy_member_names_a_known_enum_member():
    for entry in LEGACY_WEIGHTS.values():
        for _, member, quantized in entry.values():
            for qualified in filter(None, (member, quantized)):
                enum, _, name = qualified.partition(".")
                assert enum in WEIGHTS_ENUMS and name


def test_weights_table_matches_the_installed_torchvision(monkeypatch):
    pytest.importorskip("torchvision")
    path = REPO / "scripts" / "generate_torchvision_tables.py"
    spec = importlib.util.spec_from_file_location("generate_torchvision_tables", path)
    generator = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, generator)  # its dataclasses look it up
    spec.loader.exec_module(generator)
    assert generator.weights_tables() == (LEGACY_WEIGHTS, WEIGHTS_ENUMS)


def test_cli_reports_its_fixture_at_its_lines_and_nothing_on_the_others_or_clean_code():
    status, findings = check_json("--select", "FT009", *map(str, CROSS_CHECKED_FIXTURES))
    assert (status, where(findings)) == (1, [
        ("ft009_torchvision_weights_argument.py", None, "FT009", 10),
        ("seed_backbone_freezing.ipynb", 1, "FT009", 5),
        ("seed_backbone_freezing.py", None, "FT009", 6),
    ])  # fmt: skip
