"""FT204 beyond its own examples: whole messages per finetuning type, and traps."""

from __future__ import annotations

from support import check_config, found_at


def test_full_finetuning_whole_messages_one_per_option(tmp_path):
    found = check_config(tmp_path, "llama3_full_sft.yaml", """
        model_name_or_path: meta-llama/Meta-Llama-3-8B-Instruct
        stage: sft
        do_train: true
        finetuning_type: full
        freeze_trainable_layers: 2
        freeze_extra_modules: embed_tokens,norm
        """)
    message = (
        "`{}` is ignored: LLaMA-Factory applies the `freeze_*` options only with "
        "`finetuning_type: freeze`, and this config's `finetuning_type` is `full`, so every "
        "parameter trains"
    )
    assert found_at(found) == [
        ("FT204", 5, 1, message.format("freeze_trainable_layers")),
        ("FT204", 6, 1, message.format("freeze_extra_modules")),
    ]


def test_other_files_with_the_same_keys_are_silent(tmp_path):
    # LLaMA-Factory v1's nested config, and a file that is no LLaMA-Factory recipe.
    assert check_config(tmp_path, "train_freeze_sft.yaml", """
        model: Qwen/Qwen3-0.6B
        peft_config:
          name: freeze
          freeze_trainable_layers: 2
        """) == []
    assert check_config(tmp_path, "partial.yaml", """
        model_name_or_path: meta-llama/Llama-3.2-1B
        freeze_trainable_layers: 2
        """) == []


def test_the_options_that_apply_to_every_finetuning_type_are_not_freeze_options(tmp_path):
    # As public LLaMA-Factory recipes write them: they apply with LoRA too.
    assert check_config(tmp_path, "qwen2vl_lora_sft.yaml", """
        model_name_or_path: Qwen/Qwen2-VL-7B-Instruct
        stage: sft
        finetuning_type: lora
        freeze_vision_tower: true
        freeze_multi_modal_projector: true
        freeze_language_model: false
        lora_target: all
        """) == []
