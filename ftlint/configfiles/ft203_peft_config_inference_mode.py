from __future__ import annotations

from collections.abc import Iterator

from ftlint.check import Invalid, Valid
from ftlint.configfiles.document import Document
from ftlint.configfiles.rule import ConfigFile, ConfigFinding, ConfigRule, instantiated, mappings

# Top-level sections that configure a training run (Lightning CLI's `trainer`, its `fit`
# subcommand, Hydra recipes' `trainer`/`training`/`optimizer`).
_TRAINING_SECTIONS = frozenset(
    {"trainer", "fit", "training", "training_args", "optimizer", "optim"}
)
# Classes whose instantiation elsewhere in the same file makes it a training configuration.
_TRAINING_CLASSES = ("Trainer", "TrainingArguments", "SFTConfig", "DPOConfig", "GRPOConfig")


def _configures_training(document: Document) -> bool:
    for root in document.roots:
        if _TRAINING_SECTIONS & set(root.entries or ()):
            return True
    for mapping in mappings(document):
        found = instantiated(mapping)
        if found is not None and found[0].rsplit(".", 1)[-1].endswith(_TRAINING_CLASSES):
            return True
    return False


class PeftConfigInferenceMode(ConfigRule):
    """
    ## What it does
    Flags `inference_mode: true` in a peft config (`_target_: peft.LoraConfig`, or
    `class_path: peft.LoraConfig` with `init_args`) defined in a configuration file that also
    configures training: a top-level `trainer`, `fit`, `training`, `training_args`, `optimizer`
    or `optim` section, or a `Trainer`/`TrainingArguments`/trl `SFTConfig`-style class
    instantiated in the same file.

    ## Why is this bad?
    `get_peft_model` adds the adapters, marks only them trainable and then, because
    `inference_mode` is true, sets `requires_grad=False` on every adapter parameter as well
    ([`BaseTuner.inject_adapter`](https://github.com/huggingface/peft/blob/v0.21.2/src/peft/tuners/tuners_utils.py)):
    the model has no trainable parameter, the base weights stay frozen and the adapters stay at
    their initialisation (LoRA's `B` is zero: the model does not change).

    A saved `adapter_config.json` is never flagged: peft's `save_pretrained` always writes
    `inference_mode: true`, and `PeftModel.from_pretrained` replaces it with
    `not is_trainable`.

    ## Example
    ```yaml
    trainer:
      max_epochs: 3
    peft_config:
      _target_: peft.LoraConfig
      r: 8
      inference_mode: true
    ```

    ## Fix
    Remove `inference_mode` (it defaults to false) or set it to false.
    """

    code = "FT203"
    name = "peft-config-inference-mode"
    summary = "peft config with `inference_mode: true` in a training configuration"
    required_tokens = ("inference_mode",)

    VALID = (
        # What peft writes when saving an adapter.
        Valid(
            """
            {"peft_type": "LORA", "r": 8, "inference_mode": true, "target_modules": ["q_proj"]}
            """,
            filename="adapter_config.json",
        ),
        # No training configured in this file.
        Valid(
            """
            peft_config:
              _target_: peft.LoraConfig
              inference_mode: true
            """,
            filename="serve.yaml",
        ),
        Valid(
            """
            trainer:
              max_epochs: 3
            peft_config:
              _target_: peft.LoraConfig
              inference_mode: false
            """,
            filename="config.yaml",
        ),
    )
    INVALID = (
        Invalid(
            """
            trainer:
              max_epochs: 3
            peft_config:
              _target_: peft.LoraConfig
              r: 8
              inference_mode: true
            """,
            line=6,
            message_contains="the model has no trainable parameter",
            filename="config.yaml",
        ),
        Invalid(
            """
            model:
              class_path: mypackage.LitModel
              init_args:
                peft_config:
                  class_path: peft.LoraConfig
                  init_args:
                    inference_mode: true
            training_args:
              _target_: transformers.TrainingArguments
            """,
            line=7,
            filename="config.yaml",
        ),
    )

    @classmethod
    def find(cls, config: ConfigFile) -> Iterator[ConfigFinding]:
        document = config.document
        for mapping in mappings(document):
            found = instantiated(mapping)
            if found is None or not found[0].startswith("peft.") or not found[0].endswith("Config"):
                continue
            entry = found[1].entry("inference_mode")
            if entry is None or entry[1].value is not True:
                continue
            key, value = entry
            if not _configures_training(document):
                return
            yield cls.at(
                key,
                value,
                f"`inference_mode: true` in `{found[0]}` of a training configuration: "
                "`get_peft_model` sets `requires_grad=False` on every adapter parameter as well "
                "as on the base model, so the model has no trainable parameter and the adapters "
                "stay at their initialisation; remove it or set it to false",
            )
