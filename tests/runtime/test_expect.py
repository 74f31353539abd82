from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torchvision
from torch import nn
from torchvision.ops import FrozenBatchNorm2d

import ftlint
from ftlint.runtime import Mismatch

SEED_TRAINABLE = ["layer2", "layer3", "layer4"]
SEED_FROZEN = ["conv1", "bn1", "layer1", "fc"]


@pytest.fixture
def seed_resnet50_eval_bn(
    seed_resnet50: nn.Module, eval_frozen_batchnorms: Callable[[nn.Module], nn.Module]
) -> nn.Module:
    """The seed's model with the BatchNorm fix applied: expect() should accept it."""
    return eval_frozen_batchnorms(seed_resnet50)


class Tiny(nn.Module):
    """Three top-level blocks, BatchNorm in two: small enough to spell out every mismatch."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.body = nn.Sequential(nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4), nn.Conv2d(4, 4, 1))
        self.head = nn.Linear(4, 2)


def raised(model: nn.Module, **expectations: Any) -> ftlint.FreezeError:
    with pytest.raises(ftlint.FreezeError, match="does not match the expected freeze") as error:
        ftlint.expect(model, **expectations)
    return error.value


def freeze_error(model: nn.Module, **expectations: Any) -> str:
    return str(raised(model, **expectations))


def bullet_lines(error: ftlint.FreezeError) -> list[str]:
    """The message's "  - " lines without the bullet (the freeze map follows a blank line)."""
    diff = str(error).split("\n\n")[0]
    return [line.removeprefix("  - ") for line in diff.splitlines() if line.startswith("  - ")]


@pytest.mark.parametrize(
    "expectations",
    [
        {"trainable": 126, "frozen": 35},
        {"trainable_numel": 23_282_688, "frozen_numel": 2_274_344},
        {"trainable": SEED_TRAINABLE},
        {"trainable": "layer2,layer3,layer4"},
        {"frozen": SEED_FROZEN},
        {"trainable": SEED_TRAINABLE, "frozen": SEED_FROZEN},
        {"frozen": ["conv1", "bn1", "layer1.*", "fc.*"]},
    ],
    ids=repr,
)
def test_the_seed_model_meets_its_expectations(
    seed_resnet50_eval_bn: nn.Module, expectations: dict[str, Any]
) -> None:
    report = ftlint.expect(seed_resnet50_eval_bn, **expectations)
    assert report.trainable_tensors == 126


@pytest.mark.parametrize(
    ("expectations", "expected_lines"),
    [
        (
            {"trainable": ["layer3", "layer4"]},
            [
                "expected: trainable = layer3, layer4 (everything else frozen)",
                "- layer2: 39 tensors trainable, expected frozen",
            ],
        ),
        (
            {"trainable": [*SEED_TRAINABLE, "fc"]},
            ["- fc: 2 tensors frozen, expected trainable", "fc.weight, fc.bias"],
        ),
        (
            {"frozen": [*SEED_FROZEN, "layer4.2"]},
            ["- layer4.2: 9 tensors trainable, expected frozen"],
        ),
        (
            {"frozen": ["conv1", "bn1", "layer1"]},
            ["- fc: 2 tensors frozen, expected trainable"],
        ),
        ({"trainable": 161}, ["- expected 161 trainable tensors, found 126 (-35)"]),
        ({"frozen": 0}, ["- expected 0 frozen tensors, found 35 (+35)"]),
        (
            {"trainable_numel": 25_557_032},
            ["- expected 25,557,032 trainable elements, found 23,282,688 (-2,274,344)"],
        ),
        (
            {"trainable": [*SEED_TRAINABLE, "layer5"]},
            ["- trainable pattern 'layer5' matches no parameter (top-level blocks: conv1, bn1,"],
        ),
    ],
    ids=repr,
)
def test_each_mismatch_raises_a_diff_that_names_the_block(
    seed_resnet50_eval_bn: nn.Module, expectations: dict[str, Any], expected_lines: list[str]
) -> None:
    message = freeze_error(seed_resnet50_eval_bn, **expectations)
    for expected_line in expected_lines:
        assert expected_line in message
    assert "fix: " in message
    assert "ResNet: 126 of 161 tensors trainable" in message  # the freeze map closes it


