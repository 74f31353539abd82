"""Which statements of a file shape its models: ``ftlint verify`` runs those and nothing else.

Seeds, kept for what they do: model construction, freeze code (loops over a model's parameters
or modules, ``requires_grad`` changes, ``eval()``/``train()``, freeze helpers), writes to a
model's attributes (head replacement), optimizer construction, calls of same-file helpers that
do any of these and, in such a helper, its ``return``. Then, transitively, whatever the kept code
reads: imports, definitions, assignments. Everything else is dropped: training (loops that call
``backward``/``step``, helpers that train without building a model), data loading and I/O stay
dropped even when kept code reads what they bind; those names are *unavailable*, and the run
says where they came from if the kept code touches them.

A scope's statements are decided as wholes, except the blocks of ``if``/``with``/``try`` (so
``if __name__ == "__main__":`` is entered) and the bodies of the same-file helpers kept code
calls (``main()``), which are decided statement by statement in turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange

from ftlint.analysis.freeze import (
    FREEZE_METHODS,
    PARAMETER_ITERATORS,
    find_freeze_action,
    is_freeze_call,
    is_requires_grad_target,
)
from ftlint.analysis.imports import ImportMap, dotted_name

# Callees whose results are models or model parts, by qualified-name prefix.
_MODEL_PREFIXES = (
    "torch.nn",
    "torchvision.models",
    "torch.hub.load",
    "timm",
    "transformers",
    "peft",
    "segmentation_models_pytorch",
    "lightning.pytorch.LightningModule",
    "lightning.LightningModule",
    "pytorch_lightning.LightningModule",
)
# An optimizer class: `torch.optim.SGD`, `bnb.optim.AdamW8bit`, `transformers.Adafactor`.
_OPTIMIZER = re.compile(
    r"(^|\.)optim\.\w+$|(^|\.)\w*(Adam|SGD|RMSprop|Adagrad|Adadelta|Lion|Lamb|Adafactor)\w*$"
)
# Calls that must never run, even when kept code reads what they return, and why.
_UNSAFE_CALLS = (
    ("torch.utils.data", "data loading"),
    ("torchvision.datasets", "data loading"),
    ("torchaudio.datasets", "data loading"),
    ("torchtext.datasets", "data loading"),
    ("datasets", "data loading"),
    ("pandas", "data loading"),
    ("numpy.load", "data loading"),
    ("numpy.loadtxt", "data loading"),
    ("PIL.Image.open", "data loading"),
    ("cv2.imread", "data loading"),
    ("lightning.pytorch.LightningDataModule", "data loading"),
    ("open", "file I/O"),
    ("json.load", "file I/O"),
    ("pickle.load", "file I/O"),
    ("yaml.load", "file I/O"),
    ("yaml.safe_load", "file I/O"),
    ("torch.save", "file I/O"),
    ("glob", "file I/O"),
    ("os.listdir", "file I/O"),
    ("os.walk", "file I/O"),
    ("os.makedirs", "file I/O"),
    ("shutil", "file I/O"),
    ("input", "user input"),
    ("subprocess", "running a program"),
    ("requests", "network I/O"),
    ("urllib", "network I/O"),
    ("wandb", "experiment logging"),
    ("mlflow", "experiment logging"),
    ("torch.utils.tensorboard", "experiment logging"),
)
# Methods that train, or run a training loop.
TRAINING_METHODS = frozenset({"backward", "step", "zero_grad", "fit"})
# Methods on a model that leave it as it is: calling them shapes nothing.
_READING_METHODS = frozenset({"forward", "predict", "generate", "state_dict", "named_parameters"})


@dataclass(frozen=True)
class Unavailable:
    """A name kept code reads that only dropped statements bind."""

    name: str
    row: int
    reason: str  # what the dropped statement does: "data loading", "training", ...


@dataclass(frozen=True)
class Note:
    row: int
    text: str


@dataclass
class Pruning:
    """The decision for every statement decided as a whole (by node identity)."""

    decided: set[int] = field(default_factory=set)
    kept: set[int] = field(default_factory=set)
    unavailable: dict[str, Unavailable] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)


def qualified_callee(call: cst.Call, imports: ImportMap) -> str | None:
    """``torchvision.models.resnet50`` for ``resnet50(...)`` after ``from torchvision.models
    import resnet50``; the dotted name as written when it is not imported; None otherwise."""
    return imports.qualify(call.func) or dotted_name(call.func)


def root_name(node: cst.BaseExpression) -> str | None:
    """``model`` for ``model.layer4[0].conv1`` or ``model.fc.parameters()``."""
    while isinstance(node, (cst.Attribute, cst.Subscript, cst.Call)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node.value if isinstance(node, cst.Name) else None


def _matches(qualified: str, prefixes: Sequence[str]) -> bool:
    return any(qualified == prefix or qualified.startswith(prefix + ".") for prefix in prefixes)


def _method(call: cst.Call) -> str | None:
    return call.func.attr.value if isinstance(call.func, cst.Attribute) else None


class _RunningCode(cst.CSTVisitor):
    """Visits what a statement runs, not the bodies of the functions and classes it defines."""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


class _Calls(_RunningCode):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)


class _RequiresGradChanges(_RunningCode):
    """``x.requires_grad = ...``, ``x.requires_grad_(...)`` and freeze helpers, but not ``eval()``
    and ``train()``, which every training loop calls."""

    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Assign(self, node: cst.Assign) -> None:
        self.found |= any(is_requires_grad_target(target.target) for target in node.targets)

    def visit_Call(self, node: cst.Call) -> None:
        method = _method(node)
        self.found |= (
            method == "requires_grad_" or method not in FREEZE_METHODS and is_freeze_call(node)
        )


def changes_requires_grad(node: cst.CSTNode) -> bool:
    finder = _RequiresGradChanges()
    node.visit(finder)
    return finder.found


def outer_calls(statement: cst.BaseStatement) -> Iterator[cst.Call]:
    """The calls whose results a simple statement assigns, returns or drops, through method
    chains: ``resnet50(...)`` and ``.to(device)`` in ``model = resnet50(...).to(device)``, but not
    ``transforms()`` in ``dataset = ImageFolder(root, transform=weights.transforms())``."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return
    for small in statement.body:
        value = (
            getattr(small, "value", None)
            if isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Expr, cst.Return))
            else None
        )
        while isinstance(value, cst.Call):
            yield value
            value = value.func.value if isinstance(value.func, cst.Attribute) else None


