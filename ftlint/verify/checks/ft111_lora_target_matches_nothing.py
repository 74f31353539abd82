"""FT111 lora-target-matches-nothing: a `target_modules` entry adapts no layer while others do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Finding
from ftlint.text import format_names, plural
from ftlint.verify.runtime_check import RuntimeCheck

if TYPE_CHECKING:
    from ftlint.verify.verified import VerifiedFile

PEFT_LLAMA = """
from peft import LoraConfig, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM

config = LlamaConfig(
    vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
    num_attention_heads=2, num_key_value_heads=2,
)
"""


class LoraTargetMatchesNothing(RuntimeCheck):
    """
    ## What it does
    Reports a peft model whose `target_modules` list has an entry that adapted no layer while
    other entries did, with the number of layers each entry adapted.

    ## Why is this bad?
    peft raises `NoMatchingPeftModuleError` only when *no* entry matches. An entry written for
    another architecture (`query_key_value` is Falcon's and BLOOM's, `c_attn` GPT-2's, Llama has
    `q_proj`, `k_proj`, `v_proj`) or misspelt is silent while another entry matches: the layers
    it meant get no adapter and stay frozen, and the run trains fewer parameters than planned.

    ## Example
    ```python
    model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "v_proj", "query_key_value"]))
    ```

    ## Fix
    Use the model's own layer names (the message lists those of the adapted kind), or remove the
    entry; `model.print_trainable_parameters()` shows the result.
    """

    code = "FT111"
    name = "lora-target-matches-nothing"
    summary = "A peft `target_modules` entry adapts no layer while the others do"
    VALID = (
        Valid(
            PEFT_LLAMA
            + """
model = get_peft_model(LlamaForCausalLM(config), LoraConfig(target_modules=["q_proj", "v_proj"]))
"""
        ),
    )
    INVALID = (
        Invalid(
            PEFT_LLAMA
            + """
model = get_peft_model(
    LlamaForCausalLM(config), LoraConfig(target_modules=["q_proj", "v_proj", "query_key_value"])
)
""",
            line=9,
            message_contains="'query_key_value' adapts no layer while the other entries do",
        ),
    )

    @classmethod
    def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
        from ftlint.runtime.adapters import adapter_targets

        for target in verified.run.targets.values():
            for targets in adapter_targets(target.module):
                unmatched = targets.unmatched
                if not unmatched or len(unmatched) == len(targets.entries):
                    continue
                entries = ", ".join(repr(entry) for entry in unmatched)
                counts = ", ".join(f"{entry}: {count}" for entry, count in targets.entries)
                adapter = "" if targets.adapter == "default" else f" of adapter {targets.adapter!r}"
                yield cls.finding(
                    verified.anchor(target),
                    f"LoRA target_modules{adapter}{verified.whose(target)}: {entries}"
                    f" {'adapts' if len(unmatched) == 1 else 'adapt'} no layer while the other"
                    f" entries do (layers adapted per entry: {counts}), so the layers"
                    f" {'it names' if len(unmatched) == 1 else 'they name'} get no adapter and stay"
                    f" frozen. This model's layers of the adapted kind are named"
                    f" {format_names(targets.layer_kinds, limit=10)}"
                    f" ({plural(len(targets.layers), 'layer')} adapted in all)",
                )
