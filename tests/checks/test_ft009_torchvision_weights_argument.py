"""FT009 beyond its own examples: traps that must stay silent, further true positives, fixes
that keep the weights loaded today, the generated weights tables, and the real CLI on the
fixtures."""

from __future__ import annotations

import importlib.util
import sys

import libcst as cst
import pytest
from support import CROSS_CHECKED_FIXTURES, REPO, check_json, code_text, lint_text, where

from ftlint.analysis.data.torchvision_weights import LEGACY_WEIGHTS, WEIGHTS_ENUMS
from ftlint.fixer import apply_fixes
from ftlint.rules.ft009_torchvision_weights_argument import TorchvisionWeightsArgument

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
    "quantize-not-a-literal": ("""
        from torchvision.models.quantization import resnet50
        model = resnet50(pretrained=True, quantize=args.quantize)
        """, 2),
    "dunder-dict-builder": ("""
        import torchvision.models as models
        model = models.__dict__[args.arch](pretrained=True)
        """, 2),
    "backbone-enum-class": ("""
        from torchvision.models import ResNet50_Weights
        from torchvision.models.detection import maskrcnn_resnet50_fpn
        model = maskrcnn_resnet50_fpn(weights_backbone=ResNet50_Weights, num_classes=3)
        """, 3),
}  # fmt: skip


@pytest.mark.parametrize("code", TRAPS.values(), ids=TRAPS.keys())
def test_trap_stays_silent(code):
    assert lint_text(code, [TorchvisionWeightsArgument]) == []


@pytest.mark.parametrize(("code", "line"), TRUE_POSITIVES.values(), ids=TRUE_POSITIVES.keys())
def test_true_positive_is_reported_once(code, line):
    found = [(d.code, d.location.row) for d in lint_text(code, [TorchvisionWeightsArgument])]
    assert found == [("FT009", line)]


def _fixed(code: str) -> str:
    """``code`` after one pass of FT009's fixes."""
    text = code_text(code)
    return apply_fixes(text, lint_text(text, [TorchvisionWeightsArgument]), unsafe=True)[0]


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
    assert expected in _fixed(code)


def test_ft009_two_fixes_needing_one_import_do_not_import_it_twice():
    code = """
        from torchvision.models.detection import fasterrcnn_resnet50_fpn
        a = fasterrcnn_resnet50_fpn(pretrained=True)
        b = fasterrcnn_resnet50_fpn(pretrained=True)
        """
    fixed = _fixed(code)
    assert fixed.count("import FasterRCNN_ResNet50_FPN_Weights") == 1
    cst.parse_module(fixed)


def test_ft009_without_an_import_to_follow_offers_no_fix():
    code = """
        def build():
            from torchvision.models.detection import fasterrcnn_resnet50_fpn
            return fasterrcnn_resnet50_fpn(pretrained=True)
        """
    (diagnostic,) = lint_text(code, [TorchvisionWeightsArgument])
    assert diagnostic.fix is None


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
        ("ft009_torchvision_weights_argument.py", None, "FT009", 11),
        ("ft009_torchvision_weights_argument.py", None, "FT009", 12),
        ("ft009_torchvision_weights_argument.py", None, "FT009", 18),
        ("seed_backbone_freezing.ipynb", 1, "FT009", 5),
        ("seed_backbone_freezing.py", None, "FT009", 6),
    ])  # fmt: skip
