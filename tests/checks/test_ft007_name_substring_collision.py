"""FT007 beyond its own examples: traps that must stay silent, further true positives, no fix
for module names, and the real CLI on the fixtures."""

from __future__ import annotations

import pytest
from support import CROSS_CHECKED_FIXTURES, check_json, lint_text, where

from ftlint.rules.ft007_name_substring_collision import NameSubstringCollision

TRAPS = {
    "name-from-a-plain-list": """
        for name in ["encoder.layer.1", "encoder.layer.2"]:
            if "encoder.layer.1" in name:
                print(name)
        """,
    "function-parameter": """
        def is_frozen(name):
            return "blocks.1" in name
        frozen = [p for n, p in model.named_parameters() if is_frozen(n)]
        """,
    "two-digit-index": """
        for name, p in model.named_parameters():
            p.requires_grad = "encoder.layer.11" in name
        """,
    "f-string-index-not-from-range": """
        def freeze(model, index):
            for name, p in model.named_parameters():
                if f"encoder.layer.{index}" in name:
                    p.requires_grad = False
        """,
    "f-string-with-separator": """
        for i in range(6):
            for name, p in model.named_parameters():
                if f"encoder.layer.{i}." in name:
                    p.requires_grad = False
        """,
    "anchored-regex": r"""
        import re
        for name, p in model.named_parameters():
            if re.search(r"blocks\.1\b", name) or re.fullmatch(r"blocks\.2", name):
                p.requires_grad = False
        """,
    # Hand-named pairs numbered with `_`: not blocks of a list that reaches ten.
    "underscore-index-of-a-pair": """
        for name, p in model.named_parameters():
            if "conv_1" in name or "bn_1" in name or "stage_2" in name:
                p.requires_grad = False
        """,
    "underscore-index-with-separator": """
        for name, p in vit.named_parameters():
            p.requires_grad = "encoder_layer_1." in name or "encoder_layer_11" in name
        """,
    "resnet-downsample-batchnorm": """
        for name, p in model.named_parameters():
            if "downsample.1" in name:
                p.requires_grad = False
        """,
}  # fmt: skip

TRUE_POSITIVES = {
    "find": ("""
        for name, p in gpt2.named_parameters():
            if name.find("h.1") != -1:
                p.requires_grad = False
        """, 2),
    "state-dict-comprehension": ("""
        kept = {k: v for k, v in model.state_dict().items() if "layers.3" not in k}
        """, 1),
    "enumerate": ("""
        for index, (name, p) in enumerate(model.named_parameters()):
            if "blocks.2" in name:
                p.requires_grad = False
        """, 2),
    "module-level-list": ("""
        TRAINABLE = ["blocks.9", "blocks.10", "blocks.11"]
        params = [p for n, p in vit.named_parameters() if any(b in n for b in TRAINABLE)]
        """, 1),
    "checkpoint-state-dict": ("""
        checkpoint = torch.load(path)
        for key in checkpoint["state_dict"]:
            if key.startswith("backbone.layers.1"):
                print(key)
        """, 3),
    "underscore-f-string-from-range": ("""
        for name, p in vit.named_parameters():
            for i in range(4):
                if f"encoder_layer_{i}" in name:
                    p.requires_grad = False
        """, 3),
}  # fmt: skip


def test_underscore_index_of_torchvision_vit_is_reported_with_its_fix():
    code = """
        for name, p in vit.named_parameters():
            if "encoder_layer_1" in name:
                p.requires_grad = False
        """
    [found] = lint_text(code, [NameSubstringCollision])
    assert (found.location.row, found.message) == (2, (
        "`\"encoder_layer_1\" in name` may also match `encoder_layer_10`, `encoder_layer_11`, …: "
        "on a model with more than ten such blocks, their parameters pass the test too and are "
        "frozen or trained along with the one meant. End the prefix with its separator: "
        "`\"encoder_layer_1.\"`"
    ))  # fmt: skip


@pytest.mark.parametrize("code", TRAPS.values(), ids=TRAPS.keys())
def test_trap_stays_silent(code):
    assert lint_text(code, [NameSubstringCollision]) == []


@pytest.mark.parametrize(("code", "line"), TRUE_POSITIVES.values(), ids=TRUE_POSITIVES.keys())
def test_true_positive_is_reported_once(code, line):
    found = [(d.code, d.location.row) for d in lint_text(code, [NameSubstringCollision])]
    assert found == [("FT007", line)]


def test_ft007_offers_no_fix_for_module_names():
    code = """
        for name, module in model.named_modules():
            if "blocks.1" in name:
                module.eval()
        """
    (diagnostic,) = lint_text(code, [NameSubstringCollision])
    assert diagnostic.fix is None


def test_cli_reports_its_fixture_at_its_lines_and_nothing_on_the_others_or_clean_code():
    status, findings = check_json("--select", "FT007", *map(str, CROSS_CHECKED_FIXTURES))
    assert (status, where(findings)) == (1, [
        ("ft007_name_substring_collision.py", None, "FT007", 15),
    ])  # fmt: skip
