from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from ftlint.analysis.imports import dotted_name
from ftlint.analysis.nodes import is_attribute, is_name, keyword_arg
from ftlint.check import Invalid, Valid
from ftlint.frameworks.transformers import CHECKPOINTING_ENABLE
from ftlint.rules.base import ScopedRule

if TYPE_CHECKING:
    from ftlint.analysis.file import FileAnalysis

USE_REENTRANT = "use_reentrant"
# transformers model classes whose `main_input_name` is not `input_ids` (checked in transformers
# 5.25.0), mapped to it: `activation_checkpointing_enable()` calls `enable_input_require_grads()`
# by itself only for `input_ids` models (or ones with an adapter added by transformers' own
# `add_adapter`), so only these keep inputs that do not require grad.
_MAIN_INPUT = {
    "AutoModelForImageClassification": "pixel_values",
    "AutoModelForSemanticSegmentation": "pixel_values",
    "AutoModelForObjectDetection": "pixel_values",
    "AutoModelForVideoClassification": "pixel_values",
    "AutoModelForAudioClassification": "input_values",
    "AutoModelForCTC": "input_values",
    "AutoModelForSpeechSeq2Seq": "input_features",
    "ViTForImageClassification": "pixel_values",
    "Wav2Vec2ForCTC": "input_values",
    "WhisperForConditionalGeneration": "input_features",
}
# Any of these in the file makes (or may make) the inputs require grad: the file is not judged.
_INPUTS_REQUIRE_GRAD = (
    "enable_input_require_grads",
    "prepare_model_for_kbit_training",
    "register_forward_hook",
    "requires_grad_(",
)


def _is_true(node: cst.BaseExpression) -> bool:
    return is_name(node, "True")


def _reentrant(kwargs: cst.BaseExpression) -> bool:
    """Whether ``kwargs`` is a literal dict that sets ``use_reentrant=True``."""
    if isinstance(kwargs, cst.Dict):
        return any(
            isinstance(element, cst.DictElement)
            and isinstance(element.key, cst.SimpleString)
            and element.key.evaluated_value == USE_REENTRANT
            and _is_true(element.value)
            for element in kwargs.elements
        )
    if isinstance(kwargs, cst.Call) and is_name(kwargs.func, "dict"):
        flag = keyword_arg(kwargs, USE_REENTRANT)
        return flag is not None and _is_true(flag.value)
    return False


@dataclass(frozen=True)
class _Wrap:
    peft: str
    base: str
    main_input: str
    scope: cst.CSTNode | None
    node: cst.Call


@dataclass(frozen=True)
class _Enable:
    names: tuple[str, ...]  # the model it is called on; empty for `TrainingArguments`
    scope: cst.CSTNode | None
    node: cst.Call
    what: str


