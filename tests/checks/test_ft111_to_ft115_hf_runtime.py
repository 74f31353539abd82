"""FT111-FT115 beyond their examples: whole messages from real `ftlint verify` runs of small
transformers/peft scripts, each with a twin that passes. (The helpers behind them are tested
on the models directly in tests/runtime/test_adapters.py; FT113's PeftModel.from_pretrained case
is tested there too, since a verified script may not write the adapter directory it loads.)"""

from __future__ import annotations

import pytest
from support import code_text

from ftlint.verify.checks.ft111_lora_target_matches_nothing import PEFT_LLAMA
from ftlint.verify.checks.ft112_adapters_in_vision_tower import TINY_LLAVA

pytest.importorskip("peft", reason="peft is in the test extra")


def messages(verify_code, code: str, check: str) -> list[tuple[int, str]]:
    result = verify_code(code_text(code), codes={check})
    assert result.error is None, result.error
    return [(d.location.row, d.message) for d in result.diagnostics]


def test_ft111_two_entries_for_another_architecture(verify_code) -> None:
    code = PEFT_LLAMA + (
        'model = get_peft_model(LlamaForCausalLM(config), LoraConfig(target_modules=["c_attn", "q_proj", "Wqkv"]))\n'
    )
    assert messages(verify_code, code, "FT111") == [
        (
            8,
            "LoRA target_modules: 'Wqkv', 'c_attn' adapt no layer while the other entries do"
            " (layers adapted per entry: Wqkv: 0, c_attn: 0, q_proj: 2), so the layers they name"
            " get no adapter and stay frozen. This model's layers of the adapted kind are named"
            " q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head (2 layers"
            " adapted in all)",
        )
    ]


def test_ft111_silent_when_every_entry_adapts(verify_code) -> None:
    code = PEFT_LLAMA + (
        'model = get_peft_model(LlamaForCausalLM(config), LoraConfig(target_modules=["q_proj", "down_proj"]))\n'
    )
    assert messages(verify_code, code, "FT111") == []


def test_ft112_all_linear(verify_code) -> None:
    code = TINY_LLAVA + 'model = get_peft_model(base, LoraConfig(target_modules="all-linear"))\n'
    assert messages(verify_code, code, "FT112") == [
        (
            13,
            "LoRA target_modules put adapters into the vision tower as well as the language model"
            " (adapted layers: vision tower (model.vision_tower): 6, projector"
            " (model.multi_modal_projector): 2, language model (model.language_model): 7): a bare"
            " name matches that name in every component, and 'all-linear' every linear layer but"
            " the output head, so the image encoder trains too. Name the language model in a"
            r" regular expression (target_modules=r'.*language_model.*\.(q_proj|v_proj)') or pass"
            " exclude_modules",
        )
    ]


def test_ft112_silent_with_the_vision_tower_excluded(verify_code) -> None:
    code = TINY_LLAVA + (
        'model = get_peft_model(base, LoraConfig(target_modules="all-linear", exclude_modules=r".*vision_tower.*"))\n'
    )
    assert messages(verify_code, code, "FT112") == []


def test_ft113_silent_without_training(verify_code) -> None:
    code = PEFT_LLAMA + (
        "lora = LoraConfig(target_modules=['q_proj'], inference_mode=True)\n"
        "model = get_peft_model(LlamaForCausalLM(config), lora)\n"
        "model.eval()\n"
    )
    assert messages(verify_code, code, "FT113") == []


def test_ft113_a_trainer_counts_as_training(verify_code) -> None:
    code = PEFT_LLAMA + (
        "from transformers import Trainer\n"
        "lora = LoraConfig(target_modules=['q_proj'], inference_mode=True)\n"
        "model = get_peft_model(LlamaForCausalLM(config), lora)\n"
        "if False:\n"
        "    Trainer(model=model)\n"
    )
    assert messages(verify_code, code, "FT113") == [
        (
            10,
            "nothing in model will train: none of its 25 tensors requires grad; adapter 'default'"
            " is loaded for inference (inference_mode=True, what PeftModel.from_pretrained sets"
            " unless is_trainable=True), so it is frozen like the base model. Load it with"
            " is_trainable=True",
        )
    ]


def test_ft114_whole_message_and_the_tied_twin(verify_code) -> None:
    tied = PEFT_LLAMA.replace(
        "num_key_value_heads=2,", "num_key_value_heads=2, tie_word_embeddings=True,"
    )
    split = "model = get_peft_model(LlamaForCausalLM(config), LoraConfig(target_modules=['q_proj'], modules_to_save=['lm_head']{}))\n"
    assert messages(verify_code, tied + split.format(""), "FT114") == [
        (
            8,
            "lm_head is in modules_to_save but its weight is tied to model.embed_tokens.weight:"
            " peft trains a copy of lm_head (which trains) while model.embed_tokens.weight keeps"
            " the original (which stays frozen), so the tied weights train apart from now on."
            " Pass ensure_weight_tying=True in the peft config (peft then keeps the copies tied),"
            " or leave lm_head out",
        )
    ]
    assert messages(verify_code, tied + split.format(", ensure_weight_tying=True"), "FT114") == []


def test_ft115_silent_with_input_grads(verify_code) -> None:
    code = PEFT_LLAMA + (
        "model = get_peft_model(LlamaForCausalLM(config), LoraConfig(target_modules=['q_proj']))\n"
        "model.base_model.model.activation_checkpointing_enable({'use_reentrant': True})\n"
        "model.base_model.model.disable_input_require_grads()\n"
        "model.enable_input_require_grads()\n"
    )
    assert messages(verify_code, code, "FT115") == []


def test_ft115_whole_message(verify_code) -> None:
    transformers = pytest.importorskip("transformers")
    code = PEFT_LLAMA + (
        "model = get_peft_model(LlamaForCausalLM(config), LoraConfig(target_modules=['q_proj']))\n"
        "model.base_model.model.activation_checkpointing_enable({'use_reentrant': True})\n"
        "model.base_model.model.disable_input_require_grads()\n"
    )
    assert messages(verify_code, code, "FT115") == [
        (
            8,
            "model is checkpointed with use_reentrant=True in 2 layers holding 4 trainable"
            " tensors, and its input embeddings (model.embed_tokens) are frozen with nothing"
            " making their output require grad: no gradient reaches the trainable tensors inside"
            " those layers, so they never train. The installed transformers"
            f" {transformers.__version__} defaults to use_reentrant=False, so True was asked for."
            " Use use_reentrant=False, or call enable_input_require_grads() after turning"
            " checkpointing on",
        )
    ]
