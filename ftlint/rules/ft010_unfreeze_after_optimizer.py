from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from ftlint.analysis.bindings import BindingTracker
from ftlint.analysis.imports import dotted_name
from ftlint.analysis.nodes import find_all, is_attribute, is_name, one_line
from ftlint.analysis.optimizers import OPTIMIZER_CLASS
from ftlint.analysis.parts import ModelLoops, Part, is_within
from ftlint.analysis.tensors import (
    RequiresGradSetting,
    assigned_requires_grad,
    called_requires_grad,
)
from ftlint.check import Invalid, Valid
from ftlint.rules.base import Rule

if TYPE_CHECKING:
    from ftlint.analysis.file import FileAnalysis

# Calls that build or rebuild optimizers from whatever they are given: `create_optimizer(...)`,
# `self.trainer.strategy.setup_optimizers(trainer)`.
_OPTIMIZER_FACTORY = re.compile(r"(?i)optimizer")
# Lightning hooks that run after `configure_optimizers`, during training.
_TRAINING_HOOK = re.compile(
    r"^(on_train|on_validation|on_epoch|training_step|on_before_|on_after_)"
)
_CONFIGURE_OPTIMIZERS = "configure_optimizers"
# Calls whose names mention optimizers but build none: Lightning's accessors and steps.
_NOT_BUILDS = frozenset(
    {"optimizers", "optimizer_step", "optimizer_zero_grad", "lr_schedulers", "zero_grad"}
)
# Lightning callbacks: their training hooks run after `configure_optimizers`, and get the
# LightningModule as their third parameter (`on_train_epoch_start(self, trainer, pl_module)`).
_LIGHTNING_PACKAGES = ("lightning.pytorch", "lightning", "pytorch_lightning")
_LIGHTNING_CALLBACKS = frozenset(
    f"{package}.{module}{name}"
    for package in _LIGHTNING_PACKAGES
    for module in ("", "callbacks.", "callbacks.callback.", "callbacks.finetuning.")
    for name in ("Callback", "BaseFinetuning", "BackboneFinetuning")
)
_CALLBACK_HOOK = re.compile(rf"{_TRAINING_HOOK.pattern}|^finetune_function$")
_PL_MODULE_POSITION = 2
# transformers' `TrainerCallback`: every hook but `on_init_end` runs after `Trainer.train()` built
# its optimizer in `create_optimizer()`, from the parameters that required grad then.
_HF_CALLBACKS = frozenset(
    {"transformers.TrainerCallback", "transformers.trainer_callback.TrainerCallback"}
)
_HF_HOOKS = frozenset(
    {
        "on_train_begin", "on_epoch_begin", "on_epoch_end", "on_step_begin", "on_step_end",
        "on_substep_end", "on_pre_optimizer_step", "on_optimizer_step", "on_evaluate", "on_log",
        "on_save", "on_prediction_step",
    }
)  # fmt: skip
# What replaces the optimizer `Trainer.create_optimizer()` would build.
_HF_OWN_OPTIMIZER = re.compile(r"\boptimizers\s*=|\bdef\s+create_optimizer")
# Builtins that pass parameters through: `list(model.head.parameters())`, `chain(a, b)`.
_PASS_THROUGH = frozenset({"list", "tuple", "iter", "chain"})
_MAX_NAME_HOPS = 4


def _root(path: str) -> str:
    return path.partition(".")[0]