class ReentrantCheckpointingFrozenInputs(ScopedRule):
    """
    ## What it does
    Flags reentrant gradient checkpointing turned on explicitly (`use_reentrant=True` in
    `gradient_checkpointing_kwargs` / `activation_checkpointing_kwargs`, of the model's
    `gradient_checkpointing_enable()` / `activation_checkpointing_enable()` or of
    `TrainingArguments` used by a `Trainer`) after `get_peft_model()` wrapped a transformers
    model whose main input is not `input_ids` (an image, audio or speech model:
    `AutoModelForImageClassification`, `AutoModelForSpeechSeq2Seq`, `WhisperForConditionalGeneration`,
    ...), in a file that never makes the inputs require grad itself
    (`enable_input_require_grads()`, `prepare_model_for_kbit_training()`, a
    `register_forward_hook` or `requires_grad_()`).

    ## Why is this bad?
    Reentrant checkpointing (`torch.utils.checkpoint.checkpoint(..., use_reentrant=True)`)
    gives a checkpointed layer's output a gradient only when one of its tensor *inputs* requires
    grad; the parameters inside it do not count. With peft the base model is frozen, so the
    hidden states entering the first checkpointed layer do not require grad, nor does anything
    after it: the LoRA adapters inside the checkpointed layers get no gradient and never train,
    while torch only warns `None of the inputs have requires_grad=True. Gradients will be None`.

    What the installed versions do about it (read in transformers 5.25.0 and peft 0.21.2):
    `PreTrainedModel.activation_checkpointing_enable` (which the deprecated
    `gradient_checkpointing_enable` and `Trainer` call) defaults to `{"use_reentrant": False}`
    and calls `enable_input_require_grads()` itself only when `main_input_name == "input_ids"`
    or an adapter was added by transformers' own `add_adapter`; `PeftModel.__init__` calls it
    only when checkpointing was already on before wrapping (and the model is not quantized);
    `prepare_model_for_kbit_training` calls it for quantized models. Text models, the default
    (non-reentrant) and checkpointing turned on before `get_peft_model` are therefore fine and
    not flagged. See
    [modeling_utils.py](https://github.com/huggingface/transformers/blob/main/src/transformers/modeling_utils.py)
    (`activation_checkpointing_enable`, `enable_input_require_grads`),
    [peft_model.py](https://github.com/huggingface/peft/blob/main/src/peft/peft_model.py)
    (`_prepare_model_for_gradient_checkpointing`) and the
    [torch.utils.checkpoint](https://pytorch.org/docs/stable/checkpoint.html) docs.

    ## Example
    ```python
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForImageClassification

    model = AutoModelForImageClassification.from_pretrained("google/vit-base-patch16-224")
    model = get_peft_model(model, LoraConfig(target_modules=["query", "value"]))
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    ```

    ## Fix
    Use non-reentrant checkpointing (the default), or make the inputs require grad:

    ```python
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    # or
    model.enable_input_require_grads()
    ```
    """

    code = "FT015"
    name = "reentrant-checkpointing-frozen-inputs"
    summary = "Reentrant gradient checkpointing on a peft model whose inputs need no grad: adapters get no gradient"
    required_tokens = (USE_REENTRANT,)
    candidate_pattern = r"get_peft_model"

    VALID = [
        # Non-reentrant checkpointing: parameters inside the layer get their gradient.
        Valid(
            """
            from peft import LoraConfig, get_peft_model
            from transformers import AutoModelForImageClassification

            model = AutoModelForImageClassification.from_pretrained("vit")
            model = get_peft_model(model, LoraConfig(target_modules=["query"]))
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            """
        ),
        # The inputs are made to require grad.
        Valid(
            """
            from peft import LoraConfig, get_peft_model
            from transformers import AutoModelForImageClassification

            model = AutoModelForImageClassification.from_pretrained("vit")
            model = get_peft_model(model, LoraConfig(target_modules=["query"]))
            model.enable_input_require_grads()
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
            """
        ),
        # A text model: transformers calls `enable_input_require_grads()` itself.
        Valid(
            """
            from peft import LoraConfig, get_peft_model
            from transformers import AutoModelForCausalLM

            model = AutoModelForCausalLM.from_pretrained("llama")
            model = get_peft_model(model, LoraConfig(target_modules=["q_proj"]))
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from peft import LoraConfig, get_peft_model
            from transformers import AutoModelForImageClassification

            model = AutoModelForImageClassification.from_pretrained("vit")
            model = get_peft_model(model, LoraConfig(target_modules=["query"]))
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
            """,
            line=6,
            message_contains="the LoRA adapters inside the checkpointed layers get no gradient",
        ),
        Invalid(
            """
            from peft import LoraConfig, get_peft_model
            from transformers import Trainer, TrainingArguments, WhisperForConditionalGeneration

            model = WhisperForConditionalGeneration.from_pretrained("openai/whisper-small")
            model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "v_proj"]))
            args = TrainingArguments(
                "out",
                gradient_checkpointing=True,
                gradient_checkpointing_kwargs={"use_reentrant": True},
            )
            Trainer(model=model, args=args, train_dataset=data).train()
            """,
            line=6,
            message_contains="`input_features`",
        ),
    ]

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        # Names bound to a non-`input_ids` transformers model: name, scope -> main input.
        self._loads: dict[tuple[str, cst.CSTNode | None], str] = {}
        self._wraps: list[_Wrap] = []
        self._enables: list[_Enable] = []
        self._trainers: list[cst.Call] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1 or not is_name(node.targets[0].target):
            return
        target = node.targets[0].target.value
        call = node.value
        if not isinstance(call, cst.Call):
            return
        if is_attribute(call.func, "from_pretrained"):
            qualified = self.file.imports.qualify(call.func.value) or ""
            main_input = _MAIN_INPUT.get(qualified.rpartition(".")[2])
            if qualified.startswith("transformers.") and main_input is not None:
                self._loads[(target, self.scope)] = main_input
            return
        if self.file.imports.qualify(call.func) not in ("peft.get_peft_model",):
            return
        if not call.args or call.args[0].keyword is not None or not is_name(call.args[0].value):
            return
        base = call.args[0].value.value
        main_input = self._loads.get((base, self.scope))
        if main_input is not None:
            self._wraps.append(_Wrap(target, base, main_input, self.scope, call))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in CHECKPOINTING_ENABLE
            and is_name(func.value)
        ):
            kwargs = keyword_arg(node, CHECKPOINTING_ENABLE[func.attr.value])
            if kwargs is not None and _reentrant(kwargs.value):
                what = f"`{dotted_name(func)}` with `{USE_REENTRANT}=True`"
                self._enables.append(_Enable((func.value.value,), self.scope, node, what))
            return
        qualified = self.file.imports.qualify(func) or ""
        if not qualified.startswith("transformers."):
            return
        last = qualified.rpartition(".")[2]
        if last.endswith("Trainer"):
            self._trainers.append(node)
        elif last in ("TrainingArguments", "Seq2SeqTrainingArguments"):
            flag = keyword_arg(node, "activation_checkpointing") or keyword_arg(
                node, "gradient_checkpointing"
            )
            kwargs = keyword_arg(node, "activation_checkpointing_kwargs") or keyword_arg(
                node, "gradient_checkpointing_kwargs"
            )
            if (
                flag is not None
                and _is_true(flag.value)
                and kwargs is not None
                and _reentrant(kwargs.value)
            ):
                what = f"`{last}` with `{USE_REENTRANT}=True`, used by a `Trainer`"
                self._enables.append(_Enable((), self.scope, node, what))

    def leave_Module(self, original_node: cst.Module) -> None:
        if not self._wraps or any(t in self.file.source.text for t in _INPUTS_REQUIRE_GRAD):
            return
        for enable in self._enables:
            wrap = self._wrap_before(enable)
            if wrap is not None:
                self._report(enable, wrap)

    def _wrap_before(self, enable: _Enable) -> _Wrap | None:
        for wrap in self._wraps:
            wrapped = self._at(wrap.node)
            if enable.names:
                if (
                    wrap.scope is enable.scope
                    and (wrap.peft in enable.names or wrap.base in enable.names)
                    and self._at(enable.node) > wrapped
                ):
                    return wrap
            elif any(self._at(trainer) > wrapped for trainer in self._trainers):
                return wrap
        return None

    def _report(self, enable: _Enable, wrap: _Wrap) -> None:
        self.report(
            enable.node,
            f"{enable.what} checkpoints `{wrap.peft}`, wrapped by `get_peft_model` at "
            f"{self.where(wrap.node)}, whose main input `{wrap.main_input}` does not require "
            f"grad and whose base weights are frozen: reentrant checkpointing then gives no "
            f"layer output a gradient, so the LoRA adapters inside the checkpointed layers get "
            f"no gradient and never train (torch only warns). Use `{USE_REENTRANT}=False` (the "
            f"default) or call `{wrap.peft}.enable_input_require_grads()`",
        )

    def _at(self, node: cst.CSTNode) -> tuple[int, int]:
        where = self.position(node).start
        return (where.line, where.column)
