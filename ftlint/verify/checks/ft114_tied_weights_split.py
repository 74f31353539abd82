"""FT114 tied-weights-split: `modules_to_save` copies one side of tied weights."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Finding
from ftlint.verify.checks.ft111_lora_target_matches_nothing import PEFT_LLAMA
from ftlint.verify.runtime_check import RuntimeCheck

if TYPE_CHECKING:
    from ftlint.verify.verified import VerifiedFile


def _state(trainable: bool) -> str:
    return "trains" if trainable else "stays frozen"


class TiedWeightsSplit(RuntimeCheck):
    """
    ## What it does
    Reports a peft model with a module in `modules_to_save` whose weight is tied to another
    module's (`lm_head` and the input embeddings of a model with `tie_word_embeddings=True`),
    while the other stays as it was: the copy peft trains and the original are two tensors from
    then on.

    ## Why is this bad?
    peft trains a *copy* of each module in `modules_to_save`. The tied partner keeps the
    original tensor, usually frozen: the output head learns while the input embeddings do not,
    the weights that the checkpoint kept equal drift apart, and the saved adapter holds a head
    that no longer matches the embeddings it was tied to (merging it unties the model).

    ## Example
    ```python
    config = LlamaConfig(..., tie_word_embeddings=True)
    model = get_peft_model(LlamaForCausalLM(config), LoraConfig(modules_to_save=["lm_head"]))
    ```

    ## Fix
    Pass `ensure_weight_tying=True` in the peft config (read in peft 0.21: it wraps the tied
    partner too and keeps the copies one tensor), or leave the head out of `modules_to_save`.
    """

    code = "FT114"
    name = "tied-weights-split"
    summary = "`modules_to_save` copies one side of tied weights: they train apart"
    VALID = (
        Valid(
            PEFT_LLAMA.replace(
                "num_key_value_heads=2,", "num_key_value_heads=2, tie_word_embeddings=False,"
            )
            + """
lora = LoraConfig(target_modules=["q_proj"], modules_to_save=["lm_head"])
model = get_peft_model(LlamaForCausalLM(config), lora)
"""
        ),
    )
    INVALID = (
        Invalid(
            PEFT_LLAMA.replace(
                "num_key_value_heads=2,", "num_key_value_heads=2, tie_word_embeddings=True,"
            )
            + """
lora = LoraConfig(target_modules=["q_proj"], modules_to_save=["lm_head"])
model = get_peft_model(LlamaForCausalLM(config), lora)
""",
            line=10,
            message_contains="lm_head is in modules_to_save",
        ),
    )

    @classmethod
    def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
        from ftlint.runtime.adapters import tied_copies

        for target in verified.run.targets.values():
            for split in tied_copies(target.module):
                tied = ", ".join(split.tied)
                yield cls.finding(
                    verified.anchor(target),
                    f"{split.copied} is in modules_to_save{verified.whose(target)} but its weight"
                    f" is tied to {tied}: peft trains a copy of {split.copied} (which"
                    f" {_state(split.copy_trainable)}) while {tied} keeps the original (which"
                    f" {_state(split.original_trainable)}), so the tied weights train apart from"
                    " now on. Pass ensure_weight_tying=True in the peft config (peft then keeps"
                    f" the copies tied), or leave {split.copied} out",
                )
