from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from ftlint.analysis.imports import dotted_name
from ftlint.analysis.nodes import is_name, keyword_arg
from ftlint.check import Invalid, Valid
from ftlint.frameworks.transformers import CHECKPOINTING_ENABLE
from ftlint.prefilters import ft017_checkpointing_kwargs_overridden as ft017_prefilter
from ftlint.prefilters.ft017_checkpointing_kwargs_overridden import FLAGS
from ftlint.rules.base import Scope, ScopedRule

if TYPE_CHECKING:
    from ftlint.analysis.file import FileAnalysis

_ARGUMENT_CLASSES = ("TrainingArguments", "Seq2SeqTrainingArguments")
_KWARGS = ("activation_checkpointing_kwargs", "gradient_checkpointing_kwargs")


@dataclass(frozen=True)
class _Enable:
    model: str
    scope: Scope
    node: cst.Call
    method: str
    kwargs: cst.BaseExpression


def _argument(call: cst.Call, keyword: str, position: int) -> cst.BaseExpression | None:
    found = keyword_arg(call, keyword)
    if found is not None:
        return found.value
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return positional[position].value if len(positional) > position else None


def _empty(kwargs: cst.BaseExpression) -> bool:
    """``None``, ``{}`` or ``dict()``: nothing that the Trainer's re-enabling could drop."""
    return (
        is_name(kwargs, "None")
        or (isinstance(kwargs, cst.Dict) and not kwargs.elements)
        or (isinstance(kwargs, cst.Call) and is_name(kwargs.func, "dict") and not kwargs.args)
    )


