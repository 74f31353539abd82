"""The facts behind FT111-FT115, read off real peft and transformers models (tiny configs, on
meta, or on CPU where a forward runs)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from ftlint.runtime.adapters import (
    ReentrantCheckpointing,
    TiedCopy,
    adapter_targets,
    broad_targets_in_vision,
    inference_only_adapters,
    reentrant_checkpointing_without_input_grads,
    tied_copies,
)

transformers = pytest.importorskip("transformers", reason="transformers is in the test extra")
peft = pytest.importorskip("peft", reason="peft is in the test extra")
from tiny_hf import llava  # needs transformers

TEXT = {
    "vocab_size": 64, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
    "num_attention_heads": 2, "num_key_value_heads": 2,
}  # fmt: skip
LLAMA_LINEAR = (
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
    "lm_head",
)


def llama(*, tied: bool = False, device: str = "meta") -> nn.Module:
    torch.manual_seed(0)
    with torch.device(device):
        model: nn.Module = transformers.LlamaForCausalLM(
            transformers.LlamaConfig(**TEXT, tie_word_embeddings=tied)
        )
    return model


def lora(model: nn.Module, **config: object) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # peft's notes on tied embeddings and meta tensors
        wrapped: nn.Module = peft.get_peft_model(model, peft.LoraConfig(r=2, **config))
    return wrapped


# -- FT111: a target_modules entry that matches nothing -------------------------------------------


def test_an_entry_matching_nothing_beside_others_that_match() -> None:
    model = lora(llama(), target_modules=["q_proj", "v_proj", "query_key_value"])
    (targets,) = adapter_targets(model)
    assert targets.entries == (("q_proj", 2), ("query_key_value", 0), ("v_proj", 2))
    assert targets.unmatched == ("query_key_value",)
    assert targets.layer_kinds == LLAMA_LINEAR


def test_every_entry_matching_is_no_unmatched_entry() -> None:
    (targets,) = adapter_targets(lora(llama(), target_modules=["q_proj", "v_proj"]))
    assert targets.unmatched == ()


def test_a_regex_target_and_a_plain_model_have_no_entries() -> None:
    assert adapter_targets(lora(llama(), target_modules=r".*\.(q|v)_proj")) == ()
    assert adapter_targets(llama()) == ()


# -- FT112: bare names or all-linear on a vision-language model ---------------------------------


def test_all_linear_on_llava_lands_in_the_vision_tower() -> None:
    assert broad_targets_in_vision(lora(llava(), target_modules="all-linear")) == {
        "vision tower (model.vision_tower)": 6,
        "projector (model.multi_modal_projector)": 2,
        "language model (model.language_model)": 7,
    }


def test_a_bare_q_proj_on_llava_lands_in_the_vision_tower() -> None:
    assert broad_targets_in_vision(lora(llava(), target_modules=["q_proj"])) == {
        "vision tower (model.vision_tower)": 1,
        "language model (model.language_model)": 1,
    }


def test_names_only_the_language_model_has_stay_there() -> None:
    assert broad_targets_in_vision(lora(llava(), target_modules=["gate_proj", "up_proj"])) is None
    regex = r"model\.language_model.*\.(q_proj|v_proj)"
    assert broad_targets_in_vision(lora(llava(), target_modules=regex)) is None


# -- FT113: nothing trainable after PeftModel.from_pretrained without is_trainable ---------------


def saved_adapter(directory: Path) -> Path:
    lora(llama(device="cpu"), target_modules=["q_proj"]).save_pretrained(directory)
    return directory


def test_an_adapter_loaded_without_is_trainable_is_inference_only(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = peft.PeftModel.from_pretrained(llama(device="cpu"), saved_adapter(tmp_path))
    assert inference_only_adapters(loaded) == ("default",)
    assert not any(parameter.requires_grad for parameter in loaded.parameters())


def test_an_adapter_loaded_with_is_trainable_trains(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = peft.PeftModel.from_pretrained(
            llama(device="cpu"), saved_adapter(tmp_path), is_trainable=True
        )
    assert inference_only_adapters(loaded) == ()


# -- FT114: tied embeddings and lm_head split by modules_to_save --------------------------------


def test_a_tied_lm_head_in_modules_to_save_trains_apart_from_the_frozen_embeddings() -> None:
    model = lora(llama(tied=True), target_modules=["q_proj"], modules_to_save=["lm_head"])
    assert tied_copies(model) == (
        TiedCopy(
            "lm_head", ("model.embed_tokens.weight",), copy_trainable=True, original_trainable=False
        ),
    )


def test_ensure_weight_tying_keeps_the_copies_tied() -> None:
    config = {
        "target_modules": ["q_proj"],
        "modules_to_save": ["lm_head"],
        "ensure_weight_tying": True,
    }
    model = lora(llama(tied=True), **config)
    inner = model.base_model.model
    assert (
        inner.lm_head.modules_to_save["default"].weight
        is inner.model.embed_tokens.modules_to_save["default"].weight
    )
    assert tied_copies(model) == ()


def test_untied_or_without_modules_to_save_there_is_no_split() -> None:
    assert tied_copies(lora(llama(), target_modules=["q_proj"], modules_to_save=["lm_head"])) == ()
    assert tied_copies(lora(llama(tied=True), target_modules=["q_proj"])) == ()


# -- FT115: reentrant checkpointing with frozen input embeddings --------------------------------


def checkpointed(*, hook: bool) -> nn.Module:
    """A LoRA model with a trained head outside the checkpointed layers: the loss has a
    gradient either way, so nothing raises when the adapters get none."""
    model = lora(
        llama(device="cpu"), target_modules=["q_proj", "v_proj"], modules_to_save=["lm_head"]
    )
    inner = model.base_model.model
    inner.activation_checkpointing_enable({"use_reentrant": True})
    if not hook:  # transformers adds it for a text model; an image or audio model has none
        inner.disable_input_require_grads()
    return model


def test_reentrant_checkpointing_without_input_grads_starves_the_adapters() -> None:
    model = checkpointed(hook=False)
    problem = reentrant_checkpointing_without_input_grads(model)
    assert problem == ReentrantCheckpointing(
        layers=2,
        trainable_inside=8,
        embeddings="model.embed_tokens",
        default_reentrant=False,
        transformers_version=transformers.__version__,
    )
    # What it means: after a real backward the adapters have no gradient.
    model.train()
    ids = torch.tensor([[1, 2, 3]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "None of the inputs have requires_grad=True"
        model(input_ids=ids, labels=ids).loss.backward()
    assert all(p.grad is None for n, p in model.named_parameters() if "lora_" in n)
    assert model.base_model.model.lm_head.modules_to_save.default.weight.grad is not None


def test_enable_input_require_grads_gives_the_adapters_their_gradient() -> None:
    model = checkpointed(hook=True)
    assert reentrant_checkpointing_without_input_grads(model) is None
    model.train()
    ids = torch.tensor([[1, 2, 3]])
    model(input_ids=ids, labels=ids).loss.backward()
    assert all(p.grad is not None for n, p in model.named_parameters() if "lora_" in n)
