from __future__ import annotations

from collections.abc import Iterator

from ftlint.check import Invalid, Valid
from ftlint.configfiles.llamafactory import finetuning_type
from ftlint.configfiles.rule import ConfigFile, ConfigFinding, ConfigRule


def _first_layers(count: int) -> str:
    if count == 1:
        return "the first decoder layer (layer 0)"
    return f"the first {count} decoder layers (layers 0 to {count - 1})"


class LlamafactoryTrainableLayersCount(ConfigRule):
    """
    ## What it does
    Flags a negative or zero `freeze_trainable_layers` in a LLaMA-Factory YAML with
    `finetuning_type: freeze`, and says which layers it trains.

    ## Why is this bad?
    LLaMA-Factory's
    [`_setup_freeze_tuning`](https://github.com/hiyouga/LLaMA-Factory/blob/main/src/llamafactory/model/adapter.py)
    trains the **last** `n` decoder layers for a positive `n` and the **first** `|n|` layers
    for a negative one (`range(min(-n, num_layers))`): `-2` trains layers 0 and 1, the layers
    nearest the embeddings, the opposite of what Python's negative indexes suggest. `0` trains
    no decoder layer at all (only `freeze_extra_modules`, if any). Every other parameter gets
    `requires_grad=False`.

    ## Example
    ```yaml
    model_name_or_path: meta-llama/Llama-3.2-1B
    finetuning_type: freeze
    freeze_trainable_layers: -2
    ```

    ## Fix
    Use a positive count to train the last layers (`freeze_trainable_layers: 2`); if the first
    layers are meant, keep it and add `# noqa: FT205`.
    """

    code = "FT205"
    name = "llamafactory-trainable-layers-count"
    summary = "LLaMA-Factory `freeze_trainable_layers` that trains the first layers, or none"
    required_tokens = ("freeze_trainable_layers",)

    VALID = (
        Valid(
            """
            model_name_or_path: meta-llama/Llama-3.2-1B
            finetuning_type: freeze
            freeze_trainable_layers: 2
            """,
            filename="freeze.yaml",
        ),
        Valid(
            """
            model_name_or_path: meta-llama/Llama-3.2-1B
            finetuning_type: freeze
            freeze_trainable_layers: -2  # noqa: FT205 - the first two layers, on purpose
            """,
            filename="freeze.yaml",
        ),
    )
    INVALID = (
        Invalid(
            """
            model_name_or_path: meta-llama/Llama-3.2-1B
            finetuning_type: freeze
            freeze_trainable_layers: -2
            """,
            line=3,
            message_contains="trains the first 2 decoder layers (layers 0 to 1)",
            filename="freeze.yaml",
        ),
        Invalid(
            """
            model_name_or_path: meta-llama/Llama-3.2-1B
            finetuning_type: freeze
            freeze_trainable_layers: 0
            """,
            line=3,
            message_contains="trains no decoder layer",
            filename="freeze.yaml",
        ),
    )

    @classmethod
    def find(cls, config: ConfigFile) -> Iterator[ConfigFinding]:
        for root in config.document.roots:
            if finetuning_type(root) != "freeze" or root.scalar("use_llama_pro") is True:
                continue
            entry = root.entry("freeze_trainable_layers")
            count = entry[1].value if entry is not None else None
            if entry is None or not isinstance(count, int) or count > 0:
                continue
            key, value = entry
            if count == 0:
                what = (
                    "`freeze_trainable_layers: 0` trains no decoder layer: only "
                    "`freeze_extra_modules`, if any, stay trainable"
                )
            else:
                what = (
                    f"`freeze_trainable_layers: {count}` trains {_first_layers(-count)}, not the "
                    "last: LLaMA-Factory counts a negative number from the embeddings, unlike "
                    "Python's negative indexes"
                )
            yield cls.at(key, value, f"{what}; the other decoder layers stay frozen")
