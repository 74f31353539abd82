from __future__ import annotations

from collections.abc import Iterator

from ftlint.check import Invalid, Valid
from ftlint.configfiles.llamafactory import FREEZE_OPTIONS, TRAINS, finetuning_type
from ftlint.configfiles.rule import ConfigFile, ConfigFinding, ConfigRule


class LlamafactoryFreezeOptionsIgnored(ConfigRule):
    """
    ## What it does
    Flags `freeze_trainable_layers`, `freeze_trainable_modules` and `freeze_extra_modules` in a
    LLaMA-Factory training YAML whose `finetuning_type` is not `freeze` (`lora`, `oft`,
    `full`, or left out, which means `lora`).

    ## Why is this bad?
    LLaMA-Factory reads these options in
    [`_setup_freeze_tuning`](https://github.com/hiyouga/LLaMA-Factory/blob/main/src/llamafactory/model/adapter.py)
    only, which runs for `finetuning_type: freeze` alone; with any other type they are silently
    ignored: with `lora` the adapters train and every base weight stays frozen, with `full`
    every parameter trains, whatever layers or modules the options name. (With
    `use_llama_pro: true`, `freeze_trainable_layers` does choose the expanded blocks LoRA
    targets, and is not flagged.)

    ## Example
    ```yaml
    model_name_or_path: meta-llama/Llama-3.2-1B
    stage: sft
    finetuning_type: lora
    freeze_trainable_layers: 4
    freeze_trainable_modules: mlp
    ```

    ## Fix
    Set `finetuning_type: freeze` if only those layers should train; otherwise delete the
    options. See
    [FreezeArguments](https://github.com/hiyouga/LLaMA-Factory/blob/main/src/llamafactory/hparams/finetuning_args.py).
    """

    code = "FT204"
    name = "llamafactory-freeze-options-ignored"
    summary = "LLaMA-Factory `freeze_*` options set while `finetuning_type` is not `freeze`"
    required_tokens = FREEZE_OPTIONS

    VALID = (
        Valid(
            """
            model_name_or_path: meta-llama/Llama-3.2-1B
            stage: sft
            finetuning_type: freeze
            freeze_trainable_layers: 4
            freeze_trainable_modules: mlp
            """,
            filename="llama3_freeze_sft.yaml",
        ),
        Valid(
            """
            model_name_or_path: models/llama3-8b-pro
            stage: sft
            finetuning_type: lora
            use_llama_pro: true
            freeze_trainable_layers: 8
            """,
            filename="llama3_pro_lora.yaml",
        ),
    )
    INVALID = (
        Invalid(
            """
            model_name_or_path: meta-llama/Llama-3.2-1B
            stage: sft
            finetuning_type: lora
            freeze_trainable_layers: 4
            freeze_trainable_modules: mlp
            """,
            line=4,
            message_contains="LoRA adapters train and every base weight stays frozen",
            filename="llama3_lora_sft.yaml",
        ),
        Invalid(
            """
            model_name_or_path: meta-llama/Llama-3.2-1B
            stage: sft
            freeze_extra_modules: embed_tokens
            """,
            line=3,
            message_contains="`finetuning_type` is `lora` (its default)",
            filename="sft.yaml",
        ),
    )

    @classmethod
    def find(cls, config: ConfigFile) -> Iterator[ConfigFinding]:
        for root in config.document.roots:
            kind = finetuning_type(root)
            if kind is None or kind == "freeze" or kind not in TRAINS:
                continue
            stated = "" if "finetuning_type" in (root.entries or {}) else " (its default)"
            for option in FREEZE_OPTIONS:
                entry = root.entry(option)
                if entry is None:
                    continue
                key, value = entry
                if option == "freeze_trainable_layers" and root.scalar("use_llama_pro") is True:
                    continue  # LLaMA Pro picks the expanded blocks with it
                yield cls.at(
                    key,
                    value,
                    f"`{option}` is ignored: LLaMA-Factory applies the `freeze_*` options only "
                    f"with `finetuning_type: freeze`, and this config's `finetuning_type` is "
                    f"`{kind}`{stated}, so {TRAINS[kind]}",
                )
