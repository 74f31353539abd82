from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from ftlint.analysis.bindings import BindingTracker, DirectTest, Placement, Site, method_call
from ftlint.analysis.data.torchvision_batchnorm import BATCHNORM_CHILDREN
from ftlint.analysis.freeze import is_freeze_call, iterates_parameters
from ftlint.analysis.imports import dotted_name
from ftlint.analysis.model_iterators import Kind
from ftlint.analysis.nodes import find_all, is_attribute, is_call, is_name
from ftlint.analysis.parts import ModelLoops
from ftlint.analysis.tensors import called_requires_grad, literal_bool
from ftlint.analysis.torchvision import builder_key
from ftlint.check import Invalid, Valid
from ftlint.prefilters import ft008_frozen_batchnorm_in_train_mode as ft008_prefilter
from ftlint.prefilters.ft008_frozen_batchnorm_in_train_mode import BATCHNORM_CLASS, BATCHNORM_NAME
from ftlint.rules.base import Rule

if TYPE_CHECKING:
    from ftlint.analysis.file import FileAnalysis

# `norm` means BatchNorm only in a model known to hold it (DenseNet's `norm1`), not in a ViT.
_NORM_NAME = re.compile(r"(?i)norm")
# Helpers that put BatchNorm back in eval mode: `set_bn_eval`, `freeze_bn`, `fix_bn_stats`.
_BATCHNORM_EVAL_HELPER = re.compile(r"(?i)(bn|batch_?norm).*(eval|freez|fix)|(eval|freez|fix).*bn")
# Evidence that the file keeps frozen BatchNorm statistics fixed some other way.
_FROZEN_STATISTICS = re.compile(r"FrozenBatchNorm|track_running_stats\s*=\s*False")


@dataclass
class _Freeze:
    node: cst.CSTNode  # reported
    part: cst.BaseExpression  # the module whose BatchNorm layers are frozen
    site: Site
    # What a test picks, `{part}` standing for the part; None: all of a torchvision model.
    selection: str | None = None


@dataclass
class _TrainCall:
    call: cst.Call
    receiver: cst.BaseExpression
    site: Site
    # `.eval()` receivers in the mode-switching statements right after it (`model.eval()`,
    # `model.backbone.eval()`): they undo `train()` for their part before any forward pass.
    evals_after: list[cst.BaseExpression] = field(default_factory=list)


def _calls(node: cst.CSTNode) -> list[cst.Call]:
    return [call for call in find_all(node, is_call) if isinstance(call, cst.Call)]


def _is_train_call(call: cst.Call) -> bool:
    if method_call(call, "train") is None:
        return False
    return not call.args or literal_bool(call.args[0].value) is True


def _eval_receiver(call: cst.Call) -> cst.BaseExpression | None:
    """``x`` of ``x.eval()`` or ``x.train(False)``."""
    if call.args:
        is_false = literal_bool(call.args[0].value) is False
        return method_call(call, "train") if is_false else None
    return method_call(call, "eval")


