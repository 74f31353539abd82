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

SEED_TRAINABLE = ["layer2", "layer3", "layer4"]
SEED_FROZEN = ["conv1", "bn1", "layer1", "fc"]


@pytest.fixture
def seed_resnet50_eval_bn(
    seed_resnet50: nn.Module, eval_frozen_batchnorms: Callable[[nn.Module], nn.Module]
) -> nn.Module:
    """The seed's model with the BatchNorm fix applied: expect() should accept it."""
    return eval_frozen_batchnorms(seed_resnet50)


def freeze_error(model: nn.Module, **expectations: Any) -> str:
    with pytest.raises(ftlint.FreezeError) as error:
        ftlint.expect(model, **expectations)
    return str(error.value)


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
    with pytest.raises(AssertionError) as error:
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
    ("expectations", "error"),
    [
        ({"trainable": True}, TypeError),
        ({"trainable": 1.5}, TypeError),
        ({"frozen": -1}, ValueError),
        ({"trainable_numel": "many"}, TypeError),
        ({"frozen_batchnorm": "train"}, ValueError),
        ({"trainable": []}, ValueError),
        (
            {"trainable": ["layer2", "layer3"], "frozen": ["conv1", "bn1", "layer1", "fc"]},
            ValueError,
        ),
        (
            {"trainable": ["layer2", "layer3", "layer4"], "frozen": ["layer4", *SEED_FROZEN]},
            ValueError,
        ),
    ],
    ids=repr,
)
def test_invalid_expectations_are_rejected(
    resnet50: nn.Module, expectations: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        ftlint.expect(resnet50, **expectations)
