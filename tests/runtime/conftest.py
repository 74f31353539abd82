"""Real torchvision models on the meta device, built once per session.

Tests get them back in a known state (every parameter trainable, train mode);
a test that changes a model's structure builds its own with the ``build_meta``
fixture.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torchvision
from torch import nn


def _build_meta(builder: Callable[..., nn.Module], **kwargs: object) -> nn.Module:
    with torch.device("meta"):
        return builder(**kwargs)


def _freeze_like_seed(model: nn.Module) -> nn.Module:
    """The seed notebook's freeze loop, verbatim (substring tests on the names)."""
    train_backbone = True
    for name, parameter in model.named_parameters():
        if (
            not train_backbone
            or "layer2" not in name
            and "layer3" not in name
            and "layer4" not in name
        ):
            parameter.requires_grad_(False)
    return model


def _eval_frozen_batchnorms(model: nn.Module) -> nn.Module:
    """The usual fix: BatchNorm layers whose affine parameters are frozen go to eval."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d) and not any(
            parameter.requires_grad for parameter in module.parameters()
        ):
            module.eval()
    return model


@pytest.fixture(scope="session")
def _model_cache() -> dict[str, nn.Module]:
    return {}


@pytest.fixture
def meta_model(_model_cache: dict[str, nn.Module]) -> Callable[[str], nn.Module]:
    """``meta_model("vit_b_16")``: a torchvision model, fully trainable, in train mode."""

    def pristine(name: str) -> nn.Module:
        if name not in _model_cache:
            _model_cache[name] = _build_meta(getattr(torchvision.models, name))
        return _model_cache[name].requires_grad_(True).train()

    return pristine


@pytest.fixture
def resnet50(meta_model: Callable[[str], nn.Module]) -> nn.Module:
    return meta_model("resnet50")


@pytest.fixture
def seed_resnet50(resnet50: nn.Module) -> nn.Module:
    """ResNet-50 after the seed's freeze loop, still in train mode."""
    return _freeze_like_seed(resnet50)


@pytest.fixture
def build_meta() -> Callable[..., nn.Module]:
    return _build_meta


@pytest.fixture
def eval_frozen_batchnorms() -> Callable[[nn.Module], nn.Module]:
    return _eval_frozen_batchnorms
