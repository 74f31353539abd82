"""FT113 no-trainable-parameter: a peft model the file trains has no trainable parameter."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Finding
from ftlint.verify.checks.ft111_lora_target_matches_nothing import PEFT_LLAMA
from ftlint.verify.runtime_check import RuntimeCheck

if TYPE_CHECKING:
    from ftlint.verify.verified import VerifiedFile

# A Trainer (transformers', TRL's, a subclass) built in the file: it trains the model.
_TRAINER_CALL = re.compile(r"\b\w*Trainer\s*\(")


class NoTrainableParameter(RuntimeCheck):
    """
    ## What it does
    Reports a peft model that the file trains (an optimizer holds its parameters, or a
    `Trainer` is built) but that has no trainable parameter once the file has run, saying why
    when peft knows: an adapter loaded for inference.

    ## Why is this bad?
    `PeftModel.from_pretrained(model, path)` loads the adapter with `inference_mode=True`
    unless `is_trainable=True` is passed: the adapter is frozen like the base model, so a
    "resumed" fine-tuning updates nothing (a `Trainer` raises only if nothing at all requires
    grad, and a plain loop runs on, its loss flat). `prepare_model_for_kbit_training` after
    `get_peft_model`, or a freeze loop over all parameters, has the same effect.

    ## Example
    ```python
    model = PeftModel.from_pretrained(base, "my-adapter")
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ```

    ## Fix
    `PeftModel.from_pretrained(base, "my-adapter", is_trainable=True)`; call
    `prepare_model_for_kbit_training` before `get_peft_model`.
    """

    code = "FT113"
    name = "no-trainable-parameter"
    summary = "A peft model the file trains has no trainable parameter"
    VALID = (
        Valid(
            PEFT_LLAMA
            + """
import torch

model = get_peft_model(LlamaForCausalLM(config), LoraConfig(target_modules=["q_proj"]))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
"""
        ),
    )
    INVALID = (
        Invalid(
            PEFT_LLAMA
            + """
import torch

lora = LoraConfig(target_modules=["q_proj"], inference_mode=True)
model = get_peft_model(LlamaForCausalLM(config), lora)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
""",
            line=12,
            message_contains="adapter 'default' is loaded for inference",
        ),
    )

    @classmethod
    def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
        from ftlint.runtime.adapters import inference_only_adapters
        from ftlint.runtime.report import user_model

        trainer = bool(_TRAINER_CALL.search(verified.source.text))
        for key, target in verified.run.targets.items():
            state = verified.run.reports[key]
            if state.trainable_tensors or user_model(target.module)[1] is None:
                continue
            optimized = any(
                target.owns(parameter)
                for optimizer, _ in verified.optimizers
                for group in optimizer.param_groups
                for parameter in group["params"]
            )
            if not (optimized or trainer):
                continue  # loaded for inference, and used so
            inference = inference_only_adapters(target.module)
            if inference:
                names = ", ".join(repr(name) for name in inference)
                why = (
                    f"adapter {names} is loaded for inference (inference_mode=True, what"
                    " PeftModel.from_pretrained sets unless is_trainable=True), so it is frozen"
                    " like the base model. Load it with is_trainable=True"
                )
            else:
                why = (
                    "every parameter, the adapters' included, is frozen when the file ends:"
                    " prepare_model_for_kbit_training or a freeze loop ran after get_peft_model?"
                )
            yield cls.finding(
                verified.anchor(target),
                f"nothing in {target.variable} will train: none of its"
                f" {state.total_tensors} tensors requires grad; {why}",
            )
