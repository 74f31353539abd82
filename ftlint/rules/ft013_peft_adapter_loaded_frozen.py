from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import CodeRange

from ftlint.analysis.imports import dotted_name
from ftlint.analysis.nodes import find_all, is_attribute, is_name
from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability
from ftlint.prefilters import ft013_peft_adapter_loaded_frozen as ft013_prefilter
from ftlint.prefilters.ft013_peft_adapter_loaded_frozen import UNFREEZING, is_peft_model_class
from ftlint.rules.base import ScopedRule

if TYPE_CHECKING:
    from ftlint.analysis.file import FileAnalysis

IS_TRAINABLE = "is_trainable"


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


@dataclass(frozen=True)
class _Use:
    name: str
    scope: cst.CSTNode | None
    node: cst.CSTNode
    what: str


class PeftAdapterLoadedFrozen(ScopedRule):
    """
    ## What it does
    Flags `PeftModel.from_pretrained(...)` (or a `PeftModelFor...`/`AutoPeftModelFor...` class)
    without `is_trainable=True` whose result is then trained in the same function: passed as the
    model of a transformers or TRL `...Trainer`, or its `.parameters()` given to a
    `torch.optim` optimizer. A file that unfreezes anything itself (`requires_grad`,
    `set_adapter`, `load_adapter`, `add_adapter`, `get_peft_model`) is not judged.

    ## Why is this bad?
    `is_trainable` defaults to `False`: peft loads the adapter in inference mode
    (`config.inference_mode = not is_trainable`), freezes the base model as always, freezes the
    adapter weights too and calls `.eval()`
    ([`PeftModel.from_pretrained`](https://huggingface.co/docs/peft/package_reference/peft_model#peft.PeftModel.from_pretrained)).
    No parameter requires grad, so "continuing training" from a saved adapter either stops at
    the first backward (`element 0 of tensors does not require grad`) or, when the inputs
    require grad (gradient checkpointing with `enable_input_require_grads()`), runs to the end
    and updates nothing.

    ## Example
    ```python
    from peft import PeftModel
    from transformers import Trainer

    model = PeftModel.from_pretrained(base, "out/checkpoint-500")
    Trainer(model=model, args=args, train_dataset=train).train()
    ```

    ## Fix
    Load it trainable (an unsafe fix: the adapter weights then train, and the model starts in
    train mode):

    ```python
    model = PeftModel.from_pretrained(base, "out/checkpoint-500", is_trainable=True)
    ```
    """

    code = "FT013"
    name = "peft-adapter-loaded-frozen"
    summary = "Adapter loaded without `is_trainable=True` is then trained: nothing updates"
    fix = Applicability.UNSAFE
    required_tokens = ("from_pretrained",)
    candidate_pattern = r"Peft"  # `PeftModel`, `AutoPeftModelForCausalLM`, imported from peft

    VALID = [
        Valid(
            """
            from peft import PeftModel
            from transformers import Trainer

            model = PeftModel.from_pretrained(base, "adapter", is_trainable=True)
            Trainer(model=model, args=args).train()
            """
        ),
        # Loaded for inference: never trained.
        Valid(
            """
            from peft import PeftModel

            model = PeftModel.from_pretrained(base, "adapter")
            model = model.merge_and_unload()
            outputs = model.generate(**inputs)
            """
        ),
        # Unfrozen by hand before training.
        Valid(
            """
            import torch
            from peft import PeftModel

            model = PeftModel.from_pretrained(base, "adapter")
            for name, p in model.named_parameters():
                p.requires_grad = "lora_" in name
            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from peft import PeftModel
            from transformers import Trainer

            model = PeftModel.from_pretrained(base, "out/checkpoint-500")
            Trainer(model=model, args=args, train_dataset=train).train()
            """,
            line=4,
            message_contains="every parameter is frozen, the adapter's included",
            expected_replacement="""
            from peft import PeftModel
            from transformers import Trainer

            model = PeftModel.from_pretrained(base, "out/checkpoint-500", is_trainable=True)
            Trainer(model=model, args=args, train_dataset=train).train()
            """,
        ),
        Invalid(
            """
            import torch
            from peft import AutoPeftModelForCausalLM

            def train(path):
                model = AutoPeftModelForCausalLM.from_pretrained(path, is_trainable=False)
                model.train()
                optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
            """,
            line=5,
            message_contains="`torch.optim.AdamW(model.parameters(), ...)` at line 7",
            expected_replacement="""
            import torch
            from peft import AutoPeftModelForCausalLM

            def train(path):
                model = AutoPeftModelForCausalLM.from_pretrained(path, is_trainable=True)
                model.train()
                optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
            """,
        ),
    ]

    prefilter = staticmethod(ft013_prefilter.may_report)

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        self._loads: list[tuple[str, cst.CSTNode | None, cst.Call]] = []
        self._uses: list[_Use] = []
        # Every other mention of a name: rebinding it or passing it on ends what is known.
        self._rebinds: list[tuple[str, cst.CSTNode | None, cst.CSTNode]] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            for name in find_all(target.target, lambda n: isinstance(n, cst.Name)):
                assert isinstance(name, cst.Name)
                self._rebinds.append((name.value, self.scope, node))
        if len(node.targets) != 1 or not is_name(node.targets[0].target):
            return
        call = node.value
        if not isinstance(call, cst.Call) or not is_attribute(call.func, "from_pretrained"):
            return
        if not is_peft_model_class(self.file.imports.qualify(call.func.value)):
            return
        if any(arg.star == "**" for arg in call.args):
            return
        flag = _keyword(call, IS_TRAINABLE)
        if flag is not None and not is_name(flag.value, "False"):
            return
        self._loads.append((node.targets[0].target.value, self.scope, call))

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.file.imports.qualify(node.func) or ""
        if qualified.startswith(("transformers.", "trl.")) and qualified.endswith("Trainer"):
            model = _keyword(node, "model")
            if model is None and node.args and node.args[0].keyword is None:
                model = node.args[0]
            if model is not None and is_name(model.value) and _keyword(node, "peft_config") is None:
                what = f"`{dotted_name(node.func)}(model={model.value.value}, ...)`"
                self._uses.append(_Use(model.value.value, self.scope, node, what))
                return
        if qualified.startswith("torch.optim.") and node.args:
            params = _keyword(node, "params") or node.args[0]
            value = params.value
            if (
                isinstance(value, cst.Call)
                and not value.args
                and is_attribute(value.func, "parameters")
                and is_name(value.func.value)
            ):
                name = value.func.value.value
                what = f"`{dotted_name(node.func)}({name}.parameters(), ...)`"
                self._uses.append(_Use(name, self.scope, node, what))
                return
        for arg in node.args:
            if is_name(arg.value):
                self._rebinds.append((arg.value.value, self.scope, node))

    def leave_Module(self, original_node: cst.Module) -> None:
        if not self._loads or any(token in self.file.source.text for token in UNFREEZING):
            return
        for name, scope, call in self._loads:
            start = self._at(call, end=True)
            after = [
                use
                for use in self._uses
                if use.name == name and use.scope is scope and self._at(use.node) > start
            ]
            if not after:
                continue
            use = min(after, key=lambda u: self._at(u.node))
            used_at = self._at(use.node)
            if any(
                other == name and other_scope is scope and start < self._at(node) < used_at
                for other, other_scope, node in self._rebinds
            ):
                continue
            self._report(call, use)

    def _report(self, call: cst.Call, use: _Use) -> None:
        flag = _keyword(call, IS_TRAINABLE)
        message = (
            f"`{dotted_name(call.func)}` loads the adapter in inference mode "
            f"(`{IS_TRAINABLE}` defaults to `False`), so every parameter is frozen, the "
            f"adapter's included, yet `{use.name}` is trained: {use.what} at "
            f"{self.where(use.node)}; training fails at the first backward or updates nothing. "
            f"Pass `{IS_TRAINABLE}=True`"
        )
        if flag is not None:
            self.report(
                call,
                message,
                edits=[self.replace(flag.value, "True")],
                fix_message=f"Pass `{IS_TRAINABLE}=True`",
            )
            return
        last = call.args[-1]
        comma = last.comma
        text = f"{IS_TRAINABLE}=True"
        # Insert after the last argument, keeping a trailing comma where one was written.
        if isinstance(comma, cst.Comma):
            edit = self.file.edit(self._after(comma), f" {text},")
        else:
            edit = self.file.edit(self._after(last), f", {text}")
        self.report(call, message, edits=[edit], fix_message=f"Pass `{IS_TRAINABLE}=True`")

    def _at(self, node: cst.CSTNode, *, end: bool = False) -> tuple[int, int]:
        where = self.position(node).end if end else self.position(node).start
        return (where.line, where.column)

    def _after(self, node: cst.CSTNode) -> CodeRange:
        end = self.position(node).end
        return CodeRange(end, end)
