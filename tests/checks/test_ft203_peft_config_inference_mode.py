"""FT203 beyond its own examples: the whole message, and when a file counts as training."""

from __future__ import annotations

from support import check_config, found_at


def test_lightning_cli_config_whole_message(tmp_path):
    found = check_config(tmp_path, "fit.yaml", """
        trainer:
          max_steps: 1000
        model:
          class_path: mypackage.LoraModule
          init_args:
            peft_config:
              class_path: peft.LoraConfig
              init_args:
                r: 8
                inference_mode: true
        """)
    assert found_at(found) == [(
        "FT203", 10, 9,
        (
            "`inference_mode: true` in `peft.LoraConfig` of a training configuration: "
            "`get_peft_model` sets `requires_grad=False` on every adapter parameter as well as on "
            "the base model, so the model has no trainable parameter and the adapters stay at "
            "their initialisation; remove it or set it to false"
        ),
    )]  # fmt: skip


def test_saved_adapter_config_and_inference_only_files_are_silent(tmp_path):
    assert check_config(tmp_path, "adapter_config.json", """
        {"peft_type": "LORA", "inference_mode": true, "target_modules": ["q_proj"]}
        """) == []
    assert check_config(tmp_path, "serve.yaml", """
        model:
          _target_: peft.LoraConfig
          inference_mode: true
        """) == []