@dataclass
class _Parameters:
    """What an optimizer was given, as far as the code shows."""

    parts: list[str] = field(default_factory=list)  # `X` of each `X.parameters()` given whole
    # `X` of each `X.parameters()` given filtered on `requires_grad` at build time.
    filtered_parts: list[str] = field(default_factory=list)
    unknown: bool = False  # something the code does not show (a helper's result, a name filter)

    @property
    def limited(self) -> bool:
        return not self.unknown and bool(self.parts or self.filtered_parts)

    def covers(self, part: Part | None) -> bool:
        """Whether the parameters of ``part`` are, or may be, among these. Parts under another
        root (`head` after `head = model.fc`) cannot be compared: they may be."""
        if self.unknown or part is None:
            return True
        if not any(_root(given) == _root(part.path) for given in self.parts + self.filtered_parts):
            return True
        if part.exact:
            return any(is_within(part.path, given) for given in self.parts)
        # Some parameters of `part`: those of a given part inside it may be the ones.
        return any(
            is_within(part.path, given) or is_within(given, part.path) for given in self.parts
        )


@dataclass
class _Build:
    node: cst.CSTNode  # the call, or the assignment that gives its variable a new value
    target: str | None  # the variable it is assigned to
    parameters: _Parameters
    order: int
    loops: frozenset[int]  # ids of the enclosing loops of its function


@dataclass
class _Unfreeze:
    node: cst.CSTNode
    part: Part | None
    order: int
    loops: frozenset[int]
    via: str = ""  # for a helper's call: where the helper unfreezes
    shown: Part | None = None  # the part as the code names it, when `part` was rebased


@dataclass
class _Call:
    """A call of a plain name, with the dotted paths of its arguments."""

    name: str
    node: cst.CSTNode
    positional: list[str | None]
    keywords: dict[str, str | None]
    order: int
    loops: frozenset[int]


@dataclass
class _Flow:
    """One function (or the module): its optimizer builds and unfreezes, in source order."""

    name: str
    builds: list[_Build] = field(default_factory=list)
    unfreezes: list[_Unfreeze] = field(default_factory=list)
    loops: list[int] = field(default_factory=list)
    references: set[str] = field(default_factory=set)  # dotted names it uses: `self.optimizer`
    parameters: list[str] = field(default_factory=list)  # positional, then keyword-only
    calls: list[_Call] = field(default_factory=list)

    def rebased(self, part: Part | None, replacements: dict[str, str | None]) -> Part | None:
        """``part`` with its root replaced: a parameter by the caller's argument."""
        if part is None:
            return None
        root, dot, rest = part.path.partition(".")
        if root not in replacements:
            return part
        new_root = replacements[root]
        return None if new_root is None else Part(new_root + dot + rest, part.exact)


@dataclass
class _Owner:
    """The module or a class: the optimizers its functions build, and its functions that
    unfreeze with an optimizer they do not build (a global one, `self.optimizer`)."""

    builds: list[_Build] = field(default_factory=list)
    configured: list[_Build] = field(default_factory=list)  # by `configure_optimizers`
    borrowing: list[_Flow] = field(default_factory=list)
    kind: str | None = None  # "lightning-callback" or "hf-callback"


def _mentions_requires_grad(node: cst.CSTNode) -> bool:
    return bool(find_all(node, lambda n: is_attribute(n, "requires_grad")))


