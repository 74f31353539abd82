from __future__ import annotations

import libcst as cst

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability
from ftlint.frameworks.peft import (
    REGEX_ONLY,
    TARGET_MODULES,
    joined_entry_message,
    joined_names,
    joined_string_message,
    regex_entry_message,
)
from ftlint.prefilters import ft012_peft_target_modules_string as ft012_prefilter
from ftlint.rules.base import Rule


def _string(node: cst.BaseExpression) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


class PeftTargetModulesString(Rule):
    """
    ## What it does
    Flags a peft config (`LoraConfig`, `LoHaConfig`, `IA3Config`, ... any config imported from
    `peft`) whose `target_modules` is a string of several module names joined by commas or
    spaces (`target_modules="q_proj,v_proj"`), a list with such an entry
    (`["q_proj,v_proj", "o_proj"]`), or a list entry written as a regular expression
    (`[".*q_proj"]`).

    ## Why is this bad?
    peft matches `target_modules` against each module's full dotted name
    (`model.layers.0.self_attn.q_proj`) in two different ways
    ([`check_target_module_exists`](https://github.com/huggingface/peft/blob/v0.21.2/src/peft/tuners/tuners_utils.py)):

    - a **string** is one regular expression that must match the *whole* name
      (`re.fullmatch`); `"q_proj,v_proj"` matches only a module literally named that, which
      no model has;
    - a **list** entry is plain text: the name equals it or ends with `.` + it. An entry
      `"q_proj,v_proj"` or `".*q_proj"` matches nothing.

    A string that matches nothing gets no adapter anywhere: `get_peft_model` raises
    `NoMatchingPeftModuleError` (after the base model has loaded), unless `target_parameters`
    adapts something else. A list entry that matches nothing is silent as long as another entry
    matches: `["q_proj,v_proj", "o_proj"]` puts LoRA on `o_proj` alone and `q_proj` and
    `v_proj` stay frozen base weights. See
    [LoraConfig](https://huggingface.co/docs/peft/package_reference/lora#peft.LoraConfig).

    ## Example
    ```python
    from peft import LoraConfig

    config = LoraConfig(r=8, target_modules="q_proj,v_proj")
    ```

    ## Fix
    List the names. The fix is unsafe: a list entry matches the end of every module name, so
    `["q_proj", "v_proj"]` adapts every `q_proj` in the model (a vision tower's as well), which
    decides which parameters train; check the result with `model.print_trainable_parameters()`:

    ```python
    from peft import LoraConfig

    config = LoraConfig(r=8, target_modules=["q_proj", "v_proj"])
    ```

    A regular expression goes in a string of its own: `target_modules=r".*\\.(q|v)_proj"`.
    """

    code = "FT012"
    name = "peft-target-modules-string"
    summary = "peft `target_modules` entry that can match no module name"
    fix = Applicability.UNSAFE
    required_tokens = (TARGET_MODULES,)
    candidate_pattern = "peft"  # the config is known by its import

    VALID = [
        Valid(
            """
            from peft import LoraConfig

            config = LoraConfig(target_modules=["q_proj", "v_proj"])
            """
        ),
        # One regular expression, and peft's shorthand.
        Valid(
            """
            from peft import LoraConfig

            a = LoraConfig(target_modules=r".*\\.(q_proj|v_proj)")
            b = LoraConfig(target_modules="q_proj|v_proj")
            c = LoraConfig(target_modules="all-linear")
            d = LoraConfig(target_modules=r"layers\\.\\d{1,2}\\.mlp\\..*")
            """
        ),
        # Not peft's config: a project's own may split the string itself.
        Valid(
            """
            from myproject import LoraConfig

            config = LoraConfig(target_modules="q_proj,v_proj")
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from peft import LoraConfig

            config = LoraConfig(r=8, target_modules="q_proj,v_proj")
            """,
            line=3,
            message_contains="no adapter goes to `q_proj` or `v_proj`",
            expected_replacement="""
            from peft import LoraConfig

            config = LoraConfig(r=8, target_modules=["q_proj", "v_proj"])
            """,
        ),
        Invalid(
            """
            import peft

            config = peft.LoraConfig(target_modules=["q_proj, v_proj", "o_proj"])
            """,
            message_contains="the other entries' modules get theirs",
            expected_replacement="""
            import peft

            config = peft.LoraConfig(target_modules=["q_proj", "v_proj", "o_proj"])
            """,
        ),
        Invalid(
            """
            from peft import LoraConfig

            config = LoraConfig(target_modules=[".*q_proj", "v_proj"])
            """,
            message_contains="a list entry is never a regular expression",
        ),
    ]

    prefilter = staticmethod(ft012_prefilter.may_report)

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.file.imports.qualify(node.func)
        if qualified is None or not qualified.startswith("peft."):
            return
        if not qualified.endswith("Config"):
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == TARGET_MODULES:
                self._check(arg.value)

    def _check(self, value: cst.BaseExpression) -> None:
        text = _string(value)
        if text is not None:
            names = joined_names(text)
            if names is not None:
                self._report_joined(value, names, joined_string_message(text, names), list_of=True)
            return
        if not isinstance(value, (cst.List, cst.Tuple, cst.Set)):
            return
        for element in value.elements:
            if isinstance(element, cst.StarredElement):
                continue
            entry = _string(element.value)
            if entry is None:
                continue
            names = joined_names(entry)
            if names is not None:
                self._report_joined(
                    element.value, names, joined_entry_message(entry, names), list_of=False
                )
            elif REGEX_ONLY.search(entry):
                self.report(element.value, regex_entry_message(entry))

    def _report_joined(
        self, node: cst.BaseExpression, names: list[str], message: str, *, list_of: bool
    ) -> None:
        quote = '"'
        if isinstance(node, cst.SimpleString) and node.quote in ("'", "'''"):
            quote = "'"
        items = ", ".join(f"{quote}{name}{quote}" for name in names)
        text = f"[{items}]" if list_of else items
        self.report(
            node,
            message,
            edits=[self.replace(node, text)],
            fix_message=f"Use {text if list_of else '[' + text + ', ...]'}",
        )