def calls_in(*nodes: cst.CSTNode) -> list[cst.Call]:
    collector = _Calls()
    for node in nodes:
        node.visit(collector)
    return collector.calls


class NameUse(cst.CSTVisitor):
    """Names a statement reads from outside, and names it binds or changes: assignment, loop
    and ``with`` targets, imports, definitions, and the roots of attributes, items and receivers
    of method calls it writes through (``model.fc = ...``, ``layers.append(...)``).

    Loop and comprehension variables and lambda parameters are not reads: ``name`` in the body
    of ``for name, p in model.named_parameters()`` is the loop's own.
    """

    def __init__(self, *, into_functions: bool = False) -> None:
        super().__init__()
        self._names: set[str] = set()
        self._locals: set[str] = set()
        self.binds: set[str] = set()
        self._into_functions = into_functions

    @property
    def reads(self) -> set[str]:
        return self._names - self._locals

    def bind(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.binds.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.bind(element.value)
        else:
            root = root_name(target)
            if root is not None:
                self.binds.add(root)
            target.visit(self)

    def visit_Name(self, node: cst.Name) -> None:
        self._names.add(node.value)

    def _local(self, target: cst.BaseExpression) -> None:
        own = NameUse()
        own.bind(target)
        self._locals |= own.binds

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._local(node.target)

    def visit_Param(self, node: cst.Param) -> None:
        self._locals.add(node.name.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Assign(self, node: cst.Assign) -> bool:
        for target in node.targets:
            self.bind(target.target)
        node.value.visit(self)
        return False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        self.bind(node.target)
        node.annotation.visit(self)
        if node.value is not None:
            node.value.visit(self)
        return False

    def visit_AugAssign(self, node: cst.AugAssign) -> bool:
        self.bind(node.target)
        node.target.visit(self)
        node.value.visit(self)
        return False

    def visit_For(self, node: cst.For) -> None:
        self.bind(node.target)
        self._local(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.bind(node.asname.name)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self.bind(node.name.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.bind(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self.bind(node.target)

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, cst.Call) and isinstance(node.value.func, cst.Attribute):
            root = root_name(node.value.func.value)
            if root is not None:
                self.binds.add(root)

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            local = alias.asname.name if alias.asname else alias.name
            self.binds.add((dotted_name(local) or "").split(".")[0])
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                local = alias.asname.name if alias.asname else alias.name
                self.binds.add(dotted_name(local) or "")
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        """Its signature; what its body reads is the caller's business (the body is pruned),
        except in a class, whose methods are kept whole."""
        if self._into_functions:
            return True
        self.binds.add(node.name.value)
        for part in (*node.decorators, node.returns):
            if part is not None:
                part.visit(self)
        for param in (*node.params.params, *node.params.kwonly_params, *node.params.posonly_params):
            for piece in (param.default, param.annotation):
                if piece is not None:
                    piece.visit(self)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.binds.add(node.name.value)
        for part in (*node.decorators, *node.bases, *node.keywords):
            part.visit(self)
        return False

    def visit_Global(self, node: cst.Global) -> bool:
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        return False


def name_use(*nodes: cst.CSTNode | None, into_functions: bool = False) -> NameUse:
    use = NameUse(into_functions=into_functions)
    for node in nodes:
        if node is not None:
            node.visit(use)
    return use


def assigned_names(statement: cst.SimpleStatementLine) -> set[str]:
    """Names that ``x = ...``/``x: T = ...`` statements on this line assign as a whole."""
    return {
        target.value
        for small in statement.body
        if isinstance(small, (cst.Assign, cst.AnnAssign))
        for target in (
            [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
        )
        if isinstance(target, cst.Name)
    }


def parameter_names(function: cst.FunctionDef) -> set[str]:
    params = function.params
    names = {
        param.name.value
        for param in (*params.posonly_params, *params.params, *params.kwonly_params)
    }
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return names


def _is_always_kept(statement: cst.SimpleStatementLine) -> bool:
    """Docstrings, ``global``, ``from __future__`` and star imports: they cost nothing, and
    other code relies on them being where they are."""
    for small in statement.body:
        if isinstance(small, (cst.Global, cst.Nonlocal)):
            return True
        if isinstance(small, cst.Expr) and isinstance(
            small.value, (cst.SimpleString, cst.ConcatenatedString)
        ):
            return True
        if isinstance(small, cst.ImportFrom) and (
            isinstance(small.names, cst.ImportStar)
            or small.module is not None
            and dotted_name(small.module) == "__future__"
        ):
            return True
    return False


def statement_blocks(statement: cst.BaseStatement) -> list[cst.IndentedBlock] | None:
    """The blocks of an ``if``/``with``/``try`` whose statements are decided one by one, or None
    for a statement decided as a whole."""
    blocks: list[cst.BaseSuite] = []
    if isinstance(statement, cst.If):
        branch: cst.If | cst.Else | None = statement
        while isinstance(branch, cst.If):
            blocks.append(branch.body)
            branch = branch.orelse
        if branch is not None:
            blocks.append(branch.body)
    elif isinstance(statement, cst.With):
        blocks.append(statement.body)
    elif isinstance(statement, (cst.Try, cst.TryStar)):
        blocks.extend([statement.body, *(handler.body for handler in statement.handlers)])
        blocks.extend(part.body for part in (statement.orelse, statement.finalbody) if part)
    else:
        return None
    indented = [block for block in blocks if isinstance(block, cst.IndentedBlock)]
    return indented if len(indented) == len(blocks) else None


def _header(statement: cst.BaseStatement) -> list[cst.CSTNode]:
    """The parts of an ``if``/``with``/``try`` that run before or around its blocks."""
    if isinstance(statement, cst.If):
        tests: list[cst.CSTNode] = []
        branch: cst.BaseStatement | cst.Else | None = statement
        while isinstance(branch, cst.If):
            tests.append(branch.test)
            branch = branch.orelse
        return tests
    if isinstance(statement, cst.With):
        return list(statement.items)
    if isinstance(statement, (cst.Try, cst.TryStar)):
        return [handler.type or cst.Name("BaseException") for handler in statement.handlers]
    return []


@dataclass(eq=False)
class _Unit:
    """A statement decided as a whole, or an ``if``/``with``/``try`` whose blocks are decided
    statement by statement (a container)."""

    node: cst.BaseStatement
    parent: _Unit | None
    container: bool
    reads: set[str]
    binds: set[str]
    calls: list[cst.Call]
    seed: bool = False

    def ancestors(self) -> Iterator[_Unit]:
        unit = self.parent
        while unit is not None:
            yield unit
            unit = unit.parent


@dataclass
class _Scope:
    """The pruning of one module or function body."""

    units: list[_Unit]
    kept: set[_Unit] = field(default_factory=set)
    free: set[str] = field(default_factory=set)  # names read here and bound outside
    unavailable: dict[str, Unavailable] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)

    @property
    def has_seeds(self) -> bool:
        return any(unit.seed for unit in self.units)


class _Pruner:
    def __init__(
        self,
        module: cst.Module,
        positions: Mapping[cst.CSTNode, CodeRange],
        pinned: frozenset[str],
        keeps: tuple[str, ...],
    ) -> None:
        self.module = module
        self.positions = positions
        self.pinned = pinned
        self.keeps = keeps
        self.imports = ImportMap.from_module(module)
        self.functions: dict[str, cst.FunctionDef] = {}
        self.classes: dict[str, cst.ClassDef] = {}
        for statement in self._module_level(module.body):
            if isinstance(statement, cst.FunctionDef):
                self.functions[statement.name.value] = statement
            elif isinstance(statement, cst.ClassDef):
                self.classes[statement.name.value] = statement
        self.module_models: set[str] = set()
        self._scopes: dict[int, _Scope] = {}
        self._trains: dict[str, bool] = {}
        self._builds: dict[str, bool] = {}

    def _module_level(self, statements: Sequence[cst.BaseStatement]) -> Iterator[cst.BaseStatement]:
        for statement in statements:
            yield statement
            for block in statement_blocks(statement) or ():
                yield from self._module_level(block.body)

    def row(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line

    # What calls do -------------------------------------------------------------------------

    def _class_bases(self, name: str, seen: frozenset[str] = frozenset()) -> Iterator[str]:
        """Qualified names of a same-file class's bases, through same-file base classes."""
        for base in self.classes[name].bases:
            local = dotted_name(base.value)
            if local in self.classes and local not in seen:
                yield from self._class_bases(local, seen | {name})
            qualified = self.imports.qualify(base.value) or local
            if qualified is not None:
                yield qualified

    def unsafe_reason(self, call: cst.Call) -> str | None:
        """Why ``call`` must not run (data loading, I/O), or None."""
        qualified = qualified_callee(call, self.imports)
        if qualified is None:
            return None
        names = [qualified]
        if qualified in self.classes:
            names.extend(self._class_bases(qualified))
        for name in names:
            for prefix, reason in _UNSAFE_CALLS:
                if _matches(name, (prefix,)):
                    return reason
        return None

    def is_construction(self, call: cst.Call) -> bool:
        """A call that builds a model or an optimizer, or something a simulator needs."""
        qualified = qualified_callee(call, self.imports)
        if qualified is None:
            return False
        if qualified in self.classes:
            prefixes = (*_MODEL_PREFIXES, *self.keeps)
            return any(_matches(base, prefixes) for base in self._class_bases(qualified))
        if qualified in self.functions:
            return self.builds(qualified)
        return _matches(qualified, (*_MODEL_PREFIXES, *self.keeps)) or bool(
            _OPTIMIZER.search(qualified)
        )

    def _helper(self, call: cst.Call) -> str | None:
        return (
            call.func.value
            if isinstance(call.func, cst.Name) and call.func.value in self.functions
            else None
        )

    def is_training(self, call: cst.Call) -> bool:
        if _method(call) in TRAINING_METHODS:
            return True
        helper = self._helper(call)
        return helper is not None and self.trains(helper) and not self.builds(helper)

    def runs_helper(self, call: cst.Call) -> bool:
        """A call of a same-file helper whose pruned body still does something."""
        helper = self._helper(call)
        return (
            helper is not None
            and not self.is_training(call)
            and self.function_scope(self.functions[helper]).has_seeds
        )

    def _transitively(
        self, memo: dict[str, bool], name: str, test: Callable[[cst.Call], bool]
    ) -> bool:
        """Whether helper ``name`` makes a call that passes ``test``, itself or in its helpers."""
        if name not in memo:
            memo[name] = False  # a recursive helper does not make itself qualify
            memo[name] = any(
                test(call)
                or (helper := self._helper(call)) is not None
                and self._transitively(memo, helper, test)
                for call in calls_in(self.functions[name].body)
            )
        return memo[name]

    def trains(self, name: str) -> bool:
        return self._transitively(
            self._trains, name, lambda call: _method(call) in TRAINING_METHODS
        )

    def builds(self, name: str) -> bool:
        return self._transitively(self._builds, name, self._builds_directly)

    def _builds_directly(self, call: cst.Call) -> bool:
        qualified = qualified_callee(call, self.imports)
        return (
            qualified is not None and qualified not in self.functions and self.is_construction(call)
        )

    # Units -----------------------------------------------------------------------------------

    def _units(
        self, statements: Sequence[cst.BaseStatement], parent: _Unit | None
    ) -> Iterator[_Unit]:
        for statement in statements:
            blocks = statement_blocks(statement)
            if blocks is not None:
                header = _header(statement)
                use = name_use(*header)
                unit = _Unit(statement, parent, True, use.reads, use.binds, calls_in(*header))
                yield unit
                for block in blocks:
                    yield from self._units(block.body, unit)
            else:
                use = name_use(statement)
                yield _Unit(statement, parent, False, use.reads, use.binds, calls_in(statement))

    def _writes_model(self, unit: _Unit, models: set[str]) -> bool:
        """``model.fc = ...``, ``del model.fc``, ``model.apply(init)``, ``setattr(model, ...)``."""
        if not isinstance(unit.node, cst.SimpleStatementLine):
            return False
        written: list[cst.BaseExpression] = []
        for small in unit.node.body:
            if isinstance(small, cst.Assign):
                written.extend(target.target for target in small.targets)
            elif isinstance(small, (cst.AugAssign, cst.AnnAssign, cst.Del)):
                written.append(small.target)
            elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                call = small.value
                if (
                    isinstance(call.func, cst.Attribute)
                    and call.func.attr.value not in _READING_METHODS
                ):
                    written.append(call.func)
                elif dotted_name(call.func) in ("setattr", "delattr") and call.args:
                    written.append(cst.Attribute(call.args[0].value, cst.Name("_")))
        return any(
            isinstance(target, (cst.Attribute, cst.Subscript)) and root_name(target) in models
            for target in written
        )

    def _model_names(self, units: list[_Unit], parameters: set[str]) -> set[str]:
        """Names that hold models here: built ones, aliases of their parts, what freeze code
        iterates or calls ``eval()`` on, and in a helper its parameters."""
        models = set(parameters) | self.module_models
        for unit in units:
            node = unit.node
            if isinstance(node, cst.SimpleStatementLine) and any(
                map(self.is_construction, outer_calls(node))
            ):
                models |= assigned_names(node)
            for call in unit.calls:
                if (
                    isinstance(call.func, cst.Attribute)
                    and call.func.attr.value in PARAMETER_ITERATORS | FREEZE_METHODS
                ):
                    root = root_name(call.func.value)
                    if root is not None:
                        models.add(root)
        for _ in range(2):  # aliases of aliases
            for unit in units:
                node = unit.node
                if isinstance(node, cst.SimpleStatementLine) and any(
                    isinstance(small, cst.Assign) and root_name(small.value) in models
                    for small in node.body
                ):
                    models |= assigned_names(node)
        return models

    def _is_freeze_code(self, node: cst.BaseStatement) -> bool:
        return find_freeze_action(self.module, node) is not None

    def _is_seed(self, unit: _Unit, models: set[str], in_function: bool) -> bool:
        node = unit.node
        if unit.container or isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return False
        if any(map(self.is_training, unit.calls)):
            return False
        if isinstance(node, cst.SimpleStatementLine) and (
            _is_always_kept(node)
            or in_function
            and any(isinstance(small, cst.Return) for small in node.body)
        ):
            return True
        return (
            self._is_freeze_code(node)
            or any(map(self.is_construction, outer_calls(node)))
            or any(map(self.runs_helper, unit.calls))
            or self._writes_model(unit, models)
        )

    def _is_pinned(self, unit: _Unit) -> bool:
        node = unit.node
        return (
            isinstance(node, cst.SimpleStatementLine)
            and len(node.body) == 1
            and isinstance(node.body[0], (cst.Assign, cst.AnnAssign))
            and unit.binds <= self.pinned
            and bool(unit.binds)
        )

    def _blocked(self, unit: _Unit, kept: set[_Unit]) -> str | None:
        """Why ``unit`` must not run although kept code reads what it binds."""
        if self._is_pinned(unit):
            return "pinned"
        if any(map(self.is_training, unit.calls)):
            return "training"
        for candidate in (unit, *unit.ancestors()):
            if candidate in kept:
                return None
            for call in candidate.calls:
                reason = self.unsafe_reason(call)
                if reason is not None:
                    return reason
        return None

    # Scopes -----------------------------------------------------------------------------------

    def prune(
        self, statements: Sequence[cst.BaseStatement], parameters: set[str], in_function: bool
    ) -> _Scope:
        scope = _Scope(list(self._units(statements, None)))
        models = self._model_names(scope.units, parameters)
        if not in_function:
            self.module_models = models
        for unit in scope.units:
            unit.seed = self._is_seed(unit, models, in_function) and not self._is_pinned(unit)
        binders: dict[str, list[_Unit]] = {}
        for unit in scope.units:
            for name in unit.binds:
                binders.setdefault(name, []).append(unit)
        needed: list[str] = []
        blocked: dict[str, Unavailable] = {}

        def keep(unit: _Unit) -> None:
            for member in (unit, *unit.ancestors()):
                if member not in scope.kept:
                    scope.kept.add(member)
                    needed.extend(self._reads(member))

        for unit in scope.units:
            if unit.seed:
                keep(unit)
        done: set[str] = set()
        while needed:
            name = needed.pop()
            if name in done:
                continue
            done.add(name)
            for unit in binders.get(name, ()):
                reason = self._blocked(unit, scope.kept)
                if reason is None:
                    keep(unit)
                elif reason != "pinned":
                    blocked.setdefault(name, Unavailable(name, self.row(unit.node), reason))
        bound_here = parameters | {name for unit in scope.kept for name in unit.binds}
        scope.free = done - bound_here
        scope.unavailable = {name: gap for name, gap in blocked.items() if name not in bound_here}
        scope.notes = self._unsimulated_freeze(scope)
        return scope

    def _reads(self, unit: _Unit) -> set[str]:
        if isinstance(unit.node, cst.FunctionDef):
            return unit.reads | self.function_scope(unit.node).free
        if isinstance(unit.node, cst.ClassDef):  # kept whole: whatever its methods read
            return unit.reads | name_use(unit.node.body, into_functions=True).reads
        return unit.reads

    def function_scope(self, function: cst.FunctionDef) -> _Scope:
        key = id(function)
        if key not in self._scopes:
            self._scopes[key] = _Scope([])  # a recursive call sees an empty, seedless body
            body = function.body.body if isinstance(function.body, cst.IndentedBlock) else ()
            self._scopes[key] = self.prune(body, parameter_names(function), in_function=True)
        return self._scopes[key]

    def _unsimulated_freeze(self, scope: _Scope) -> list[Note]:
        """Notes on (un)freezing in training loops and helpers, which verify never runs."""
        notes = []
        for unit in scope.units:
            if unit.container or unit in scope.kept or not any(map(self.is_training, unit.calls)):
                continue
            if changes_requires_grad(unit.node):
                notes.append(
                    Note(
                        self.row(unit.node),
                        "freeze code here runs during training; verify does not run it",
                    )
                )
            for call in unit.calls:
                helper = self._helper(call)
                if helper and changes_requires_grad(self.functions[helper].body):
                    notes.append(Note(
                        self.row(unit.node),
                        f"{helper}() trains; verify runs neither it nor the freeze code in it",
                    ))  # fmt: skip
        return notes

    def collect(self, scope: _Scope, into: Pruning) -> None:
        """Merge ``scope`` and the scopes of the helpers it keeps into ``into``."""
        into.unavailable.update(scope.unavailable)
        into.notes.extend(scope.notes)
        for unit in scope.units:
            into.decided.add(id(unit.node))
            if unit in scope.kept:
                into.kept.add(id(unit.node))
                if isinstance(unit.node, cst.FunctionDef):
                    self.collect(self.function_scope(unit.node), into)


def prune(
    module: cst.Module,
    positions: Mapping[cst.CSTNode, CodeRange],
    pinned: frozenset[str] = frozenset(),
    keeps: tuple[str, ...] = (),
) -> Pruning:
    """Decide which statements of ``module`` run. ``pinned`` names (``--set``) are bound by
    verify, so the file's own assignments to them are dropped; constructions of the classes
    ``keeps`` names (qualified, or prefixes of qualified names) are kept as models are."""
    pruner = _Pruner(module, positions, pinned, keeps)
    result = Pruning()
    pruner.collect(pruner.prune(module.body, set(), in_function=False), result)
    return result
