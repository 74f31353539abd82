from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from ftlint.analysis.file import FileAnalysis
from ftlint.analysis.imports import dotted_name
from ftlint.analysis.nodes import find_all, is_attribute, is_call, is_name, one_line
from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability
from ftlint.frameworks.lightning import (
    BACKBONE_FINETUNING,
    BASE_FINETUNING,
    ignored_train_bn_message,
)
from ftlint.prefilters import ft002_ignored_train_bn as ft002_prefilter
from ftlint.rules.base import Rule

# `BackboneFinetuning.__init__`'s parameters before `train_bn`, for positional calls.
_TRAIN_BN_POSITION = 6
_DEFAULT_UNFREEZE_EPOCH = "10"
# `unfreeze_and_add_param_group(modules, optimizer, lr, initial_denom_lr, train_bn)`.
_UNFREEZE_TRAIN_BN_POSITION = 4


@dataclass
class _ClassInfo:
    node: cst.ClassDef
    bases: list[str] = field(default_factory=list)  # qualified (imported) or local names
    freeze_calls: list[cst.Call] = field(default_factory=list)  # in freeze_before_training
    overrides_freeze_before_training: bool = False
    stores_train_bn: bool = False
    accepts_train_bn: bool = False  # its `__init__` has a `train_bn` parameter
    # `train_bn` values its `unfreeze_and_add_param_group(...)` calls pass, with the calls.
    unfreeze_train_bn: list[tuple[cst.Call, cst.BaseExpression]] = field(default_factory=list)


def _train_bn_argument(call: cst.Call, position: int) -> cst.Arg | None:
    """The argument that gives ``train_bn``: its keyword, or the positional one at ``position``."""
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "train_bn":
            return arg
    return positional[position] if len(positional) > position else None


def _unfreeze_calls(node: cst.ClassDef) -> list[tuple[cst.Call, cst.BaseExpression]]:
    """``self.unfreeze_and_add_param_group(...)`` calls that pass ``train_bn``, with its value."""
    found = []
    for call in find_all(
        node, lambda n: is_call(n) and is_attribute(n.func, "unfreeze_and_add_param_group")
    ):
        assert isinstance(call, cst.Call)
        arg = _train_bn_argument(call, _UNFREEZE_TRAIN_BN_POSITION)
        if arg is not None:
            found.append((call, arg.value))
    return found


def _passes_train_bn(call: cst.Call) -> bool:
    """``freeze(modules, train_bn)``: as a keyword, the second positional, or hidden in ``*args``."""
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return (
        any(arg.keyword is not None and arg.keyword.value == "train_bn" for arg in call.args)
        or any(arg.star for arg in call.args)
        or len(positional) >= 2
    )


