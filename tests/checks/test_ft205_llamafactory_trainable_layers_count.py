"""FT205 beyond its own examples: whole messages."""

from __future__ import annotations

from support import check_config, found_at


def test_negative_count_whole_message(tmp_path):
    found = check_config(tmp_path, "freeze.yaml", """
        model_name_or_path: meta-llama/Llama-3.2-1B
        stage: sft
        finetuning_type: freeze
        freeze_trainable_layers: -4
        """)
    assert found_at(found) == [(
        "FT205", 4, 1,
        (
            "`freeze_trainable_layers: -4` trains the first 4 decoder layers (layers 0 to 3), not "
            "the last: LLaMA-Factory counts a negative number from the embeddings, unlike Python's "
            "negative indexes; the other decoder layers stay frozen"
        ),
    )]  # fmt: skip


def test_zero_whole_message_and_positive_or_llama_pro_silent(tmp_path):
    found = check_config(tmp_path, "freeze.yaml", """
        model_name_or_path: meta-llama/Llama-3.2-1B
        finetuning_type: freeze
        freeze_trainable_layers: 0
        freeze_extra_modules: embed_tokens
        """)
    assert found_at(found) == [(
        "FT205", 3, 1,
        (
            "`freeze_trainable_layers: 0` trains no decoder layer: only `freeze_extra_modules`, if "
            "any, stay trainable; the other decoder layers stay frozen"
        ),
    )]  # fmt: skip
    assert check_config(tmp_path, "pro.yaml", """
        model_name_or_path: models/llama3-8b-pro
        finetuning_type: freeze
        use_llama_pro: true
        freeze_trainable_layers: -8
        """) == []


def test_minus_one_names_the_one_layer(tmp_path):
    found = check_config(tmp_path, "freeze.yaml", """
        model_name_or_path: meta-llama/Llama-3.2-1B
        finetuning_type: freeze
        freeze_trainable_layers: -1
        """)
    assert [d.message.split(", not")[0] for d in found] == [
        "`freeze_trainable_layers: -1` trains the first decoder layer (layer 0)"
    ]