class UnfreezeAfterOptimizer(BindingTracker, Rule):
    """
    ## What it does
    Flags parameters made trainable again (`requires_grad = True`, `requires_grad_(True)`,
    `requires_grad_()`) after an optimizer was built from only some parameters, in the same
    function or training loop (or, in a LightningModule, in a training hook after
    `configure_optimizers`): from the then-trainable ones (`filter(lambda p: p.requires_grad,
    ...)`, a comprehension filtered on `requires_grad`) or from other sub-modules'
    `.parameters()`; with no `add_param_group` and no new optimizer afterwards. Also followed:
    a same-file helper function that unfreezes, called after the optimizer was built; a Lightning
    `Callback` training hook (`on_train_epoch_start(self, trainer, pl_module)`) that unfreezes
    parts of `pl_module` when this file's `configure_optimizers` is so limited; and a
    transformers `TrainerCallback` hook (every one but `on_init_end`) that unfreezes, since
    `Trainer.create_optimizer()` gives the optimizer only the parameters that require grad
    before `on_train_begin` (unless the file passes `optimizers=` or overrides
    `create_optimizer`). Changing the learning rate of existing param groups does not add the
    unfrozen parameters to any of them.

    ## Why is this bad?
    An optimizer updates only the parameters it was given when it was built. Parameters
    unfrozen later get gradients, cost memory and time in the backward pass, but never change:
    "unfreeze the backbone after 5 epochs" silently keeps training only the head.

    ## Example
    ```python
    for p in model.backbone.parameters():
        p.requires_grad = False
    optimizer = torch.optim.AdamW(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-3)

    for epoch in range(20):
        if epoch == 5:
            for p in model.backbone.parameters():
                p.requires_grad = True
        train_one_epoch(model, optimizer)
    ```

    ## Fix
    Give the optimizer the unfrozen parameters, with their own learning rate if you like, or
    build the optimizer after unfreezing:

    ```python
        if epoch == 5:
            for p in model.backbone.parameters():
                p.requires_grad = True
            optimizer.add_param_group({"params": model.backbone.parameters(), "lr": 1e-4})
    ```
    """

    code = "FT010"
    name = "unfreeze-after-optimizer"
    summary = "Parameters unfrozen after the optimizer was built without them are never updated"
    required_tokens = ("requires_grad = True", "requires_grad=True", "requires_grad_(")
    candidate_shape = "optimizer-built"

    VALID = [
        Valid(
            """
            optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
            for epoch in range(10):
                if epoch == 5:
                    model.backbone.requires_grad_(True)
                    optimizer.add_param_group({"params": model.backbone.parameters()})
            """
        ),
        # Built over every parameter: unfrozen ones are updated once they get gradients.
        Valid(
            """
            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
            for epoch in range(10):
                if epoch == 5:
                    model.backbone.requires_grad_(True)
            """
        ),
        # Rebuilt after unfreezing.
        Valid(
            """
            optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad])
            train(model, optimizer, epochs=5)
            for p in model.parameters():
                p.requires_grad = True
            optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad])
            train(model, optimizer, epochs=5)
            """
        ),
        # Rebuilt every epoch, in the loop that unfreezes.
        Valid(
            """
            for epoch in range(10):
                optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
                train_one_epoch(model, optimizer)
                if epoch == 3:
                    model.requires_grad_(True)
            """
        ),
        # The unfrozen head is what the optimizer holds.
        Valid(
            """
            optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1)
            model.fc.requires_grad_(True)
            """
        ),
        # The callback rebuilds the optimizers after unfreezing.
        Valid(
            """
            import lightning as L
            from lightning.pytorch.callbacks import Callback

            class Classifier(L.LightningModule):
                def configure_optimizers(self):
                    return torch.optim.Adam(filter(lambda p: p.requires_grad, self.parameters()))

            class Unfreeze(Callback):
                def on_train_epoch_start(self, trainer, pl_module):
                    if trainer.current_epoch == 3:
                        pl_module.backbone.requires_grad_(True)
                        trainer.strategy.setup_optimizers(trainer)
            """
        ),
        # `on_init_end` runs in `Trainer.__init__`, before the optimizer is built.
        Valid(
            """
            from transformers import TrainerCallback

            class UnfreezeEncoder(TrainerCallback):
                def on_init_end(self, args, state, control, model=None, **kwargs):
                    model.encoder.requires_grad_(True)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            for p in model.backbone.parameters():
                p.requires_grad = False
            optimizer = torch.optim.AdamW(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-3)
            for epoch in range(20):
                if epoch == 5:
                    for p in model.backbone.parameters():
                        p.requires_grad = True
                train_one_epoch(model, optimizer)
            """,
            line=7,
            message_contains="`optimizer` (line 3)",
        ),
        Invalid(
            """
            def fine_tune(model, loader):
                optimizer = torch.optim.SGD(model.classifier.parameters(), lr=0.01)
                train(model, optimizer, loader)
                model.features.requires_grad_()
                train(model, optimizer, loader)
            """,
            line=4,
        ),
        Invalid(
            """
            params = [p for p in model.parameters() if p.requires_grad]
            optimizer = torch.optim.Adam(params, lr=1e-3)
            for epoch in range(epochs):
                if epoch == unfreeze_epoch:
                    for name, p in model.named_parameters():
                        if "encoder" in name:
                            p.requires_grad_(True)
            """,
            line=7,
        ),
        Invalid(
            """
            import lightning as L

            class Classifier(L.LightningModule):
                def configure_optimizers(self):
                    return torch.optim.Adam(filter(lambda p: p.requires_grad, self.parameters()))

                def on_train_epoch_start(self):
                    if self.current_epoch == 3:
                        self.backbone.requires_grad_(True)
            """,
            line=9,
            message_contains="the optimizer of `configure_optimizers()`",
        ),
        # A Lightning callback's hook, on the LightningModule of this file.
        Invalid(
            """
            import lightning as L
            from lightning.pytorch.callbacks import Callback

            class Classifier(L.LightningModule):
                def configure_optimizers(self):
                    return torch.optim.Adam(filter(lambda p: p.requires_grad, self.parameters()))

            class Unfreeze(Callback):
                def on_train_epoch_start(self, trainer, pl_module):
                    if trainer.current_epoch == 3:
                        pl_module.backbone.requires_grad_(True)
            """,
            line=11,
            message_contains="parameters of `pl_module.backbone` trainable",
        ),
        # A transformers callback: the Trainer's optimizer holds what required grad.
        Invalid(
            """
            from transformers import TrainerCallback

            class UnfreezeEncoder(TrainerCallback):
                def on_epoch_begin(self, args, state, control, model=None, **kwargs):
                    if state.epoch >= 1:
                        for p in model.encoder.parameters():
                            p.requires_grad = True
            """,
            line=7,
            message_contains="`Trainer.create_optimizer()`",
        ),
        # A helper called from the training loop.
        Invalid(
            """
            def unfreeze(net):
                for p in net.backbone.parameters():
                    p.requires_grad = True

            optimizer = torch.optim.AdamW(filter(lambda p: p.requires_grad, model.parameters()))
            for epoch in range(20):
                if epoch == 5:
                    unfreeze(model)
                train_one_epoch(model, optimizer)
            """,
            line=8,
            message_contains="`unfreeze(model)` (`unfreeze()` runs `p.requires_grad = True`, line 3)",
        ),
        # "Phase 2" only lowers the learning rate of the existing param groups.
        Invalid(
            """
            import lightning as L

            class Classifier(L.LightningModule):
                def configure_optimizers(self):
                    return torch.optim.Adam(filter(lambda p: p.requires_grad, self.parameters()))

                def on_train_epoch_start(self):
                    if self.current_epoch == 3:
                        self.backbone.requires_grad_(True)
                        for group in self.optimizers().param_groups:
                            group["lr"] = 1e-5
            """,
            line=9,
        ),
    ]

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        self._loops = ModelLoops()
        self._flows: list[_Flow] = [_Flow("<module>")]
        self._owners: list[_Owner] = [_Owner()]
        self._order = 0
        self._adds_param_groups = "add_param_group" in file.source.text
        self._class_kinds: dict[str, str | None] = {}
        self._configured: list[_Build] = []  # every class's `configure_optimizers` builds
        self._callback_hooks: list[tuple[str, _Flow]] = []  # (kind, hook) judged at the end
        self._all_flows: list[_Flow] = []
        self._helpers: dict[str, _Flow] = {}  # module-level functions, by name

    def _unaliased(self, node: cst.BaseExpression) -> str | None:
        """``node``'s dotted path with aliases followed: ``head`` after ``head = model.fc`` is
        ``model.fc``; ``self.model`` after ``self.model = model`` in ``__init__`` is ``model``."""
        path, site = dotted_name(node), self.site()
        for _ in range(_MAX_NAME_HOPS):
            if path is None:
                return None
            root, _, rest = path.partition(".")
            owner = self.owner_class(root, site)
            if owner is not None and rest:
                attribute, _, rest = rest.partition(".")
                bindings = owner.attributes.get(attribute, [])
                binding = bindings[0] if len(bindings) == 1 else None
            else:
                binding = self.lookup(root, site)
            value = binding.expression() if binding is not None and not binding.iterated else None
            alias = dotted_name(value) if value is not None else None
            if binding is None or alias is None:
                return path
            path, site = (f"{alias}.{rest}" if rest else alias), binding.site
        return path

    def _next(self) -> int:
        self._order += 1
        return self._order

    # What an optimizer is given.

    def _filtered(self, source: cst.BaseExpression, found: _Parameters, hops: int) -> None:
        """``source`` is given filtered on ``requires_grad``."""
        inner = _Parameters()
        self._collect(source, inner, hops)
        found.filtered_parts += inner.parts + inner.filtered_parts
        found.unknown |= inner.unknown

    def _collect(self, node: cst.BaseExpression, found: _Parameters, hops: int) -> None:
        if isinstance(node, cst.Name):
            binding = self.lookup(node.value, self.site())
            value = binding.expression() if binding is not None and not binding.iterated else None
            if value is None or hops >= _MAX_NAME_HOPS:
                found.unknown = True
            else:
                self._collect(value, found, hops + 1)
        elif isinstance(node, (cst.List, cst.Tuple)):
            for element in node.elements:
                self._collect(element.value, found, hops)
        elif isinstance(node, cst.Dict):
            for entry in node.elements:
                if (
                    isinstance(entry, cst.DictElement)
                    and isinstance(entry.key, cst.SimpleString)
                    and entry.key.evaluated_value == "params"
                ):
                    self._collect(entry.value, found, hops)
        elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            self._collect(node.left, found, hops)
            self._collect(node.right, found, hops)
        elif isinstance(node, (cst.ListComp, cst.GeneratorExp)):
            self._collect_comprehension(node, found, hops)
        elif isinstance(node, cst.Call):
            self._collect_call(node, found, hops)
        else:
            found.unknown = True

    def _collect_comprehension(
        self, node: cst.ListComp | cst.GeneratorExp, found: _Parameters, hops: int
    ) -> None:
        conditions = [condition.test for condition in node.for_in.ifs]
        if node.for_in.inner_for_in is not None or not is_name(node.elt):
            found.unknown = True  # param groups built in a loop, or parameters picked apart
        elif any(_mentions_requires_grad(test) for test in conditions):
            self._filtered(node.for_in.iter, found, hops)
        elif conditions:
            found.unknown = True  # selected by name or shape: which parts, the code does not say
        else:
            self._collect(node.for_in.iter, found, hops)

    def _collect_call(self, node: cst.Call, found: _Parameters, hops: int) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in (
            "parameters",
            "named_parameters",
        ):
            part = self._loops.part_of(func.value, self._unaliased)
            if part is not None and part.exact:
                found.parts.append(part.path)
            else:
                found.unknown = True
        elif is_name(func, "filter") and len(node.args) == 2:
            if _mentions_requires_grad(node.args[0].value):
                self._filtered(node.args[1].value, found, hops)
            else:
                found.unknown = True
        elif (dotted_name(func) or "").rpartition(".")[2] in _PASS_THROUGH:
            for arg in node.args:
                self._collect(arg.value, found, hops)
        else:
            found.unknown = True

    # Collection.

    def _optimizer_parameters(self, node: cst.BaseExpression | None) -> _Parameters | None:
        """What ``node`` gives an optimizer it builds, or None when it builds none."""
        if not isinstance(node, cst.Call):
            return None
        name = (dotted_name(node.func) or "").rpartition(".")[2]
        if OPTIMIZER_CLASS.match(name):
            positional = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
            keywords = {arg.keyword.value: arg.value for arg in node.args if arg.keyword}
            given = keywords.get("params", positional[0] if positional else None)
            found = _Parameters(unknown=given is None)
            if given is not None:
                self._collect(given, found, hops=0)
            return found
        if name in _NOT_BUILDS:
            return None
        return _Parameters(unknown=True) if _OPTIMIZER_FACTORY.search(name) else None

    def _add_build(self, node: cst.CSTNode, target: str | None, parameters: _Parameters) -> None:
        flow = self._flows[-1]
        flow.builds.append(_Build(node, target, parameters, self._next(), frozenset(flow.loops)))

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        for setting in assigned_requires_grad(node):
            self._record_unfreeze(setting)
        target = dotted_name(node.targets[0].target)
        parameters = self._optimizer_parameters(node.value)
        if parameters is None and target in {build.target for build in self._flows[-1].builds}:
            parameters = _Parameters(unknown=True)  # an optimizer's variable gets a new value
        if parameters is not None:
            self._add_build(node.value if isinstance(node.value, cst.Call) else node, target,
                            parameters)  # fmt: skip

    def visit_Return(self, node: cst.Return) -> None:
        super().visit_Return(node)
        parameters = self._optimizer_parameters(node.value)
        if parameters is not None:
            self._add_build(node, None, parameters)

    def visit_Expr(self, node: cst.Expr) -> None:
        setting = called_requires_grad(node)
        parameters = self._optimizer_parameters(node.value)
        if setting is not None:
            self._record_unfreeze(setting)
        elif parameters is not None:
            self._add_build(node, None, parameters)

    def _record_unfreeze(self, setting: RequiresGradSetting) -> None:
        if setting.requested is not True:
            return
        flow = self._flows[-1]
        part = self._loops.part_of(setting.receiver, self._unaliased)
        flow.unfreezes.append(
            _Unfreeze(setting.statement, part, self._next(), frozenset(flow.loops))
        )

    def visit_For(self, node: cst.For) -> None:
        super().visit_For(node)
        self._loops.enter(node.target, node.iter)
        self._flows[-1].loops.append(id(node))

    def leave_For(self, original_node: cst.For) -> None:
        self._loops.leave()
        self._flows[-1].loops.pop()

    def visit_While(self, node: cst.While) -> None:
        self._flows[-1].loops.append(id(node))

    def leave_While(self, original_node: cst.While) -> None:
        self._flows[-1].loops.pop()

    def visit_Name(self, node: cst.Name) -> None:
        self._flows[-1].references.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        name = dotted_name(node)
        if name is not None:
            self._flows[-1].references.add(name)

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        if not isinstance(node.func, cst.Name):
            return
        flow = self._flows[-1]
        positional = [
            self._unaliased(arg.value) for arg in node.args if arg.keyword is None and not arg.star
        ]
        keywords = {
            arg.keyword.value: self._unaliased(arg.value) for arg in node.args if arg.keyword
        }
        flow.calls.append(
            _Call(node.func.value, node, positional, keywords, self._next(),
                  frozenset(flow.loops))
        )  # fmt: skip

    def _class_kind(self, node: cst.ClassDef) -> str | None:
        """Whether the class is a Lightning or a transformers callback, by its bases."""
        for base in node.bases:
            qualified = self.file.imports.qualify(base.value)
            if qualified in _LIGHTNING_CALLBACKS:
                return "lightning-callback"
            if qualified in _HF_CALLBACKS:
                return "hf-callback"
            local = self._class_kinds.get(dotted_name(base.value) or "")
            if local is not None:
                return local
        return None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        super().visit_ClassDef(node)
        kind = self._class_kind(node)
        self._class_kinds[node.name.value] = kind
        self._owners.append(_Owner(kind=kind))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        super().leave_ClassDef(original_node)
        self._judge_borrowing(self._owners.pop())

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        params = node.params
        names = [p.name.value for p in (*params.posonly_params, *params.params)]
        self._flows.append(
            _Flow(node.name.value, parameters=names + [p.name.value for p in params.kwonly_params])
        )

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        super().leave_FunctionDef(original_node)
        flow, owner = self._flows.pop(), self._owners[-1]
        self._all_flows.append(flow)
        self._judge_flow(flow)
        owner.builds += flow.builds
        if flow.name == _CONFIGURE_OPTIMIZERS and self.scope.is_class:
            owner.configured += flow.builds
            self._configured += flow.builds
        hook = (owner.kind == "lightning-callback" and _CALLBACK_HOOK.match(flow.name)) or (
            owner.kind == "hf-callback" and flow.name in _HF_HOOKS
        )
        if flow.unfreezes and not flow.builds and hook and owner.kind is not None:
            self._callback_hooks.append((owner.kind, flow))
        elif flow.unfreezes and not flow.builds:
            owner.borrowing.append(flow)
        if len(self._flows) == 1 and len(self._owners) == 1:
            self._helpers[flow.name] = flow

    def leave_Module(self, original_node: cst.Module) -> None:
        flow, owner = self._flows.pop(), self._owners.pop()
        self._all_flows.append(flow)
        self._judge_flow(flow)
        owner.builds += flow.builds
        self._judge_borrowing(owner)
        for caller in self._all_flows:
            self._judge_helper_calls(caller)
        for kind, hook in self._callback_hooks:
            if kind == "hf-callback":
                self._judge_hf_hook(hook)
            else:
                self._judge_lightning_callback(hook)

    def _judge_helper_calls(self, caller: _Flow) -> None:
        """Calls of same-file helpers that unfreeze (and build no optimizer), as unfreezes at
        the call: the helper's parameters stand for the caller's arguments."""
        unfreezes: list[_Unfreeze] = []
        for call in caller.calls:
            helper = self._helpers.get(call.name)
            if helper is None or helper is caller or helper.builds or not helper.unfreezes:
                continue
            replacements: dict[str, str | None] = dict.fromkeys(helper.parameters)
            replacements.update(zip(helper.parameters, call.positional, strict=False))
            replacements.update(
                (name, path) for name, path in call.keywords.items() if name in replacements
            )
            for unfreeze in helper.unfreezes:
                code = one_line(self.file.module.code_for_node(unfreeze.node), None)
                unfreezes.append(
                    _Unfreeze(call.node, helper.rebased(unfreeze.part, replacements), call.order,
                              call.loops, f" (`{call.name}()` runs `{code}`, "
                              f"{self.where(unfreeze.node)})")
                )  # fmt: skip
        if unfreezes:
            self._judge_flow(_Flow(caller.name, builds=caller.builds, unfreezes=unfreezes))

    def _judge_lightning_callback(self, hook: _Flow) -> None:
        """A Lightning callback's training hook that unfreezes parts of its `pl_module`: the
        optimizer in effect is the one of a `configure_optimizers` of this file."""
        if not self._configured or len(hook.parameters) <= _PL_MODULE_POSITION:
            return
        trainer, pl_module = hook.parameters[1], hook.parameters[_PL_MODULE_POSITION]
        replacements: dict[str, str | None] = {pl_module: "self"}
        for unfreeze in hook.unfreezes:
            part = unfreeze.part
            for accessor in ("lightning_module", "model"):
                prefix = f"{trainer}.{accessor}"
                if part is not None and is_within(part.path, prefix):
                    part = Part("self" + part.path.removeprefix(prefix), part.exact)
            rebased = _Unfreeze(unfreeze.node, hook.rebased(part, replacements), unfreeze.order,
                                unfreeze.loops, shown=unfreeze.part)  # fmt: skip
            self._judge(rebased, self._configured, hook=True)

    def _judge_hf_hook(self, hook: _Flow) -> None:
        """A transformers callback's hook that unfreezes: `Trainer.create_optimizer()` gave the
        optimizer only the parameters that required grad then (unless the file hands the
        Trainer an optimizer of its own or overrides `create_optimizer`)."""
        if self._adds_param_groups or _HF_OWN_OPTIMIZER.search(self.file.source.text):
            return
        for unfreeze in hook.unfreezes:
            code = one_line(self.file.module.code_for_node(unfreeze.node), None)
            part = unfreeze.part
            what = "parameters" if part is None else f"parameters of `{part.path}`"
            self.report(
                unfreeze.node,
                f"`{code}` in `{hook.name}()` makes {what} trainable after the transformers "
                "`Trainer` built its optimizer (`Trainer.create_optimizer()`, before "
                "`on_train_begin`) from only the parameters that required grad then: they get "
                "gradients, but the optimizer never updates them. Unfreeze before "
                "`trainer.train()`, or add them with `kwargs['optimizer'].add_param_group("
                "{'params': ...})`",
            )

    # Verdict.

    def _judge_flow(self, flow: _Flow) -> None:
        """Unfreezes after a build of the same function that no later build replaces (a build
        after the unfreeze, or rerun by a loop around both)."""
        for unfreeze in flow.unfreezes:
            if not any(
                build.order > unfreeze.order or build.loops & unfreeze.loops
                for build in flow.builds
            ):
                earlier = [build for build in flow.builds if build.order < unfreeze.order]
                # The optimizer in effect: the last build assigned to each variable.
                self._judge(unfreeze, list({b.target or id(b): b for b in earlier}.values()))

    def _judge_borrowing(self, owner: _Owner) -> None:
        """Functions that unfreeze but use an optimizer built elsewhere in the module or class:
        the ones they name (`optimizer.step()`), or, in a Lightning training hook, the one of
        `configure_optimizers`. Any of their builds may be the one in effect."""
        for flow in owner.borrowing:
            hook = bool(owner.configured) and bool(_TRAINING_HOOK.match(flow.name))
            named = [build for build in owner.builds if build.target in flow.references]
            for unfreeze in flow.unfreezes:
                self._judge(unfreeze, owner.configured if hook else named, hook)

    def _judge(self, unfreeze: _Unfreeze, in_effect: list[_Build], hook: bool = False) -> None:
        """Report ``unfreeze`` if the optimizers in effect are limited and none of them holds
        the unfrozen parameters."""
        if self._adds_param_groups or any(b.parameters.covers(unfreeze.part) for b in in_effect):
            return
        limited = next((build for build in in_effect if build.parameters.limited), None)
        if limited is not None:
            self._report(unfreeze, limited, hook)

    def _report(self, unfreeze: _Unfreeze, build: _Build, hook: bool) -> None:
        code = self.file.module.code_for_node
        statement = one_line(code(unfreeze.node), None)
        if hook:
            optimizer = f"the optimizer of `{_CONFIGURE_OPTIMIZERS}()`"
        else:
            optimizer = f"`{build.target}`" if build.target else "the optimizer"
            optimizer += f" ({self.where(build.node)})"
        parameters = build.parameters
        given = " and ".join(
            [f"the parameters of `{part}`" for part in parameters.parts]
            + [f"those of `{part}` trainable then" for part in parameters.filtered_parts]
        )
        part = unfreeze.shown or unfreeze.part
        what = "parameters" if part is None else f"parameters of `{part.path}`"
        variable = build.target or "optimizer"
        self.report(
            unfreeze.node,
            f"`{statement}`{unfreeze.via} makes {'the ' if part and part.exact else ''}{what} trainable after "
            f"{optimizer} was built from only {given}: they get gradients, but the optimizer "
            f"never updates them. Add them with `{variable}.add_param_group({{'params': ...}})`"
            + (" (Lightning's `BaseFinetuning.unfreeze_and_add_param_group` does both)" if hook
               else ", or build the optimizer after unfreezing"),
        )  # fmt: skip
