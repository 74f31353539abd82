"""FT115 reentrant-checkpointing-no-input-grads: checkpointed layers get no gradient."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Finding
from ftlint.text import plural
from ftlint.verify.checks.ft111_lora_target_matches_nothing import PEFT_LLAMA
from ftlint.verify.runtime_check import RuntimeCheck

if TYPE_CHECKING:
    from ftlint.runtime.adapters import ReentrantCheckpointing
    from ftlint.verify.verified import VerifiedFile


class ReentrantCheckpointingNoInputGrads(RuntimeCheck):
    """
    ## What it does
    Reports a transformers model, as the file leaves it, that is checkpointed with
    `use_reentrant=True` while its input embeddings are frozen and nothing makes their output
    require grad (no `enable_input_require_grads()`), and whose checkpointed layers hold
    trainable tensors. The message says which default the installed transformers uses.

    ## Why is this bad?
    Reentrant checkpointing gives a layer's output a gradient only if one of its *inputs*
    requires grad. With frozen embeddings the hidden states entering the first layer do not, so
    no gradient reaches the trainable tensors inside any checkpointed layer: LoRA adapters never
    train (torch only warns), or, when nothing outside those layers trains, `backward()` raises.
    transformers calls `enable_input_require_grads()` itself for text models when checkpointing
    is turned on, but not for image or audio models, nor after `disable_input_require_grads()`;
    its default became `use_reentrant=False` in 5.0 (`True` in 4.x).

    ## Example
    ```python
    model = get_peft_model(vit, LoraConfig(target_modules=["query", "value"]))
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    ```

    ## Fix
    `use_reentrant=False`, or `model.enable_input_require_grads()` after turning checkpointing on.
    """

    code = "FT115"
    name = "reentrant-checkpointing-no-input-grads"
    summary = (
        "Reentrant checkpointing with frozen input embeddings: checkpointed layers get no gradient"
    )
    VALID = (
        Valid(
            PEFT_LLAMA
            + """
model = get_peft_model(LlamaForCausalLM(config), LoraConfig(target_modules=["q_proj"]))
model.base_model.model.activation_checkpointing_enable({"use_reentrant": True})
"""
        ),
    )
    INVALID = (
        Invalid(
            PEFT_LLAMA
            + """
model = get_peft_model(LlamaForCausalLM(config), LoraConfig(target_modules=["q_proj"]))
model.base_model.model.activation_checkpointing_enable({"use_reentrant": True})
model.base_model.model.disable_input_require_grads()
""",
            line=9,
            message_contains="no gradient reaches the trainable tensors inside those layers",
        ),
    )

    @classmethod
    def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
        from ftlint.runtime.adapters import reentrant_checkpointing_without_input_grads

        for target in verified.run.targets.values():
            problem = reentrant_checkpointing_without_input_grads(target.module)
            if problem is not None:
                yield cls.finding(
                    verified.anchor(target),
                    f"{target.variable} is checkpointed with use_reentrant=True in"
                    f" {plural(problem.layers, 'layer')} holding"
                    f" {plural(problem.trainable_inside, 'trainable tensor')}, and its input"
                    f" embeddings ({problem.embeddings}) are frozen with nothing making their"
                    " output require grad: no gradient reaches the trainable tensors inside those"
                    " layers, so they never train."
                    f" {_default(problem)} Use use_reentrant=False, or call"
                    " enable_input_require_grads() after turning checkpointing on",
                )


def _default(problem: ReentrantCheckpointing) -> str:
    if problem.default_reentrant is None:
        return ""
    installed = f"The installed transformers {problem.transformers_version} defaults to"
    if problem.default_reentrant:
        return f"{installed} use_reentrant=True when no checkpointing kwargs are given."
    return f"{installed} use_reentrant=False, so True was asked for."