class CheckpointingKwargsOverridden(ScopedRule):
    """
    ## What it does
    Flags `model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=...)` (or
    `activation_checkpointing_enable(activation_checkpointing_kwargs=...)`) on a model that a
    transformers `Trainer` then trains with `TrainingArguments(gradient_checkpointing=True)` (or
    `activation_checkpointing=True`) that has no checkpointing kwargs of its own.

    ## Why is this bad?
    When training starts, the `Trainer` turns checkpointing on again from its arguments
    (`model.activation_checkpointing_enable(activation_checkpointing_kwargs=<the
    TrainingArguments' kwargs>)`, read in transformers 5.25.0's `Trainer._inner_training_loop`):
    with none given, every checkpointed layer gets transformers' default instead of the kwargs
    passed to the model. The default is `use_reentrant=False` from transformers 5.0 and
    `use_reentrant=True` in 4.x, where a peft model whose inputs do not require grad (no
    `enable_input_require_grads()`) then gives its adapters no gradient. Any other setting
    (`preserve_rng_state`, `determinism_check`, `use_reentrant=True` chosen on purpose) is
    dropped the same way, without a warning.

    ## Example
    ```python
    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

    model = AutoModelForCausalLM.from_pretrained("gpt2")
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    args = TrainingArguments("out", gradient_checkpointing=True)
    Trainer(model=model, args=args, train_dataset=data).train()
    ```

    ## Fix
    Give the kwargs to `TrainingArguments`, which the `Trainer` passes on:

    ```python
    args = TrainingArguments(
        "out",
        gradient_checkpointing=True,
        gradient_checkpointing_kwargs={"use_reentrant": False},
    )
    ```
    """

    code = "FT017"
    name = "checkpointing-kwargs-overridden"
    summary = "Checkpointing kwargs given to the model are replaced by the Trainer's defaults"
    required_tokens = ("checkpointing_kwargs",)
    candidate_pattern = r"Trainer"

    VALID = [
        # The kwargs go to TrainingArguments: the Trainer passes them on.
        Valid(
            """
            from transformers import Trainer, TrainingArguments

            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            args = TrainingArguments(
                "out", gradient_checkpointing=True, gradient_checkpointing_kwargs={"use_reentrant": False}
            )
            Trainer(model=model, args=args).train()
            """
        ),
        # The Trainer does not checkpoint: the model's own settings stay.
        Valid(
            """
            from transformers import Trainer, TrainingArguments

            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            Trainer(model=model, args=TrainingArguments("out")).train()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from transformers import Trainer, TrainingArguments

            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            args = TrainingArguments("out", gradient_checkpointing=True)
            Trainer(model=model, args=args).train()
            """,
            line=3,
            message_contains="turns checkpointing on again",
        ),
        Invalid(
            """
            import transformers

            def train(model, data):
                model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": True})
                trainer = transformers.Trainer(
                    model, transformers.TrainingArguments("out", activation_checkpointing=True), train_dataset=data
                )
                trainer.train()
            """,
            line=4,
        ),
    ]

    prefilter = staticmethod(ft017_prefilter.may_report)

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        self._enables: list[_Enable] = []
        # TrainingArguments that checkpoint with no kwargs: the calls, and the names bound to them.
        self._arguments: set[cst.Call] = set()
        self._argument_names: dict[tuple[str, Scope], cst.Call] = {}
        self._trainers: list[tuple[cst.Call, str, cst.BaseExpression, Scope]] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        if (
            len(node.targets) == 1
            and is_name(node.targets[0].target)
            and isinstance(node.value, cst.Call)
            and self._checkpointing_without_kwargs(node.value)
        ):
            self._argument_names[(node.targets[0].target.value, self.scope)] = node.value

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in CHECKPOINTING_ENABLE:
            model = dotted_name(func.value)
            kwargs = keyword_arg(node, CHECKPOINTING_ENABLE[func.attr.value])
            if model is not None and kwargs is not None and not _empty(kwargs.value):
                self._enables.append(
                    _Enable(model, self.scope, node, func.attr.value, kwargs.value)
                )
            return
        if self._checkpointing_without_kwargs(node):
            self._arguments.add(node)
            return
        qualified = self.file.imports.qualify(func) or ""
        if qualified.startswith("transformers.") and qualified.endswith("Trainer"):
            trained = _argument(node, "model", 0)
            arguments = _argument(node, "args", 1)
            name = None if trained is None else dotted_name(trained)
            if name is not None and arguments is not None:
                self._trainers.append((node, name, arguments, self.scope))

    def _checkpointing_without_kwargs(self, call: cst.Call) -> bool:
        qualified = self.file.imports.qualify(call.func) or ""
        if not qualified.startswith("transformers.") or not qualified.endswith(_ARGUMENT_CLASSES):
            return False
        flag = next((f for f in (keyword_arg(call, k) for k in FLAGS) if f is not None), None)
        return (
            flag is not None
            and is_name(flag.value, "True")
            and all(keyword_arg(call, k) is None for k in _KWARGS)
        )

    def leave_Module(self, original_node: cst.Module) -> None:
        for enable in self._enables:
            for trainer, model, arguments, scope in self._trainers:
                if model != enable.model or scope is not enable.scope:
                    continue
                if self._at(trainer) < self._at(enable.node):
                    continue
                built = self._resolve(arguments, scope)
                if built is not None:
                    self._report(enable, trainer, built)
                    break

    def _resolve(self, arguments: cst.BaseExpression, scope: Scope) -> cst.Call | None:
        if isinstance(arguments, cst.Call):
            return arguments if arguments in self._arguments else None
        if is_name(arguments):
            return self._argument_names.get((arguments.value, scope))
        return None

    def _report(self, enable: _Enable, trainer: cst.Call, arguments: cst.Call) -> None:
        flag = next(k for k in FLAGS if keyword_arg(arguments, k) is not None)
        kwargs = self.file.module.code_for_node(enable.kwargs)
        self.report(
            enable.node,
            f"`{enable.model}.{enable.method}(...)` is undone: the `Trainer` at"
            f" {self.where(trainer)} turns checkpointing on again when training starts, because"
            f" of `{flag}=True` at {self.where(arguments)}, and with no `{flag}_kwargs` there it"
            f" uses transformers' default instead of {kwargs} (`use_reentrant=False` from"
            " transformers 5.0; `use_reentrant=True` in 4.x, where the adapters of a peft model"
            " whose inputs do not require grad get no gradient). Pass the kwargs as"
            f" `TrainingArguments({flag}_kwargs=...)`",
        )

    def _at(self, node: cst.CSTNode) -> tuple[int, int]:
        where = self.position(node).start
        return (where.line, where.column)
