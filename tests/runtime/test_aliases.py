"""Tensors known under several names (tied weights, a module registered twice, a parametrized
weight), uninitialised lazy parameters, and peft models seen through: real modules throughout."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

import ftlint
from ftlint.runtime.expect import FreezeError

transformers = pytest.importorskip("transformers", reason="transformers is in the test extra")


def tiny_llama(*, tied: bool) -> nn.Module:
    config = transformers.LlamaConfig(
        vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, tie_word_embeddings=tied,
    )  # fmt: skip
    with torch.device("meta"):
        model: nn.Module = transformers.LlamaForCausalLM(config)
    return model


class Symmetric(nn.Module):
    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight.triu() + weight.triu(1).transpose(0, 1)


def twice_registered() -> nn.Module:
    model = nn.Module()
    model.encoder = nn.Linear(2, 2)
    model.decoder = model.encoder  # the same module under a second name
    model.head = nn.Linear(2, 1)
    return model


def parametrized() -> nn.Sequential:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 2))
    parametrize.register_parametrization(model[0], "weight", Symmetric())
    return model
