"""What ftlint knows of LLaMA-Factory's training YAML (``llamafactory-cli train CONFIG``): how to
recognise one, and its ``finetuning_type``
(https://github.com/hiyouga/LLaMA-Factory/blob/main/src/llamafactory/hparams/finetuning_args.py)."""

from __future__ import annotations

from ftlint.configfiles.document import Node

DEFAULT_FINETUNING_TYPE = "lora"
FREEZE_OPTIONS = ("freeze_trainable_layers", "freeze_trainable_modules", "freeze_extra_modules")
# What trains under each `finetuning_type`.
TRAINS = {
    "lora": "LoRA adapters train and every base weight stays frozen",
    "oft": "OFT adapters train and every base weight stays frozen",
    "full": "every parameter trains",
}


def finetuning_type(root: Node) -> str | None:
    """The ``finetuning_type`` of a LLaMA-Factory training config (its default when a recipe
    with a ``stage`` leaves it out); None for any other file."""
    entries = root.entries or {}
    if "model_name_or_path" not in entries:
        return None
    value = root.scalar("finetuning_type")
    if isinstance(value, str):
        return value
    return (
        DEFAULT_FINETUNING_TYPE if "finetuning_type" not in entries and "stage" in entries else None
    )