def _statement_call(statement: cst.BaseStatement) -> cst.Call | None:
    """The call a statement such as ``model.train()`` consists of."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        expression = statement.body[0]
        if isinstance(expression, cst.Expr) and isinstance(expression.value, cst.Call):
            return expression.value
    return None


def _freezes(node: cst.CSTNode, variable: str | None = None) -> bool:
    """Whether ``node`` holds a ``requires_grad = False`` or ``requires_grad_(False)`` (on
    ``variable`` when given)."""

    def freezes(node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Assign):
            return (
                len(node.targets) == 1
                and is_attribute(node.targets[0].target, "requires_grad", variable)
                and is_name(node.value, "False")
            )
        return (
            is_call(node)
            and is_attribute(node.func, "requires_grad_", variable)
            and len(node.args) == 1
            and is_name(node.args[0].value, "False")
        )

    return bool(find_all(node, freezes))


def _positive_strings(test: cst.BaseExpression) -> list[str]:
    """String literals a condition selects on, leaving out `not ...` and `... not in ...`."""
    found: list[str] = []

    class Collector(cst.CSTVisitor):
        def visit_UnaryOperation(self, node: cst.UnaryOperation) -> bool:
            return not isinstance(node.operator, cst.Not)

        def visit_Comparison(self, node: cst.Comparison) -> bool:
            return not any(isinstance(c.operator, cst.NotIn) for c in node.comparisons)

        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            found.append(str(node.evaluated_value))

    test.visit(Collector())
    return found


def _switches_modes_only(statement: cst.BaseStatement) -> bool:
    """Whether ``statement`` only switches modes or freezes, and so cannot run the model:
    ``model.eval()``, ``freeze_bn(model)``, ``p.requires_grad = False``, a loop over modules."""
    if isinstance(statement, cst.For):
        return iterates_parameters(statement.iter)
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            call = small.value
            if not (is_freeze_call(call) or method_call(call, "apply") is not None):
                return False
        elif not (isinstance(small, cst.Assign) and not _calls(small.value)):
            return False
    return True


class FrozenBatchnormInTrainMode(BindingTracker, Rule):
    """
    ## What it does
    Flags BatchNorm layers frozen only through `requires_grad` in a module that the same file
    then puts in train mode with `.train()`, with no `.eval()` of the frozen part right after,
    no `FrozenBatchNorm2d` and no `train()` override. The frozen part is one of:

    - a torchvision model (or one of its top-level children) that holds BatchNorm layers,
      frozen whole: `for p in model.parameters(): p.requires_grad = False`,
      `model.layer1.requires_grad_(False)`. ResNet, ResNeXt, Wide ResNet, DenseNet,
      EfficientNet, MobileNet, MNASNet, RegNet, ShuffleNet, GoogLeNet, Inception, MaxViT and
      `vgg*_bn` hold BatchNorm; ConvNeXt, ViT, Swin, AlexNet, SqueezeNet and plain VGG do not;
    - parameters selected by a BatchNorm name (`'bn' in name`, `'downsample.1' in name`);
    - modules selected by `isinstance(m, nn.BatchNorm2d)` without `m.eval()`.

    ## Why is this bad?
    `requires_grad = False` stops the optimizer from changing BatchNorm's weight and bias, but
    its running mean and variance are buffers, updated by every forward pass in train mode.
    `model.train()` switches every sub-module, the frozen backbone included, to train mode: the
    "frozen" backbone keeps changing, with the statistics of small fine-tuning batches, and
    the model is evaluated with statistics its weights were never trained with.

    ## Example
    ```python
    model = torchvision.models.resnet50(weights=ResNet50_Weights.DEFAULT)
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(2048, 10)

    for epoch in range(10):
        model.train()
        train_one_epoch(model, loader)
    ```

    ## Fix
    Put the frozen part back in eval mode after each `.train()` (or override `train()` to do
    it), or build the backbone with `norm_layer=torchvision.ops.FrozenBatchNorm2d`:

    ```python
    for epoch in range(10):
        model.train()
        model.eval()  # frozen backbone: BatchNorm statistics stay fixed
        model.fc.train()
        train_one_epoch(model, loader)
    ```
    """

    code = "FT008"
    name = "frozen-batchnorm-in-train-mode"
    summary = "BatchNorm frozen through `requires_grad` keeps updating its statistics in train mode"
    required_tokens = (".train(",)  # a finding needs a `.train()` call
    candidate_pattern = "requires_grad"  # and a freeze

    VALID = [
        Valid(
            """
            from torchvision.models import resnet50

            model = resnet50(weights="DEFAULT")
            for param in model.parameters():
                param.requires_grad = False
            model.train()
            model.eval()  # keep the frozen BatchNorm statistics fixed
            model.fc.train()
            """
        ),
        # ConvNeXt normalizes with LayerNorm: there are no running statistics to drift.
        Valid(
            """
            import torchvision

            model = torchvision.models.convnext_tiny(weights="DEFAULT")
            model.features.requires_grad_(False)
            model.train()
            """
        ),
        # The frozen part is a head without BatchNorm.
        Valid(
            """
            from torchvision.models import resnet18

            model = resnet18(weights="DEFAULT")
            model.fc.requires_grad_(False)
            model.train()
            """
        ),
        Valid(
            """
            import torch.nn as nn

            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
                    m.weight.requires_grad = False
                    m.bias.requires_grad = False
            model.train()
            """
        ),
        # The file's own `train()` override keeps BatchNorm in eval mode.
        Valid(
            """
            import torch.nn as nn
            from torchvision.models import resnet50

            class Classifier(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.backbone = resnet50(weights="DEFAULT")
                    self.backbone.requires_grad_(False)

                def train(self, mode=True):
                    super().train(mode)
                    self.backbone.eval()
                    return self

            model = Classifier()
            model.train()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torchvision

            model = torchvision.models.resnet50(weights="DEFAULT")
            for param in model.parameters():
                param.requires_grad = False
            model.fc = nn.Linear(2048, 10)
            for epoch in range(10):
                model.train()
                train_one_epoch(model, loader)
            """,
            line=4,
            message_contains="`model.train()` (line 8)",
        ),
        Invalid(
            """
            for name, param in model.named_parameters():
                if 'bn' in name or 'downsample.1' in name:
                    param.requires_grad = False
            model.train()
            """,
            line=1,
        ),
        Invalid(
            """
            import torch.nn as nn

            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    for p in m.parameters():
                        p.requires_grad = False
            model.train()
            """,
            line=3,
        ),
        Invalid(
            """
            import torch.nn as nn
            from torchvision.models import densenet121

            class Classifier(nn.Module):
                def __init__(self, classes):
                    super().__init__()
                    self.backbone = densenet121(weights="DEFAULT")
                    self.backbone.features.requires_grad_(False)
                    self.head = nn.Linear(1024, classes)

            net = Classifier(10)
            net.train()
            """,
            line=8,
            message_contains="densenet121",
        ),
    ]

    prefilter = staticmethod(ft008_prefilter.may_report)

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        self._loops = ModelLoops()
        self._freezes: list[_Freeze] = []
        self._train_calls: list[_TrainCall] = []
        self._evals: list[tuple[cst.BaseExpression, Site]] = []
        self._evals_after: dict[int, list[cst.BaseExpression]] = {}  # by id of a train call
        # Anything that keeps frozen BatchNorm statistics fixed across `.train()` calls.
        self._statistics_kept = bool(_FROZEN_STATISTICS.search(file.source.text))

    # Where a frozen part comes from, and which object a path belongs to.

    def _batchnorm_model(self, part: cst.BaseExpression, site: Site) -> str | None:
        """``resnet50``, or ``resnet50's `layer4```, when ``part`` evidently is a torchvision
        model that holds BatchNorm layers, or such a model's top-level child that does."""
        found: list[str] = []

        def model_holding(child: str | None) -> DirectTest:
            def test(node: cst.BaseExpression, _: Site) -> bool:
                if not isinstance(node, cst.Call):
                    return False
                key = builder_key(node.func, self.file.imports) or ""
                children = BATCHNORM_CHILDREN.get(key)
                holds = children is not None and (child is None or child in children)
                if holds:
                    found.append(key.rpartition(".")[2])
                return holds

            return test

        def never(*_: object) -> bool:
            return False

        if self.evident(part, site, model_holding(None), never):
            return found[0]
        if isinstance(part, cst.Attribute):
            child = part.attr.value
            if self.evident(part.value, site, model_holding(child), never):
                return f"{found[0]}'s `{child}`"
        return None

    def _object_path(self, node: cst.BaseExpression, site: Site) -> tuple[str, ...] | None:
        """``node``'s dotted path, its root replaced by the class when it is ``self`` or an
        instance of a class defined in this file (so ``self.backbone`` in ``Classifier`` and
        ``net.backbone`` with ``net = Classifier()`` agree)."""
        path = dotted_name(node)
        if path is None:
            return None
        root, *attributes = path.split(".")
        owner = self.owner_class(root, site)
        if owner is not None and owner.node is not None:
            return (f"class {owner.node.name.value}", *attributes)
        binding = self.lookup(root, site)
        value = binding.expression() if binding is not None and not binding.iterated else None
        if is_call(value) and is_name(value.func) and value.func.value in self.classes:
            return (f"class {value.func.value}", *attributes)
        return (root, *attributes)

    def _is_loop_variable(self, node: cst.BaseExpression) -> bool:
        return self._loops.bound((dotted_name(node) or "").partition(".")[0]) is not None

    # Collection.

    def visit_For(self, node: cst.For) -> None:
        super().visit_For(node)
        loop = self._loops.enter(node.target, node.iter)
        if loop is None or loop.value is None or loop.part is None:
            return
        part = cst.parse_expression(loop.part.path)  # resolved below like any written part
        site = self.site()
        if loop.kind == "parameter" and loop.part.exact:
            direct = [s for s in node.body.body if isinstance(s, cst.SimpleStatementLine)]
            if any(_freezes(statement, loop.value) for statement in direct):
                self._freezes.append(_Freeze(node, part, site))
                return
        for statement in node.body.body:
            if isinstance(statement, cst.If):
                self._check_branch(node, statement, loop.kind, loop.name, part, site)

    def _check_branch(
        self,
        loop: cst.For,
        branch: cst.If,
        kind: Kind,
        name: str | None,  # the loop variable holding names
        part: cst.BaseExpression,
        site: Site,
    ) -> None:
        """A branch of a loop over ``part`` that freezes, or puts in eval mode, BatchNorm."""
        test = self.file.module.code_for_node(branch.test)
        if kind == "module" and BATCHNORM_CLASS.search(test):
            if any(_eval_receiver(call) is not None for call in _calls(branch.body)):
                self._statistics_kept = True  # BatchNorm modules switched to eval one by one
            elif _freezes(branch.body):
                self._freezes.append(_Freeze(loop, part, site, "the BatchNorm modules of {part}"))
            return
        if kind != "parameter" or name is None or not _freezes(branch.body):
            return
        strings = _positive_strings(branch.test)
        selected = [s for s in strings if BATCHNORM_NAME.search(s)]
        if not selected and self._batchnorm_model(part, site) is not None:
            selected = [s for s in strings if _NORM_NAME.search(s)]
        if selected:
            names = ", ".join(f"`{s}`" for s in selected)
            selection = f"the parameters of {{part}} whose names contain {names}"
            self._freezes.append(_Freeze(loop, part, site, selection))

    def leave_For(self, original_node: cst.For) -> None:
        self._loops.leave()

    def visit_Expr(self, node: cst.Expr) -> None:
        setting = called_requires_grad(node)
        if setting is None or setting.requested is not False:
            return
        if not self._is_loop_variable(setting.receiver):
            self._freezes.append(_Freeze(node, setting.receiver, self.site()))

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        receiver = method_call(node, "train", "eval")
        if receiver is None or self._is_loop_variable(receiver):
            return  # `m.eval()` on a loop variable is judged with its loop
        if _is_train_call(node):
            evals_after = self._evals_after.pop(id(node), [])
            self._train_calls.append(_TrainCall(node, receiver, self.site(), evals_after))
        elif _eval_receiver(node) is not None:
            self._evals.append((receiver, self.site()))

    def _scan_block(self, body: list[cst.BaseStatement]) -> None:
        """Note the `.eval()` calls that follow each `.train()` statement at once."""
        for index, statement in enumerate(body):
            call = _statement_call(statement)
            if call is None or not _is_train_call(call):
                continue
            evals = self._evals_after.setdefault(id(call), [])
            for following in body[index + 1 :]:
                if not _switches_modes_only(following):
                    break
                for inner in _calls(following):
                    receiver = _eval_receiver(inner)
                    if receiver is not None:
                        evals.append(receiver)
                    elif _BATCHNORM_EVAL_HELPER.search(self.file.module.code_for_node(inner)):
                        # `freeze_bn(model)`, `model.apply(set_bn_eval)`
                        self._statistics_kept = True

    def visit_Module(self, node: cst.Module) -> None:
        self._scan_block(list(node.body))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._scan_block(list(node.body))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        name = node.name.value
        if name == "train" and self.scope.parent is not None and self.scope.parent.is_class:
            self._statistics_kept = True  # a `train()` override decides what stays in eval
        elif _BATCHNORM_EVAL_HELPER.search(name) and any(
            _eval_receiver(call) is not None for call in _calls(node.body)
        ):
            self._statistics_kept = True  # a `set_bn_eval` helper

    # Verdict.

    def leave_Module(self, original_node: cst.Module) -> None:
        if not self._statistics_kept:
            for freeze in self._freezes:
                self._judge(freeze)

    def _judge(self, freeze: _Freeze) -> None:
        # A freeze or a mode switch in a function is judged where the function is called from:
        # `set_parameter_requires_grad(model_ft, True)`, `train_model(model_conv, ...)`.
        trains = [
            (train, placement)
            for train in self._train_calls
            for placement in self.placements(train.receiver, train.site)
        ]
        evals = [p for node, site in self._evals for p in self.placements(node, site)]
        train_receivers = {self._object_path(p.node, p.site) for _, p in trains}
        for frozen in self.placements(freeze.part, freeze.site):
            part = self._object_path(frozen.node, frozen.site)
            model = self._batchnorm_model(frozen.node, frozen.site)
            if part is None or (freeze.selection is None and model is None):
                continue
            if any(
                self._reaches(p.node, p.site, part)
                for p in evals
                if self._object_path(p.node, p.site) not in train_receivers
            ):
                continue  # the frozen part is put in eval mode on its own somewhere
            for train, placement in trains:
                receiver = self._object_path(placement.node, placement.site)
                if receiver is None or part[: len(receiver)] != receiver:
                    continue
                evals_after = [
                    p
                    for node in train.evals_after
                    for p in self.placements(node, train.site)
                    if p.via is placement.via  # in the same call as the `.train()`
                ]
                if not any(self._reaches(p.node, p.site, part) for p in evals_after):
                    self._report(freeze, frozen, train, placement, model)
                    return

    def _reaches(self, node: cst.BaseExpression, site: Site, part: tuple[str, ...]) -> bool:
        """Whether a mode switch of ``node`` reaches all or some of ``part``."""
        other = self._object_path(node, site)
        if other is None:
            return False
        shorter = min(len(part), len(other))
        return part[:shorter] == other[:shorter]

    def _called_in(self, placement: Placement) -> str:
        """The call through which a placement was reached: ``in `train_model(...)` called on
        line 40``, empty for the path itself."""
        if placement.via is None:
            return ""
        called = self.file.module.code_for_node(placement.via.func)
        return f"in `{called}(...)` called on {self.where(placement.via)}"

    def _report(
        self,
        freeze: _Freeze,
        frozen: Placement,
        train: _TrainCall,
        trained: Placement,
        model: str | None,
    ) -> None:
        code = self.file.module.code_for_node
        part, receiver = code(frozen.node), code(train.receiver)
        frozen_in = f" ({self._called_in(frozen)})" if frozen.via is not None else ""
        trained_at = ", ".join(filter(None, [self.where(train.call), self._called_in(trained)]))
        if freeze.selection is None:
            frozen_text = f"the BatchNorm layers of `{part}` ({model})"
        else:
            frozen_text = freeze.selection.format(part=f"`{part}`")
        self.report(
            freeze.node,
            f"this freezes {frozen_text} only through `requires_grad`{frozen_in}, but "
            f"`{receiver}.train()` ({trained_at}) puts "
            "them back in train mode: their running mean and variance keep updating on every "
            "forward pass, so the frozen layers still change, and are evaluated with statistics "
            f"their weights were not trained with. After `{receiver}.train()`, call `.eval()` on "
            "the frozen part (or override `train()`), or build it with `FrozenBatchNorm2d`",
        )