def test_the_diff_is_short_and_samples_names(seed_resnet50_eval_bn: nn.Module) -> None:
    seed_resnet50_eval_bn.requires_grad_(True)  # everything trains: 35 unexpected tensors
    message = freeze_error(seed_resnet50_eval_bn, trainable=SEED_TRAINABLE)
    assert "- layer1: 30 tensors trainable, expected frozen" in message
    assert "layer1.0.conv1.weight, layer1.0.bn1.weight, layer1.0.bn1.bias (+27 more)" in message
    assert "layer1.2.bn3.bias" not in message
    assert len(message.splitlines()) < 40


def test_freeze_error_is_an_assertion_error_carrying_the_report(seed_resnet50: nn.Module) -> None:
    with pytest.raises(AssertionError, match="ResNet does not match") as error:
        ftlint.expect(seed_resnet50, trainable=1)
    assert isinstance(error.value, ftlint.FreezeError)
    assert error.value.report is not None and error.value.report.trainable_tensors == 126
    assert str(pickle.loads(pickle.dumps(error.value))) == str(error.value)


def test_frozen_batchnorm_in_train_mode_is_caught(seed_resnet50: nn.Module) -> None:
    message = freeze_error(seed_resnet50, trainable=SEED_TRAINABLE)
    assert "- bn1: 1 frozen BatchNorm module still updating running statistics" in message
    assert "- layer1: 10 frozen BatchNorm modules still updating running statistics" in message
    assert "FrozenBatchNorm2d" in message  # the fix hint


def test_frozen_batchnorm_check_can_be_turned_off(seed_resnet50: nn.Module) -> None:
    ftlint.expect(seed_resnet50, trainable=SEED_TRAINABLE, frozen_batchnorm="ignore")


def test_frozen_batchnorm2d_passes(build_meta: Callable[..., nn.Module]) -> None:
    model = build_meta(torchvision.models.resnet50, norm_layer=FrozenBatchNorm2d)
    model.requires_grad_(False)
    model.fc.requires_grad_(True)
    ftlint.expect(model, trainable=["fc"])


def test_mobilenet_frozen_features_in_train_mode_are_caught(
    meta_model: Callable[[str], nn.Module], eval_frozen_batchnorms: Callable[[nn.Module], nn.Module]
) -> None:
    mobilenet_v3_large = meta_model("mobilenet_v3_large")
    mobilenet_v3_large.features.requires_grad_(False)
    message = freeze_error(mobilenet_v3_large, trainable=["classifier"])
    assert "- features: 46 frozen BatchNorm modules still updating" in message
    ftlint.expect(eval_frozen_batchnorms(mobilenet_v3_large), trainable=["classifier"])


def test_optimizer_missing_a_trainable_parameter_is_caught(
    seed_resnet50_eval_bn: nn.Module,
) -> None:
    model = seed_resnet50_eval_bn
    optimizer = torch.optim.SGD([*model.layer2.parameters(), *model.layer3.parameters()], lr=0.1)
    message = freeze_error(model, trainable=SEED_TRAINABLE, optimizer=optimizer)
    assert "- layer4: 30 trainable tensors in no optimizer param group (never updated)" in message


def test_frozen_parameters_in_the_optimizer_only_warn(seed_resnet50_eval_bn: nn.Module) -> None:
    optimizer = torch.optim.SGD(seed_resnet50_eval_bn.parameters(), lr=0.1)
    report = ftlint.expect(seed_resnet50_eval_bn, trainable=126, optimizer=optimizer)
    assert len(report.warnings) == 1 and "35 frozen tensors" in report.warnings[0]


@pytest.mark.parametrize("wrap", [nn.DataParallel, torch.compile], ids=["data_parallel", "compile"])
def test_wrapped_models_use_the_users_names(
    seed_resnet50_eval_bn: nn.Module, wrap: Callable[[nn.Module], nn.Module]
) -> None:
    wrapped = wrap(seed_resnet50_eval_bn)
    ftlint.expect(wrapped, trainable=SEED_TRAINABLE)
    message = freeze_error(wrapped, trainable=["layer3", "layer4"])
    assert "- layer2: 39 tensors trainable, expected frozen" in message


