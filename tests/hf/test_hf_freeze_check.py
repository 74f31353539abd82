"""FreezeCheck in real (tiny, CPU, 2-step) Hugging Face Trainer runs of a small Llama."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from ftlint import FreezeError

transformers = pytest.importorskip("transformers", reason="transformers is in the hf extra")
from ftlint.hf import FreezeCheck, FreezeWarning  # after the skip: it imports transformers

LAYER1_LINEAR = 7  # q, k, v, o, gate, up, down projections of one decoder layer


def tiny_llama() -> nn.Module:
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2,
    )  # fmt: skip
    model: nn.Module = transformers.LlamaForCausalLM(config)
    return model


def head_only(model: nn.Module) -> nn.Module:
    model.requires_grad_(False)
    model.lm_head.requires_grad_(True)
    return model


class UnfreezeLayer1(transformers.TrainerCallback):
    """Unfreezes the last decoder layer at step 1: after the Trainer built its optimizer."""

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step == 1:
            kwargs["model"].model.layers[1].requires_grad_(True)


def train(tmp_path: Path, model: nn.Module, *callbacks: transformers.TrainerCallback) -> None:
    ids = torch.arange(8).reshape(2, 4)
    dataset = [{"input_ids": row, "labels": row} for row in ids]
    arguments = transformers.TrainingArguments(
        output_dir=str(tmp_path), max_steps=2, per_device_train_batch_size=2, use_cpu=True,
        report_to="none", save_strategy="no", logging_strategy="no", disable_tqdm=True,
    )  # fmt: skip
    transformers.Trainer(
        model=model, args=arguments, train_dataset=dataset, callbacks=list(callbacks)
    ).train()


def test_the_declared_state_holds_at_the_first_step(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ftlint.hf.callback"):
        train(tmp_path, head_only(tiny_llama()), FreezeCheck(trainable=["lm_head"], steps=[1]))
    assert [record.getMessage().split("\n")[0] for record in caplog.records] == [
        "FreezeCheck at step 0 (the first): freeze state as expected",
        "FreezeCheck at step 1: freeze state as expected",
    ]


def test_a_wrong_declaration_fails_at_the_first_step(tmp_path: Path) -> None:
    with pytest.raises(FreezeError, match="FreezeCheck at step 0 \\(the first\\)") as error:
        train(tmp_path, head_only(tiny_llama()), FreezeCheck(trainable=["lm_head", "model.norm"]))
    assert [m.text for m in error.value.mismatches] == [
        "model.norm.weight: 1 tensor frozen, expected trainable"
    ]


def test_a_callback_unfreezing_after_the_optimizer_was_built_fails_coverage(tmp_path: Path) -> None:
    check = FreezeCheck(steps=[1])
    with pytest.raises(FreezeError, match="FreezeCheck at step 1: LlamaForCausalLM") as error:
        train(tmp_path, head_only(tiny_llama()), UnfreezeLayer1(), check)
    assert [(m.kind, m.text) for m in error.value.mismatches] == [
        (
            "optimizer",
            f"model.layers.1: {LAYER1_LINEAR + 2} trainable tensors in no optimizer param group (never updated)",
        )
    ]
    assert error.value.mismatches[0].names[:2] == (
        "model.layers.1.self_attn.q_proj.weight",
        "model.layers.1.self_attn.k_proj.weight",
    )


def test_without_the_unfreezing_callback_step_1_passes(tmp_path: Path) -> None:
    train(tmp_path, head_only(tiny_llama()), FreezeCheck(trainable=["lm_head"], steps=[1]))


def test_an_unused_trainable_tensor_got_no_gradient(tmp_path: Path) -> None:
    model = head_only(tiny_llama())
    model.unused = nn.Linear(2, 2)  # trainable, in the optimizer, never reached by the loss
    with pytest.raises(FreezeError, match="FreezeCheck at step 0") as error:
        train(tmp_path, model, FreezeCheck(epochs=[0]))
    assert str(error.value).split("\n")[:4] == [
        "FreezeCheck at step 0 (the first), epoch 0: LlamaForCausalLM does not match the expected freeze state",
        "  - unused: 2 trainable tensors got no gradient from the backward (never updated)",
        "      unused.weight, unused.bias",
        (
            "    fix: check after loss.backward() and before optimizer.zero_grad(); a tensor the loss"
            " does not reach is unused by the forward, or cut off by detach(), torch.no_grad() or"
            " reentrant checkpointing whose inputs do not require grad (model.enable_input_require_grads())"
        ),
    ]


def test_warn_instead_of_raise(tmp_path: Path) -> None:
    with pytest.warns(
        FreezeWarning,
        match="FreezeCheck at step 0 \\(the first\\): LlamaForCausalLM does not match",
    ):
        train(tmp_path, head_only(tiny_llama()), FreezeCheck(frozen=0, on_mismatch="warn"))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"steps": [-1]}, "steps must be non-negative ints, got -1"),
        ({"epochs": [True]}, "epochs must be non-negative ints, got True"),
        ({"on_mismatch": "log"}, "on_mismatch must be 'raise' or 'warn', got 'log'"),
    ],
)
def test_invalid_arguments_are_rejected(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FreezeCheck(**arguments)
