from __future__ import annotations

from collections.abc import Iterator

from ftlint.check import Invalid, Valid
from ftlint.configfiles.rule import ConfigFile, ConfigFinding, ConfigRule


class AxolotlReentrantPartialFreeze(ConfigRule):
    """
    ## What it does
    Flags an axolotl config that freezes part of the model (`unfrozen_parameters`) and asks
    for reentrant gradient checkpointing (`gradient_checkpointing_kwargs: {use_reentrant:
    true}`).

    ## Why is this bad?
    `torch.utils.checkpoint` with `use_reentrant=True` gives a checkpointed layer's output a
    gradient only when one of its *inputs* requires grad; with the embeddings frozen, the hidden
    states entering each decoder layer do not, so the unfrozen parameters inside checkpointed
    layers get no gradient and stay as they are
    ([transformers#21381](https://github.com/huggingface/transformers/issues/21381); FT015 is
    the same trap in Python). axolotl refuses the combination when it validates the config
    (`use_reentrant must be false when used with partially frozen model`,
    [`check_use_reentrant_mismatch`](https://github.com/axolotl-ai-cloud/axolotl/blob/main/src/axolotl/utils/schemas/validation.py)),
    after the launcher has started: this finds it before.

    ## Example
    ```yaml
    base_model: meta-llama/Llama-3.2-1B
    unfrozen_parameters:
      - ^model.layers.2[0-9].
    gradient_checkpointing: true
    gradient_checkpointing_kwargs:
      use_reentrant: true
    ```

    ## Fix
    Set `use_reentrant: false` (axolotl's default when `unfrozen_parameters` is set).
    """

    code = "FT207"
    name = "axolotl-reentrant-partial-freeze"
    summary = "axolotl partial freezing with reentrant gradient checkpointing"
    required_tokens = ("use_reentrant",)

    VALID = (
        Valid(
            """
            base_model: meta-llama/Llama-3.2-1B
            unfrozen_parameters:
              - ^model.layers.2[0-9].
            gradient_checkpointing: true
            gradient_checkpointing_kwargs:
              use_reentrant: false
            """,
            filename="axolotl.yaml",
        ),
        # Nothing partially frozen: reentrant checkpointing is axolotl's own default then.
        Valid(
            """
            base_model: meta-llama/Llama-3.2-1B
            gradient_checkpointing: true
            gradient_checkpointing_kwargs:
              use_reentrant: true
            """,
            filename="axolotl.yaml",
        ),
    )
    INVALID = (
        Invalid(
            """
            base_model: meta-llama/Llama-3.2-1B
            unfrozen_parameters:
              - ^model.layers.2[0-9].
            gradient_checkpointing: true
            gradient_checkpointing_kwargs:
              use_reentrant: true
            """,
            line=6,
            message_contains="axolotl refuses this config when it validates it",
            filename="axolotl.yaml",
        ),
    )

    @classmethod
    def find(cls, config: ConfigFile) -> Iterator[ConfigFinding]:
        for root in config.document.roots:
            unfrozen = root.get("unfrozen_parameters")
            kwargs = root.get("gradient_checkpointing_kwargs")
            if "base_model" not in (root.entries or {}) or unfrozen is None or kwargs is None:
                continue
            if not unfrozen.items:
                continue
            entry = kwargs.entry("use_reentrant")
            if entry is None or entry[1].value is not True:
                continue
            key, value = entry
            yield cls.at(
                key,
                value,
                "`use_reentrant: true` with `unfrozen_parameters`: reentrant checkpointing gives "
                "a checkpointed layer's parameters a gradient only when its inputs require "
                "grad, and with the embeddings frozen they do not, so the unfrozen parameters "
                "inside checkpointed layers would get none; axolotl refuses this config when it "
                "validates it. Set `use_reentrant: false`",
            )
