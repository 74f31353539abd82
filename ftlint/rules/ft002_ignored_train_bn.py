from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from ftlint.analysis.file import FileAnalysis
from ftlint.analysis.imports import dotted_name
from ftlint.analysis.nodes import find_all, is_attribute, is_call, is_name, one_line
from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability
from ftlint.rules.base import Rule

_MODULES = (
    "lightning.pytorch.callbacks",
    "lightning.pytorch.callbacks.finetuning",
    "pytorch_lightning.callbacks",
    "pytorch_lightning.callbacks.finetuning",
)
BACKBONE_FINETUNING = frozenset(f"{module}.BackboneFinetuning" for module in _MODULES)
BASE_FINETUNING = frozenset(f"{module}.BaseFinetuning" for module in _MODULES)
# `BackboneFinetuning.__init__`'s parameters before `train_bn`, for positional calls.
_TRAIN_BN_POSITION = 6
_DEFAULT_UNFREEZE_EPOCH = "10"


@dataclass
class _ClassInfo:
    node: cst.ClassDef
    bases: list[str] = field(default_factory=list)  # qualified (imported) or local names
    freeze_calls: list[cst.Call] = field(default_factory=list)  # in freeze_before_training
    overrides_freeze_before_training: bool = False
    stores_train_bn: bool = False


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
      `freeze_before_training` calls `self.freeze(...)` without passing it.

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
        for statement in node.body.body:
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
            if not (is_finetuning and stores):
                continue
            for call in info.freeze_calls:
                if call.args and not _passes_train_bn(call):
                    self._report_freeze_call(call)

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
        epoch = keywords.get("unfreeze_backbone_at_epoch") or (positional[0] if positional else None)
        epoch_text = (
            self.file.module.code_for_node(epoch) if epoch is not None else _DEFAULT_UNFREEZE_EPOCH
        )
        self.report(
            call,
            "`train_bn=False` is ignored while the backbone is frozen: Lightning's "
            "`BackboneFinetuning.freeze_before_training` calls `self.freeze(pl_module.backbone)` "
            "without `train_bn`, so the backbone's BatchNorm weights and biases stay trainable "
            f"and its running statistics keep updating until epoch {epoch_text}; the flag only "
            "applies after unfreezing (Lightning <= 2.6.6, issue #21531). Override "
            "`freeze_before_training` to call `self.freeze(pl_module.backbone, "
            "train_bn=self.train_bn)`",
        )

    def _report_freeze_call(self, call: cst.Call) -> None:
        code = one_line(self.file.module.code_for_node(call), None)
        fixed = call.with_changes(
            args=[
                *call.args[:-1],
                call.args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                cst.Arg(
                    keyword=cst.Name("train_bn"),
                    value=cst.parse_expression("self.train_bn"),
                    equal=cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""),
                        whitespace_after=cst.SimpleWhitespace(""),
                    ),
                ),
            ]
        )
        self.report(
            call,
            f"`{code}` ignores `self.train_bn`: `freeze()` defaults to `train_bn=True`, so "
            "BatchNorm layers stay trainable, and keep updating running statistics, during the "
            "frozen phase whatever `train_bn` says. Pass `train_bn=self.train_bn`",
            replacement=fixed,
            fix_message="Pass `train_bn=self.train_bn`",
        )
