from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import CodePosition, CodeRange

from ftlint.analysis.imports import dotted_name
from ftlint.analysis.nodes import one_line
from ftlint.analysis.parts import ModelLoops, Part, comprehension_clauses, is_within
from ftlint.analysis.tensors import (
    RequiresGradSetting,
    assigned_requires_grad,
    called_requires_grad,
)
from ftlint.check import Invalid, Valid
from ftlint.rules.base import Scope, ScopedRule

if TYPE_CHECKING:
    from ftlint.analysis.file import FileAnalysis

PREPARE = "prepare_model_for_kbit_training"
# Where peft defines and exports it.
_PREPARE_NAMES = frozenset(
    f"peft.{module}{PREPARE}" for module in ("", "utils.", "utils.other.")
)



@dataclass(frozen=True)
class _Setting:
    setting: RequiresGradSetting
    part: Part
    scope: Scope


@dataclass(frozen=True)
class _Prepare:
    call: cst.Call
    model: str  # the dotted path of the prepared model
    scope: Scope


@dataclass(frozen=True)
class _Rebind:
    path: str
    node: cst.CSTNode
    scope: Scope


def _argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [arg for arg in call.args if arg.keyword is None]
    if any(arg.star for arg in positional[: position + 1]):
        return None
    return positional[position].value if len(positional) > position else None


def _targets(node: cst.BaseExpression) -> list[str]:
    """The dotted names a target binds: `model`, `self.model`, each name of a tuple."""
    if isinstance(node, (cst.Tuple, cst.List)):
        return [path for element in node.elements for path in _targets(element.value)]
    if isinstance(node, cst.StarredElement):
        return _targets(node.value)
    path = dotted_name(node)
    return [] if path is None else [path]


def _key(position: CodePosition) -> tuple[int, int]:
    return (position.line, position.column)


def _inside(inner: CodeRange, outer: CodeRange) -> bool:
    return _key(outer.start) <= _key(inner.start) and _key(inner.end) <= _key(outer.end)


