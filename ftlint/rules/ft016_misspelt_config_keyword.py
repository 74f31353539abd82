from __future__ import annotations

import libcst as cst

from ftlint.analysis.freeze_settings import FREEZE_SETTINGS, meant_setting
from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability
from ftlint.rules.base import Rule


def _config_call(qualified: str) -> str | None:
    """What a transformers call builds a config with, if it does: ``LlamaConfig(...)``,
    ``LlamaConfig.from_pretrained(...)``, ``AutoConfig.from_pretrained(...)``."""
    if not qualified.startswith("transformers."):
        return None
    *_, owner, last = qualified.split(".")
    if last.endswith("Config") and last != "BitsAndBytesConfig":
        return f"{last}()"
    if last in ("from_pretrained", "for_model") and owner.endswith("Config"):
        return f"{owner}.{last}()"
    return None


class MisspeltConfigKeyword(Rule):
    """
    ## What it does
    Flags a keyword argument of a transformers config (`LlamaConfig(...)`,
    `AutoConfig.from_pretrained(...)`, any `*Config` imported from `transformers`) that is one or
    two characters off a setting that decides which weights train: `tie_word_embedding=` for
    `tie_word_embeddings=`, `freeze_backbone_batch_norm=` for `freeze_backbone_batch_norms=`,
    `freeze_vision_layer=` for `freeze_vision_layers=` (IDEFICS), ...

    ## Why is this bad?
    A transformers config keeps any keyword it does not know as a plain attribute
    (`LlamaConfig(tie_word_embedding=False)` sets `config.tie_word_embedding`), and
    `AutoConfig.from_pretrained` drops it: neither warns. The real setting keeps its default or
    the checkpoint's value, so the model ties, freezes or trains what the code says it should
    not: with tied embeddings, `lm_head` trains whenever the embeddings do and freezing one
    freezes both.

    (`AutoModelFor*.from_pretrained(..., tie_word_embedding=False)` is not flagged: transformers
    5 passes the unknown keyword on to the model's `__init__`, which raises `TypeError`.)

    ## Example
    ```python
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained("Qwen/Qwen2.5-0.5B", tie_word_embedding=False)
    ```

    ## Fix
    Spell the setting as the config class does. The fix is unsafe: it changes which weights are
    tied or frozen, which is what the code asked for.

    ```python
    config = AutoConfig.from_pretrained("Qwen/Qwen2.5-0.5B", tie_word_embeddings=False)
    ```
    """

    code = "FT016"
    name = "misspelt-config-keyword"
    summary = "Misspelt freeze-relevant keyword that a transformers config silently keeps"
    fix = Applicability.UNSAFE
    required_tokens = ("Config",)
    candidate_pattern = "transformers"  # the config is known by its import
    candidate_shape = "misspelt-freeze-keyword"

    VALID = [
        Valid(
            """
            from transformers import AutoConfig, LlamaConfig

            a = LlamaConfig(tie_word_embeddings=False)
            b = AutoConfig.from_pretrained("gpt2", tie_word_embeddings=False)
            """
        ),
        # Not transformers' config, and a keyword far from every freeze setting.
        Valid(
            """
            from myproject import ModelConfig
            from transformers import LlamaConfig

            a = ModelConfig(tie_word_embedding=False)
            b = LlamaConfig(tie_embedding=False, word_embeddings=4)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from transformers import AutoConfig

            config = AutoConfig.from_pretrained("Qwen/Qwen2.5-0.5B", tie_word_embedding=False)
            """,
            line=3,
            message_contains="`tie_word_embedding` is not a setting of AutoConfig.from_pretrained()",
            expected_replacement="""
            from transformers import AutoConfig

            config = AutoConfig.from_pretrained("Qwen/Qwen2.5-0.5B", tie_word_embeddings=False)
            """,
        ),
        Invalid(
            """
            import transformers

            config = transformers.RTDetrConfig(freeze_backbone_batch_norm=False)
            """,
            message_contains="BatchNorm layers stay replaced by frozen ones",
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.file.imports.qualify(node.func)
        call = None if qualified is None else _config_call(qualified)
        if call is None:
            return
        for arg in node.args:
            if arg.keyword is None:
                continue
            meant = meant_setting(arg.keyword.value)
            if meant is None:
                continue
            self.report(
                arg.keyword,
                f"`{arg.keyword.value}` is not a setting of {call}: transformers accepts it without"
                f" a warning and `{meant}` is not set, so"
                f" {FREEZE_SETTINGS[meant]}",
                replacement=cst.Name(meant),
                fix_message=f"Use `{meant}=`",
            )
