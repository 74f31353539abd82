"""FT202 beyond its own examples: whole messages, adapter_config.json, axolotl, and traps."""

from __future__ import annotations

from support import check_config, found_at

from ftlint.frameworks.peft import (
    joined_entry_message,
    joined_string_message,
)


def test_adapter_config_json_whole_message_and_location(tmp_path):
    found = check_config(tmp_path, "adapter/adapter_config.json", """
        {
          "base_model_name_or_path": "meta-llama/Llama-3.2-1B",
          "peft_type": "LORA",
          "r": 16,
          "target_modules": "q_proj,k_proj,v_proj",
          "task_type": "CAUSAL_LM"
        }
        """)
    assert found_at(found) == [
        ("FT202", 5, 3, joined_string_message("q_proj,k_proj,v_proj", ["q_proj", "k_proj", "v_proj"]))
    ]
    assert found[0].message.startswith(
        "`target_modules='q_proj,k_proj,v_proj'` is one regular expression that must match a "
        "module's whole dotted name, and no module is named that: no adapter goes to `q_proj` "
        "or `k_proj` or `v_proj`"
    )


def test_axolotl_with_lora_target_linear_makes_the_string_one_list_entry(tmp_path):
    found = check_config(tmp_path, "qlora.yml", """
        base_model: meta-llama/Llama-3.2-1B
        adapter: qlora
        lora_target_linear: true
        lora_target_modules: q_proj,v_proj
        """)
    assert found_at(found) == [
        ("FT202", 4, 1, joined_entry_message("q_proj,v_proj", ["q_proj", "v_proj"]))
    ]


def test_regex_strings_lists_and_other_tools_are_silent(tmp_path):
    assert check_config(tmp_path, "adapter_config.json", """
        {"peft_type": "LORA", "target_modules": "(?:.*\\\\.)?(q_proj|v_proj)"}
        """) == []
    assert check_config(tmp_path, "axolotl.yml", """
        base_model: meta-llama/Llama-3.2-1B
        lora_target_modules:
          - q_proj
          - v_proj
        """) == []
    # Not a peft config: no peft_type, no peft class.
    assert check_config(tmp_path, "other.yaml", """
        model:
          target_modules: q_proj,v_proj
        """) == []