class RequiresGradBeforeKbitPrep(ScopedRule):
    """
    ## What it does
    Flags parameters made trainable (`p.requires_grad = True`, `requires_grad_()`,
    `model.lm_head.requires_grad_(True)`, a loop over `model.parameters()` or
    `model.named_parameters()` that sets `requires_grad` from a condition) before peft's
    `prepare_model_for_kbit_training(model)` is called on the same model in the same function
    (or at module level), with the model's name not rebound in between. Changes after it, on
    another model, in exclusive `if`/`else` branches, or with `prepare_model_for_kbit_training`
    called in another function are not judged. Plain freezes (`requires_grad = False`) are not
    flagged: `prepare_model_for_kbit_training` freezes them again, to the same effect.

    ## Why is this bad?
    [`prepare_model_for_kbit_training`](https://github.com/huggingface/peft/blob/main/src/peft/utils/other.py)
    starts by setting `param.requires_grad = False` on every parameter of
    `model.named_parameters()` ("freeze base model's layers"); then it casts the fp16/bf16
    parameters that are not 4-bit to fp32 and, for a quantized model, enables gradient
    checkpointing and makes the inputs require grad (`enable_input_require_grads()`). Whatever
    was unfrozen before it (a head, the embeddings, the layer norms) is frozen again: it does not
    train, and only an adapter added afterwards (`get_peft_model`) does. `get_peft_model`
    freezes every non-adapter parameter once more, so the change has to come after both, or be
    asked of peft through `modules_to_save`
    ([peft docs](https://huggingface.co/docs/peft/developer_guides/quantization)).

    ## Example
    ```python
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    model.lm_head.requires_grad_(True)
    model = prepare_model_for_kbit_training(model)
    model = get_peft_model(model, LoraConfig(r=8, target_modules=["q_proj", "v_proj"]))
    ```

    ## Fix
    Let peft train the module through the adapter config, or unfreeze it after both calls:

    ```python
    model = prepare_model_for_kbit_training(model)
    config = LoraConfig(r=8, target_modules=["q_proj", "v_proj"], modules_to_save=["lm_head"])
    model = get_peft_model(model, config)
    ```
    """

    code = "FT014"
    name = "requires-grad-before-kbit-prep"
    summary = "Parameters unfrozen before `prepare_model_for_kbit_training` are frozen again by it"
    required_tokens = (PREPARE,)
    candidate_pattern = r"requires_grad"

    VALID = [
        # Unfrozen after the preparation (and after `get_peft_model`).
        Valid(
            """
            from peft import get_peft_model, prepare_model_for_kbit_training

            model = prepare_model_for_kbit_training(model)
            model = get_peft_model(model, config)
            model.lm_head.requires_grad_(True)
            """
        ),
        # Another model is unfrozen.
        Valid(
            """
            from peft import prepare_model_for_kbit_training

            teacher.lm_head.requires_grad_(True)
            student = prepare_model_for_kbit_training(student)
            """
        ),
        # A freeze is what the preparation does anyway.
        Valid(
            """
            from peft import prepare_model_for_kbit_training

            for p in model.parameters():
                p.requires_grad = False
            model = prepare_model_for_kbit_training(model)
            """
        ),
        # The preparation runs in a function that never sees the unfrozen model.
        Valid(
            """
            from peft import prepare_model_for_kbit_training

            def load(path):
                model = AutoModelForCausalLM.from_pretrained(path, load_in_4bit=True)
                return prepare_model_for_kbit_training(model)

            model.lm_head.requires_grad_(True)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

            model.lm_head.requires_grad_(True)
            model = prepare_model_for_kbit_training(model)
            model = get_peft_model(model, LoraConfig(r=8, target_modules=["q_proj", "v_proj"]))
            """,
            line=3,
            message_contains="so `model.lm_head.requires_grad_(True)` here is undone",
        ),
        Invalid(
            """
            import peft

            def build(model, args):
                for name, param in model.named_parameters():
                    if "embed_tokens" in name:
                        param.requires_grad = True
                model = peft.prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
                return model
            """,
            line=6,
            message_contains="the parameters of `model` it picks will not train",
        ),
    ]

    class_scopes = True  # `self.head` in one class is not `self.head` in another

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        self._loops = ModelLoops()
        self._settings: list[_Setting] = []
        self._prepares: list[_Prepare] = []
        self._rebinds: list[_Rebind] = []
        self._branches: list[tuple[CodeRange, CodeRange]] = []  # each `if`: body, else


    # Loops.

    def visit_For(self, node: cst.For) -> None:
        self._loops.enter(node.target, node.iter)
        self._rebound(node.target, node)

    def leave_For(self, original_node: cst.For) -> None:
        self._loops.leave()

    def _enter_comprehension(self, node: cst.BaseComp | cst.DictComp) -> None:
        for clause in comprehension_clauses(node):
            self._loops.enter(clause.target, clause.iter)

    def _leave_comprehension(self, node: cst.BaseComp | cst.DictComp) -> None:
        for _ in comprehension_clauses(node):
            self._loops.leave()

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._enter_comprehension(node)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self._leave_comprehension(original_node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._enter_comprehension(node)

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._leave_comprehension(original_node)

    def visit_If(self, node: cst.If) -> None:
        if node.orelse is not None:
            self._branches.append((self.position(node.body), self.position(node.orelse)))

    # What is set, prepared and rebound.

    def _rebound(self, target: cst.BaseExpression, node: cst.CSTNode) -> None:
        for path in _targets(target):
            self._rebinds.append(_Rebind(path, node, self.scope))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._rebound(target.target, node)
        for setting in assigned_requires_grad(node):
            self._record(setting)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._rebound(node.target, node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._rebound(node.target, node)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._rebound(node.asname.name, node)

    def visit_Expr(self, node: cst.Expr) -> None:
        setting = called_requires_grad(node)
        if setting is not None:
            self._record(setting)

    def _record(self, setting: RequiresGradSetting) -> None:
        if setting.requested is False:
            return  # a freeze: the preparation freezes it again, to the same effect
        part = self._loops.part_of(setting.receiver)
        if part is not None:
            self._settings.append(_Setting(setting, part, self.scope))

    def visit_Call(self, node: cst.Call) -> None:
        if self.file.imports.qualify(node.func) not in _PREPARE_NAMES:
            return
        model = _argument(node, 0, "model")
        path = None if model is None else dotted_name(model)
        if path is not None:
            self._prepares.append(_Prepare(node, path, self.scope))

    # Verdict.

    def leave_Module(self, original_node: cst.Module) -> None:
        for setting in self._settings:
            prepare = next(
                (p for p in self._prepares if self._undoes(p, setting)),
                None,
            )
            if prepare is not None:
                self._report(setting, prepare)

    def _undoes(self, prepare: _Prepare, setting: _Setting) -> bool:
        """Whether ``prepare`` runs on the model ``setting`` changed, after it."""
        if prepare.scope is not setting.scope or not is_within(setting.part.path, prepare.model):
            return False
        changed = self.position(setting.setting.statement)
        called = self.position(prepare.call)
        start, end = _key(changed.end), _key(called.start)
        if not start <= end:
            return False
        if any(
            (_inside(changed, body) and _inside(called, orelse))
            or (_inside(changed, orelse) and _inside(called, body))
            for body, orelse in self._branches
        ):
            return False  # exclusive branches
        for rebind in self._rebinds:
            if rebind.scope is not prepare.scope or not is_within(prepare.model, rebind.path):
                continue
            where = self.position(rebind.node)
            if start < _key(where.start) < end and not _inside(called, where):
                return False  # another model by then (`model = prepare_model_...(model)` is not)
        return True

    def _report(self, setting: _Setting, prepare: _Prepare) -> None:
        code = self.file.module.code_for_node
        statement = one_line(code(setting.setting.statement), None)
        more = ", ..." if len(prepare.call.args) > 1 else ""
        called = f"{dotted_name(prepare.call.func)}({prepare.model}{more})"
        part = setting.part
        if not part.exact:
            result = f"the parameters of `{part.path}` it picks will not train"
        elif part.path == prepare.model:
            result = f"no parameter of `{part.path}` will train, only an adapter added after"
        else:
            result = f"`{part.path}` will not train"
        self.report(
            setting.setting.statement,
            f"`{called}` at {self.where(prepare.call)} sets `requires_grad = False` on every "
            f"parameter of `{prepare.model}`, so `{statement}` here is undone: {result}. Change"
            f" `requires_grad` after `{PREPARE}` (and after `get_peft_model`, "
            "which freezes the base model again), or name the module in the peft config's "
            "`modules_to_save`",
        )