def test_vit_glob_patterns_name_the_mismatched_layer(
    meta_model: Callable[[str], nn.Module],
) -> None:
    vit_b_16 = meta_model("vit_b_16")
    vit_b_16.requires_grad_(False)
    vit_b_16.encoder.layers[10:].requires_grad_(True)
    vit_b_16.heads.requires_grad_(True)
    ftlint.expect(vit_b_16, trainable=["encoder.layers.encoder_layer_1[01]", "heads"])
    message = freeze_error(vit_b_16, trainable=["encoder.layers.encoder_layer_11", "heads"])
    assert "- encoder.layers.encoder_layer_10: 12 tensors trainable, expected frozen" in message


def test_convnext_stage_patterns(meta_model: Callable[[str], nn.Module]) -> None:
    convnext_tiny = meta_model("convnext_tiny")
    convnext_tiny.features[:6].requires_grad_(False)
    report = ftlint.expect(
        convnext_tiny, frozen=["features.[0-5]"], trainable=["features.[67]", "classifier"]
    )
    assert report.batchnorms == ()
    message = freeze_error(convnext_tiny, frozen=["features.[0-6]"])
    assert "- features.6: 4 tensors trainable, expected frozen" in message


@pytest.mark.parametrize(
    ("expectations", "error", "match"),
    [
        ({"trainable": True}, TypeError, "trainable must be a count or name patterns, got True"),
        ({"trainable": 1.5}, TypeError, "trainable must be a count or name patterns, got 1.5"),
        ({"frozen": -1}, ValueError, "frozen must not be negative, got -1"),
        ({"trainable_numel": "many"}, TypeError, "trainable_numel must be an int, got 'many'"),
        ({"frozen_batchnorm": "train"}, ValueError, "must be 'eval' or 'ignore', got 'train'"),
        ({"trainable": []}, ValueError, "empty list of name patterns"),
        (
            {"trainable": ["layer2", "layer3"], "frozen": ["conv1", "bn1", "layer1", "fc"]},
            ValueError,
            "these match both or neither: layer4.0.conv1.weight",
        ),
        (
            {"trainable": ["layer2", "layer3", "layer4"], "frozen": ["layer4", *SEED_FROZEN]},
            ValueError,
            "these match both or neither: layer4.0.conv1.weight",
        ),
    ],
    ids=repr,
)
def test_invalid_expectations_are_rejected(
    resnet50: nn.Module, expectations: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        ftlint.expect(resnet50, **expectations)


# FreezeError.mismatches: the facts of the message, as data -----------------------------------


def test_count_mismatches_carry_the_expected_and_found_counts() -> None:
    tiny = Tiny()
    tiny.stem.requires_grad_(False).eval()
    error = raised(tiny, trainable=12, frozen=0, trainable_numel=434, frozen_numel=120)
    assert error.mismatches == (
        Mismatch("trainable_count", 12, 8, "expected 12 trainable tensors, found 8 (-4)"),
        Mismatch("frozen_count", 0, 4, "expected 0 frozen tensors, found 4 (+4)"),
        Mismatch("trainable_numel", 434, 58, "expected 434 trainable elements, found 58 (-376)"),
    )
    assert error.expectation is None
    assert bullet_lines(error) == [mismatch.text for mismatch in error.mismatches]


def test_pattern_mismatches_name_the_tensors_of_each_block() -> None:
    tiny = Tiny()
    tiny.body[2].requires_grad_(False)
    error = raised(tiny, trainable=["body", "head"])
    assert error.mismatches == (
        Mismatch(
            "frozen",
            "frozen",
            "trainable",
            "stem: 4 tensors trainable, expected frozen",
            ("stem.0.weight", "stem.0.bias", "stem.1.weight", "stem.1.bias"),
        ),
        Mismatch(
            "trainable",
            "trainable",
            "frozen",
            "body.2: 2 tensors frozen, expected trainable",
            ("body.2.weight", "body.2.bias"),
        ),
    )
    assert error.expectation == "trainable = body, head (everything else frozen)"
    assert bullet_lines(error) == [mismatch.text for mismatch in error.mismatches]


def test_patterns_that_match_nothing_are_mismatches_of_their_own_kind() -> None:
    tiny = Tiny()
    tiny.stem.requires_grad_(False).eval()
    error = raised(tiny, trainable=["body", "head", "neck"], frozen=["stem", "tail"])
    assert error.mismatches == (
        Mismatch(
            "trainable_pattern",
            "neck",
            None,
            "trainable pattern 'neck' matches no parameter (top-level blocks: stem, body, head)",
        ),
        Mismatch(
            "frozen_pattern",
            "tail",
            None,
            "frozen pattern 'tail' matches no parameter (top-level blocks: stem, body, head)",
        ),
    )
    assert error.expectation == "trainable = body, head, neck; frozen = stem, tail"
    assert bullet_lines(error) == [mismatch.text for mismatch in error.mismatches]


def test_optimizer_and_batchnorm_mismatches_name_tensors_and_modules() -> None:
    tiny = Tiny()
    tiny.stem.requires_grad_(False)  # its BatchNorm stays in train mode
    optimizer = torch.optim.SGD(tiny.body.parameters(), lr=0.1)
    error = raised(tiny, trainable=["body", "head"], optimizer=optimizer)
    assert error.mismatches == (
        Mismatch(
            "optimizer",
            "in a param group",
            "in no param group",
            "head: 2 trainable tensors in no optimizer param group (never updated)",
            ("head.weight", "head.bias"),
        ),
        Mismatch(
            "frozen_batchnorm",
            "eval",
            "train",
            "stem.1: 1 frozen BatchNorm module still updating running statistics (train mode)",
            ("stem.1",),
        ),
    )
    assert bullet_lines(error) == [mismatch.text for mismatch in error.mismatches]


def test_mismatches_of_a_real_model_use_its_own_names(seed_resnet50_eval_bn: nn.Module) -> None:
    wrapped = nn.DataParallel(seed_resnet50_eval_bn)
    error = raised(wrapped, trainable=["layer3", "layer4"], trainable_numel=0)
    names = (name for name, _ in seed_resnet50_eval_bn.named_parameters())
    layer2 = tuple(name for name in names if name.startswith("layer2."))
    assert error.mismatches == (
        Mismatch(
            "trainable_numel",
            0,
            23_282_688,
            "expected 0 trainable elements, found 23,282,688 (+23,282,688)",
        ),
        Mismatch(
            "frozen", "frozen", "trainable", "layer2: 39 tensors trainable, expected frozen", layer2
        ),
    )
    assert bullet_lines(error) == [mismatch.text for mismatch in error.mismatches]


def test_mismatches_hold_every_block_the_message_leaves_out() -> None:
    blocks = nn.Sequential(*(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)) for _ in range(12)))
    error = raised(blocks, trainable=["0"])
    assert error.mismatches == tuple(
        Mismatch(
            "frozen",
            "frozen",
            "trainable",
            f"{block}: 4 tensors trainable, expected frozen",
            (f"{block}.0.weight", f"{block}.0.bias", f"{block}.1.weight", f"{block}.1.bias"),
        )
        for block in range(1, 12)
    )
    shown = [mismatch.text for mismatch in error.mismatches[:8]]
    assert bullet_lines(error) == [*shown, "... and 3 more blocks"]


def test_the_message_is_rendered_from_the_attributes_and_survives_pickling() -> None:
    tiny = Tiny()
    tiny.stem.requires_grad_(False)
    error = raised(tiny, trainable=["body", "neck"], frozen_numel=0)
    assert error.context is None
    rebuilt = ftlint.FreezeError(error.report, error.mismatches, error.expectation)
    assert str(rebuilt) == str(error)
    in_context = ftlint.FreezeError(
        error.report, error.mismatches, error.expectation, context="FreezeCheck at epoch 2"
    )
    assert str(in_context) == f"FreezeCheck at epoch 2: {error}"
    for original in (error, in_context):
        restored = pickle.loads(pickle.dumps(original))
        assert (restored.report, restored.mismatches, restored.expectation, restored.context) == (
            original.report,
            original.mismatches,
            original.expectation,
            original.context,
        )
        assert str(restored) == str(original)
