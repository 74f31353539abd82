"""FT011 beyond its own examples: off by default, TorchFix's pretrained cases reduced, fixes that
keep the weights loaded today, and the real CLI on the fixtures (its traps are FT009's)."""

from __future__ import annotations

import libcst as cst
import pytest
from support import CROSS_CHECKED_FIXTURES, check_json, code_text, lint_text, where

from ftlint.catalog import defaults
from ftlint.check import Command
from ftlint.fixer import apply_fixes
from ftlint.rules.ft011_torchvision_pretrained_flag import TorchvisionPretrainedFlag

TRUE_POSITIVES = {
    "quantize-not-a-literal": ("""
        from torchvision.models.quantization import resnet50
        model = resnet50(pretrained=True, quantize=args.quantize)
        """, 2),
    "dunder-dict-builder": ("""
        import torchvision.models as models
        model = models.__dict__[args.arch](pretrained=True)
        """, 2),
    "backbone-flag-alone": ("""
        import torchvision
        model = torchvision.models.detection.ssdlite320_mobilenet_v3_large(pretrained_backbone=True)
        """, 2),
    "positional-flag-from-a-variable-is-not-read": ("""
        import torchvision
        a = torchvision.models.resnet50(use_pretrained)
        b = torchvision.models.resnet50(False)
        """, 3),
    "positional-flag-on-its-own-line": ("""
        import torchvision
        model = torchvision.models.resnet50(
            True,
        )
        """, 3),
}  # fmt: skip

TRAPS = {
    # A positional weights member or None is the new interface, not a flag.
    "positional-member-or-none": """
        import torchvision
        from torchvision.models import ResNet50_Weights
        a = torchvision.models.resnet50(ResNet50_Weights.DEFAULT)
        b = torchvision.models.resnet50(None)
        """,
    "not-a-model-builder": """
        from torchvision.models.vgg import cfgs, make_layers
        layers = make_layers(cfgs["D"], True)
        """,
    "both-interfaces": """
        import torchvision
        model = torchvision.models.resnet50(pretrained=True, weights=None)
        """,
}  # fmt: skip


def test_off_by_default_while_the_enum_class_case_stays_on():
    assert "FT011" not in defaults(Command.CHECK)
    assert "FT009" in defaults(Command.CHECK)


@pytest.mark.parametrize(("code", "line"), TRUE_POSITIVES.values(), ids=TRUE_POSITIVES.keys())
def test_true_positive_is_reported_once(code, line):
    found = [(d.code, d.location.row) for d in lint_text(code, [TorchvisionPretrainedFlag])]
    assert found == [("FT011", line)]


@pytest.mark.parametrize("code", TRAPS.values(), ids=TRAPS.keys())
def test_trap_stays_silent(code):
    assert lint_text(code, [TorchvisionPretrainedFlag]) == []


def test_bool_by_position_is_named_and_fixed_by_keyword():
    code = """
        import torchvision
        model = torchvision.models.resnet50(True)
        """
    [found] = lint_text(code, [TorchvisionPretrainedFlag])
    assert found.message == (
        "`True` passed by position is read as `pretrained`, which is deprecated since "
        "torchvision 0.13; it loads `ResNet50_Weights.IMAGENET1K_V1`, not "
        "`ResNet50_Weights.DEFAULT` (`IMAGENET1K_V2`). Pass `weights=` a member"
    )
    assert _fixed(code) == (
        "import torchvision\n"
        "model = torchvision.models.resnet50(weights=torchvision.models.ResNet50_Weights.IMAGENET1K_V1)\n"
    )


def _fixed(code: str) -> str:
    """``code`` after one pass of FT011's fixes."""
    text = code_text(code)
    return apply_fixes(text, lint_text(text, [TorchvisionPretrainedFlag]), unsafe=True)[0]


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
def test_fix_keeps_the_weights_loaded_today(code, expected):
    assert expected in _fixed(code)


def test_two_fixes_needing_one_import_do_not_import_it_twice():
    code = """
        from torchvision.models.detection import fasterrcnn_resnet50_fpn
        a = fasterrcnn_resnet50_fpn(pretrained=True)
        b = fasterrcnn_resnet50_fpn(pretrained=True)
        """
    fixed = _fixed(code)
    assert fixed.count("import FasterRCNN_ResNet50_FPN_Weights") == 1
    cst.parse_module(fixed)


def test_without_an_import_to_follow_offers_no_fix():
    code = """
        def build():
            from torchvision.models.detection import fasterrcnn_resnet50_fpn
            return fasterrcnn_resnet50_fpn(pretrained=True)
        """
    (diagnostic,) = lint_text(code, [TorchvisionPretrainedFlag])
    assert diagnostic.fix is None


def test_cli_reports_it_only_when_selected():
    fixtures = map(str, CROSS_CHECKED_FIXTURES)
    status, findings = check_json("--select", "FT011", *fixtures)
    assert (status, where(findings)) == (1, [
        ("ft009_torchvision_weights_argument.py", None, "FT011", 11),
        ("ft009_torchvision_weights_argument.py", None, "FT011", 12),
        ("ft009_torchvision_weights_argument.py", None, "FT011", 18),
    ])  # fmt: skip
    _, default_findings = check_json(*map(str, CROSS_CHECKED_FIXTURES))
    assert "FT011" not in {finding["code"] for finding in default_findings}