class _FreezeCallFinder(cst.CSTVisitor):
    """``self.freeze(...)`` / ``BaseFinetuning.freeze(...)`` calls in one method."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            is_attribute(func, "freeze")
            and is_name(func.value)
            and func.value.value in ("self", "BaseFinetuning")
        ):
            self.calls.append(node)


class IgnoredTrainBn(Rule):
    """
    ## What it does
    Flags PyTorch Lightning fine-tuning callbacks whose `train_bn` setting is silently ignored
    while the backbone is frozen:

    - `BackboneFinetuning(..., train_bn=False)`, or a subclass that does not override
      `freeze_before_training` or whose override still calls `super().freeze_before_training`;
    - a `BaseFinetuning`/`BackboneFinetuning` subclass that stores a `train_bn` but whose
      `freeze_before_training` calls `self.freeze(...)` without passing it, or passes a
      hard-coded `train_bn=True` while its `__init__` takes a `train_bn` argument;
    - a subclass whose `freeze_before_training` calls `self.freeze(...)` without `train_bn`
      while its `unfreeze_and_add_param_group(...)` passes one (other than `True`).

    ## Why is this bad?
    `BaseFinetuning.freeze(modules, train_bn=True)` leaves BatchNorm layers trainable unless told
    otherwise. Lightning's `BackboneFinetuning.freeze_before_training` calls
    `self.freeze(pl_module.backbone)` without `train_bn` (Lightning 2.6.6; upstream issue #21531,
    fix PR #21652 not merged), so with `train_bn=False` the backbone's BatchNorm weights and
    biases train, and their running statistics update, during the whole frozen phase. The flag
    only takes effect after the backbone is unfrozen: the opposite of what it says.

    ## Example
    ```python
    from lightning.pytorch.callbacks import BackboneFinetuning

    finetuning = BackboneFinetuning(unfreeze_backbone_at_epoch=5, train_bn=False)
    ```

    ## Fix
    Override `freeze_before_training` so the frozen phase honours the flag:

    ```python
    class BackboneFinetuningFrozenBN(BackboneFinetuning):
        def freeze_before_training(self, pl_module):
            self.freeze(pl_module.backbone, train_bn=self.train_bn)

    finetuning = BackboneFinetuningFrozenBN(unfreeze_backbone_at_epoch=5, train_bn=False)
    ```
    In a custom `BaseFinetuning` subclass, pass `train_bn=self.train_bn` to `self.freeze(...)`.
    """

    code = "FT002"
    name = "ignored-train-bn"
    summary = "Lightning finetuning callback ignores `train_bn` while the backbone is frozen"
    fix = Applicability.UNSAFE
    required_tokens = ("Finetuning",)

    prefilter = staticmethod(ft002_prefilter.may_report)

    VALID = [
        Valid(
            """
            from lightning.pytorch.callbacks import BackboneFinetuning

            finetuning = BackboneFinetuning(unfreeze_backbone_at_epoch=5)
            """
        ),
        Valid(
            """
            from lightning.pytorch.callbacks import BackboneFinetuning

            finetuning = BackboneFinetuning(unfreeze_backbone_at_epoch=5, train_bn=True)
            """
        ),
        Valid(
            """
            from lightning.pytorch.callbacks import BackboneFinetuning

            class FrozenBNFinetuning(BackboneFinetuning):
                def freeze_before_training(self, pl_module):
                    self.freeze(pl_module.backbone, train_bn=self.train_bn)

            finetuning = FrozenBNFinetuning(unfreeze_backbone_at_epoch=5, train_bn=False)
            """
        ),
        Valid(
            """
            from pytorch_lightning.callbacks import BaseFinetuning

            class FeatureExtractorFreezeUnfreeze(BaseFinetuning):
                def __init__(self, unfreeze_at_epoch=10):
                    super().__init__()
                    self._unfreeze_at_epoch = unfreeze_at_epoch

                def freeze_before_training(self, pl_module):
                    self.freeze(pl_module.feature_extractor)
            """
        ),
        # Not Lightning's class.
        Valid(
            """
            from mylib import BackboneFinetuning

            finetuning = BackboneFinetuning(train_bn=False)
            """
        ),
        # No `train_bn` to honour: `True` in both phases, on purpose.
        Valid(
            """
            from lightning.pytorch.callbacks import BaseFinetuning

            class Milestone(BaseFinetuning):
                def freeze_before_training(self, pl_module):
                    self.freeze(pl_module.backbone, train_bn=True)

                def finetune_function(self, pl_module, epoch, optimizer):
                    self.unfreeze_and_add_param_group(pl_module.backbone, optimizer, train_bn=True)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from lightning.pytorch.callbacks import BackboneFinetuning

            finetuning = BackboneFinetuning(unfreeze_backbone_at_epoch=5, train_bn=False)
            """,
            line=3,
            message_contains="until epoch 5",
        ),
        Invalid(
            """
            import pytorch_lightning as pl

            trainer = pl.Trainer(callbacks=[pl.callbacks.BackboneFinetuning(train_bn=False)])
            """,
            message_contains="until epoch 10",
        ),
        Invalid(
            """
            from lightning.pytorch.callbacks.finetuning import BackboneFinetuning

            class VerboseFinetuning(BackboneFinetuning):
                def on_train_epoch_start(self, trainer, pl_module):
                    print("epoch", trainer.current_epoch)

            finetuning = VerboseFinetuning(train_bn=False)
            """,
            line=7,
        ),
        Invalid(
            """
            from lightning.pytorch.callbacks import BackboneFinetuning

            class LoggingFinetuning(BackboneFinetuning):
                def freeze_before_training(self, pl_module):
                    print("freezing the backbone")
                    super().freeze_before_training(pl_module)

            finetuning = LoggingFinetuning(unfreeze_backbone_at_epoch=3, train_bn=False)
            """,
            line=8,
            message_contains="until epoch 3",
        ),
        Invalid(
            """
            from lightning.pytorch.callbacks import BaseFinetuning

            class MilestoneFinetuning(BaseFinetuning):
                def __init__(self, milestone=5, train_bn=False):
                    super().__init__()
                    self.milestone = milestone
                    self.train_bn = train_bn

                def freeze_before_training(self, pl_module):
                    self.freeze(pl_module.backbone)

                def finetune_function(self, pl_module, epoch, optimizer):
                    if epoch == self.milestone:
                        self.unfreeze_and_add_param_group(
                            pl_module.backbone, optimizer, train_bn=self.train_bn
                        )
            """,
            line=10,
            message_contains="self.freeze(pl_module.backbone)",
            expected_replacement="""
            from lightning.pytorch.callbacks import BaseFinetuning

            class MilestoneFinetuning(BaseFinetuning):
                def __init__(self, milestone=5, train_bn=False):
                    super().__init__()
                    self.milestone = milestone
                    self.train_bn = train_bn

                def freeze_before_training(self, pl_module):
                    self.freeze(pl_module.backbone, train_bn=self.train_bn)

                def finetune_function(self, pl_module, epoch, optimizer):
                    if epoch == self.milestone:
                        self.unfreeze_and_add_param_group(
                            pl_module.backbone, optimizer, train_bn=self.train_bn
                        )
            """,
        ),
        # A hard-coded `train_bn=True` where the class takes the user's `train_bn`.
        Invalid(
            """
            from lightning.pytorch.callbacks import BaseFinetuning

            class Milestone(BaseFinetuning):
                def __init__(self, milestone=5, train_bn=False):
                    super().__init__()
                    self.train_bn = train_bn

                def freeze_before_training(self, pl_module):
                    self.freeze(pl_module.backbone, train_bn=True)
            """,
            line=9,
            message_contains="hard-codes `train_bn=True` although `Milestone` takes",
        ),
        # `train_bn` passed when unfreezing, not when freezing.
        Invalid(
            """
            from lightning.pytorch.callbacks import BaseFinetuning

            class Milestone(BaseFinetuning):
                def freeze_before_training(self, pl_module):
                    self.freeze(pl_module.backbone)

                def finetune_function(self, pl_module, epoch, optimizer):
                    if epoch == 5:
                        self.unfreeze_and_add_param_group(pl_module.backbone, optimizer, train_bn=False)
            """,
            line=5,
            message_contains="although unfreezing passes `train_bn=False`",
        ),
    ]

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        self._classes: dict[str, _ClassInfo] = {}
        self._calls: list[cst.Call] = []

    def _base_name(self, node: cst.BaseExpression) -> str:
        return self.file.imports.qualify(node) or dotted_name(node) or ""

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        info = _ClassInfo(node, [self._base_name(base.value) for base in node.bases])
        info.stores_train_bn = bool(
            find_all(
                node,
                lambda n: (
                    is_attribute(n, "train_bn", "self")
                    or (isinstance(n, cst.Param) and n.name.value == "train_bn")
                ),
            )
        )
        info.unfreeze_train_bn = _unfreeze_calls(node)
        for statement in node.body.body:
            if isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
                params = statement.params
                info.accepts_train_bn = any(
                    param.name.value == "train_bn"
                    for param in (*params.posonly_params, *params.params, *params.kwonly_params)
                )
            if isinstance(statement, cst.FunctionDef) and (
                statement.name.value == "freeze_before_training"
            ):
                # An override that calls the parent's method still runs Lightning's freeze.
                info.overrides_freeze_before_training = not find_all(
                    statement,
                    lambda n: (
                        is_call(n)
                        and is_attribute(n.func, "freeze_before_training")
                        and is_call(n.func.value, "super")
                    ),
                )
                finder = _FreezeCallFinder()
                statement.visit(finder)
                info.freeze_calls = finder.calls
        self._classes[node.name.value] = info

    def visit_Call(self, node: cst.Call) -> None:
        self._calls.append(node)

    def _ancestry(self, name: str) -> list[str]:
        """``name`` and its bases, depth first, through classes defined in this file."""
        seen: list[str] = []
        pending = [name]
        while pending:
            current = pending.pop(0)
            if current in seen:
                continue
            seen.append(current)
            if current in self._classes:
                pending.extend(self._classes[current].bases)
        return seen

    def _inherits_ignored_train_bn(self, name: str) -> bool:
        """Reaches Lightning's BackboneFinetuning with no local override on the way."""
        for ancestor in self._ancestry(name):
            info = self._classes.get(ancestor)
            if info is not None and info.overrides_freeze_before_training:
                return False
            if ancestor in BACKBONE_FINETUNING:
                return True
        return False

    def leave_Module(self, original_node: cst.Module) -> None:
        for call in self._calls:
            self._check_construction(call)
        for name, info in self._classes.items():
            ancestry = self._ancestry(name)
            is_finetuning = any(a in BACKBONE_FINETUNING | BASE_FINETUNING for a in ancestry)
            stores = info.stores_train_bn or any(a in BACKBONE_FINETUNING for a in ancestry)
            if not is_finetuning:
                continue
            for call in info.freeze_calls:
                if not call.args:
                    continue
                if not _passes_train_bn(call) and stores:
                    self._report_freeze_call(call)
                elif not _passes_train_bn(call):
                    self._check_unfreeze_mismatch(call, info)
                else:
                    self._check_hard_coded(name, call, info)

    def _accepts_train_bn(self, name: str) -> bool:
        return any(
            info.accepts_train_bn
            for info in map(self._classes.get, self._ancestry(name))
            if info is not None
        )

    def _check_hard_coded(self, name: str, call: cst.Call, info: _ClassInfo) -> None:
        """``self.freeze(..., train_bn=True)`` in a class that takes a ``train_bn`` argument."""
        arg = _train_bn_argument(call, 1)
        if arg is None or not is_name(arg.value, "True") or not self._accepts_train_bn(name):
            return
        code = one_line(self.file.module.code_for_node(call), None)
        modules = one_line(self.file.module.code_for_node(call.args[0].value), None)
        # `self.train_bn` exists: the class sets it, or it is Lightning's BackboneFinetuning.
        has_attribute = bool(
            find_all(info.node, lambda n: is_attribute(n, "train_bn", "self"))
        ) or any(a in BACKBONE_FINETUNING for a in self._ancestry(name))
        fixed = None
        if has_attribute:
            fixed = call.with_deep_changes(arg, value=cst.parse_expression("self.train_bn"))
        self.report(
            call,
            f"`{code}` hard-codes `train_bn=True` although `{name}` takes a `train_bn` argument: "
            f"the BatchNorm layers of `{modules}` stay trainable and keep updating their running "
            "statistics during the frozen phase even when `train_bn=False` is passed. Pass "
            + ("`train_bn=self.train_bn`" if has_attribute else "the class's `train_bn`"),
            replacement=fixed,
            fix_message="Pass `train_bn=self.train_bn`" if fixed is not None else "",
        )

    def _check_unfreeze_mismatch(self, call: cst.Call, info: _ClassInfo) -> None:
        """``self.freeze(modules)`` (BatchNorm left trainable) in a class whose unfreezing passes
        a ``train_bn`` that is not the literal ``True``."""
        given = [
            (unfreeze, value) for unfreeze, value in info.unfreeze_train_bn
            if not is_name(value, "True")
        ]  # fmt: skip
        if not given:
            return
        unfreeze, value = given[0]
        module = self.file.module
        code = one_line(module.code_for_node(call), None)
        modules = one_line(module.code_for_node(call.args[0].value), None)
        value_code = one_line(module.code_for_node(value), None)
        fixable = is_name(value, "False") or (
            isinstance(value, cst.Attribute) and is_name(value.value, "self")
        )
        self.report(
            call,
            f"`{code}` does not pass `train_bn`, so `freeze()` defaults to `train_bn=True`: the "
            f"BatchNorm layers of `{modules}` stay trainable and keep updating their running "
            "statistics during the frozen phase, although unfreezing passes "
            f"`train_bn={value_code}` (`unfreeze_and_add_param_group`, {self.where(unfreeze)}). "
            f"Pass `train_bn={value_code}` here too",
            replacement=self._with_train_bn(call, value_code) if fixable else None,
            fix_message=f"Pass `train_bn={value_code}`" if fixable else "",
        )

    def _check_construction(self, call: cst.Call) -> None:
        name = self._base_name(call.func)
        if name not in BACKBONE_FINETUNING and not (
            name in self._classes and self._inherits_ignored_train_bn(name)
        ):
            return
        keywords = {arg.keyword.value: arg.value for arg in call.args if arg.keyword is not None}
        positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
        train_bn = keywords.get("train_bn")
        if train_bn is None and len(positional) > _TRAIN_BN_POSITION:
            train_bn = positional[_TRAIN_BN_POSITION]
        if not is_name(train_bn, "False"):
            return
        epoch = keywords.get("unfreeze_backbone_at_epoch") or (
            positional[0] if positional else None
        )
        epoch_text = (
            self.file.module.code_for_node(epoch) if epoch is not None else _DEFAULT_UNFREEZE_EPOCH
        )
        self.report(call, ignored_train_bn_message(epoch_text))

    def _report_freeze_call(self, call: cst.Call) -> None:
        code = one_line(self.file.module.code_for_node(call), None)
        self.report(
            call,
            f"`{code}` ignores `self.train_bn`: `freeze()` defaults to `train_bn=True`, so "
            "BatchNorm layers stay trainable, and keep updating running statistics, during the "
            "frozen phase whatever `train_bn` says. Pass `train_bn=self.train_bn`",
            replacement=self._with_train_bn(call, "self.train_bn"),
            fix_message="Pass `train_bn=self.train_bn`",
        )

    @staticmethod
    def _with_train_bn(call: cst.Call, value: str) -> cst.Call:
        return call.with_changes(
            args=[
                *call.args[:-1],
                call.args[-1].with_changes(
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                ),
                cst.Arg(
                    keyword=cst.Name("train_bn"),
                    value=cst.parse_expression(value),
                    equal=cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""),
                        whitespace_after=cst.SimpleWhitespace(""),
                    ),
                ),
            ]
        )
