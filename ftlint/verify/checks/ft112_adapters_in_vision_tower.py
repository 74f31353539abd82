"""FT112 adapters-in-vision-tower: bare names or "all-linear" put LoRA into a VLM's vision tower."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Finding
from ftlint.verify.runtime_check import RuntimeCheck

if TYPE_CHECKING:
    from ftlint.verify.verified import VerifiedFile

TINY_LLAVA = """
from peft import LoraConfig, get_peft_model
from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration

vision = CLIPVisionConfig(
    hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
    image_size=8, patch_size=4,
)
text = LlamaConfig(
    vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
    num_attention_heads=2, num_key_value_heads=2,
)
base = LlavaForConditionalGeneration(LlavaConfig(vision_config=vision, text_config=text))
"""


class AdaptersInVisionTower(RuntimeCheck):
    """
    ## What it does
    Reports a vision-language peft model (LLaVA, Qwen2-VL, ...) whose `target_modules` put
    adapters into the vision tower as well as the language model through names that do not say
    which: a bare module name that both have (`q_proj`), or `"all-linear"`. The message counts
    the adapted layers per component (vision tower, projector, language model).

    ## Why is this bad?
    A list entry matches the *end* of every module name, so `q_proj` adapts the vision tower's
    `q_proj` layers too; `"all-linear"` adapts every linear layer but the output head, the
    vision tower's and the projector's included. Fine-tuning the language model then also
    trains the image encoder, which most recipes keep frozen: more memory, and an encoder that
    drifts from what the projector was trained on.

    ## Example
    ```python
    model = get_peft_model(llava, LoraConfig(target_modules=["q_proj", "v_proj"]))
    ```

    ## Fix
    Name the language model in one regular expression, or exclude the vision tower:

    ```python
    LoraConfig(target_modules=r".*language_model.*\\.(q_proj|v_proj)")
    LoraConfig(target_modules="all-linear", exclude_modules=r".*vision_tower.*")
    ```
    """

    code = "FT112"
    name = "adapters-in-vision-tower"
    summary = "Bare `target_modules` names or 'all-linear' put adapters into a VLM's vision tower"
    VALID = (
        Valid(
            TINY_LLAVA
            + """
config = LoraConfig(target_modules=r".*language_model.*\\.(q_proj|v_proj)")
model = get_peft_model(base, config)
"""
        ),
    )
    INVALID = (
        Invalid(
            TINY_LLAVA
            + """
model = get_peft_model(base, LoraConfig(target_modules=["q_proj", "v_proj"]))
""",
            line=14,
            message_contains="vision tower (model.vision_tower): 2",
        ),
    )

    @classmethod
    def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
        from ftlint.runtime.adapters import broad_targets_in_vision

        for target in verified.run.targets.values():
            layers = broad_targets_in_vision(target.module)
            if layers is None:
                continue
            counts = ", ".join(f"{component}: {count}" for component, count in layers.items())
            yield cls.finding(
                verified.anchor(target),
                f"LoRA target_modules{verified.whose(target)} put adapters into the vision tower as"
                f" well as the language model (adapted layers: {counts}): a bare name matches that"
                " name in every component, and 'all-linear' every linear layer but the output"
                " head, so the image encoder trains too. Name the language model in a regular"
                r" expression (target_modules=r'.*language_model.*\.(q_proj|v_proj)') or pass"
                " exclude_modules",
            )
