"""FT004's prefilter, and what FT004 shares with it: which classes, calls and attributes are
modules."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cached_property

from ftlint.analysis.misspellings import is_requires_grad_typo
from ftlint.analysis.model_iterators import CALL_DEPTH
from ftlint.analysis.receivers import MODULE_ELEMENT_ATTRIBUTES, MODULE_ONLY_METHODS, TextNames
from ftlint.prefilter import PythonTree, attributes_in
from ftlint.prefilter import dotted_name as ast_dotted_name

# Module methods that return the module itself.
RETURNING_SELF = frozenset(
    {"to", "cuda", "cpu", "float", "half", "double", "bfloat16", "eval", "train", "requires_grad_"}
)
# Classes whose instances are modules: `torch.nn.Linear`, `torch.nn.parallel.DistributedDataParallel`,
# `torchvision.ops.FrozenBatchNorm2d`, and the bases of Lightning and Hugging Face models.
_MODULE_CLASS = re.compile(r"^(torch\.nn\.(parallel\.)?|torchvision\.ops\.)[A-Z]\w*$")
_MODULE_BASES = frozenset(
    {
        "torch.nn.modules.module.Module",
        "lightning.LightningModule",
        "lightning.pytorch.LightningModule",
        "pytorch_lightning.LightningModule",
        "transformers.PreTrainedModel",
        "transformers.modeling_utils.PreTrainedModel",
    }
)
_NOT_MODULES = frozenset(
    {"torch.nn.Parameter", "torch.nn.UninitializedParameter", "torch.nn.UninitializedBuffer"}
)
# What `torchvision.models` and its task packages export: model builders, model classes, and a
# few others that `builds_model` sets apart (weights enums, `list_models`, `InceptionOutputs`).
_TORCHVISION_EXPORT = re.compile(
    r"^torchvision\.models\.((detection|segmentation|video|quantization|optical_flow)\.)?"
    r"(?!_)(?P<name>\w+)$"
)
_TORCHVISION_NON_MODELS = frozenset({"list_models", "get_model_builder"})
_FEATURE_EXTRACTOR = "torchvision.models.feature_extraction.create_feature_extractor"
_MODEL_FACTORIES = frozenset(
    {
        "timm.create_model",
        "timm.models.create_model",
        "peft.get_peft_model",
        _FEATURE_EXTRACTOR,
        "torchvision.models.detection.backbone_utils.resnet_fpn_backbone",
        "torchvision.models.detection.backbone_utils.mobilenet_backbone",
    }
)
# Attributes of a model that hold sub-modules in the usual architectures (torchvision's
# `features`/`classifier`/`layer4`, detection `backbone.body`, Hugging Face `encoder`), never
# parameters or tensors.
SUBMODULES = frozenset(
    {
        "features", "classifier", "backbone", "body", "fpn", "fc", "head", "heads", "encoder",
        "decoder", "embeddings", "blocks", "layers", "layer1", "layer2", "layer3", "layer4",
        "stem", "neck", "transformer", "roi_heads", "rpn", "base_model", "lm_head",
        "patch_embed", "vision_model", "text_model",
    }
)  # fmt: skip
# Containers whose items are modules: `blocks[0]`.
MODULE_CONTAINERS = frozenset({"torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict"})
CONTAINER_ATTRIBUTES = frozenset({"features", "blocks", "layers", "layer", "h", "stages"})
# `AutoModelForCausalLM.from_pretrained(...)`, `UNet2DConditionModel.from_config(...)`; not
# tokenizers, processors or configs.
_PRETRAINED_MODEL = re.compile(
    r"^(transformers|peft|diffusers)\.(\w+\.)*\w*(Model|For[A-Z])\w*\.from_(pretrained|config)$"
)


def is_module_class(qualified: str) -> bool:
    return qualified in _MODULE_BASES or (
        bool(_MODULE_CLASS.match(qualified)) and qualified not in _NOT_MODULES
    )


def builds_model(qualified: str) -> bool:
    """A call of ``qualified`` evidently returns a model."""
    if qualified in _MODEL_FACTORIES or _PRETRAINED_MODEL.match(qualified):
        return True
    export = _TORCHVISION_EXPORT.match(qualified)
    if export is not None:
        name = export["name"]
        return not (
            "weight" in name.lower() or name.endswith("Outputs") or name in _TORCHVISION_NON_MODELS
        )
    return is_module_class(qualified)


def _arguments(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    """Its named parameters, in order (not ``*args``, ``**kwargs``)."""
    arguments = function.args
    return [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]


def _rebased(path: ast.expr, root: ast.expr) -> ast.expr:
    """``path``, a dotted path, starting from ``root`` instead of its name."""
    if isinstance(path, ast.Attribute):
        return ast.Attribute(_rebased(path.value, root), path.attr, ast.Load())
    return root


class _ModuleEvidence:
    """A superset of what ``_is_module`` accepts, on CPython's tree (``may_report``): names,
    calls and attributes followed by identifier (``PythonTree.bindings``), every import of a
    name, and a name bound to nothing known taken for a module whenever the file could say so
    anywhere (a method's ``self``, an annotation, a module-only method called on it), and a
    parameter of a function this file calls followed to the arguments the calls pass.

    What only calls tell is looked for in the text first, by name: walking every node for the
    calls costs as much as the rest of the judgement, and most names are never called so."""

    def __init__(self, tree: PythonTree) -> None:
        self.tree = tree
        statements = [placed.statement for placed in tree.statements]
        self.classes = {node.name for node in statements if isinstance(node, ast.ClassDef)}
        self.annotated = {
            node.target.attr if isinstance(node.target, ast.Attribute) else node.target.id
            for node in statements
            if isinstance(node, ast.AnnAssign)
            and isinstance(node.target, (ast.Name, ast.Attribute))
            and self._names_module(node.annotation)
        }
        # By each parameter, the names of the functions that take it.
        self._functions_taking: dict[str, set[str]] = {}
        self.names: set[str] = set()  # what `_module_itself` may take for a module, calls aside
        for function in statements:
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            arguments = _arguments(function)
            if arguments:
                self.names.add(arguments[0].arg)  # `self` of a method
            self.names |= {
                arg.arg
                for arg in arguments
                if arg.annotation is not None and self._names_module(arg.annotation)
            }
            for arg in [*arguments, function.args.vararg, function.args.kwarg]:
                if arg is not None:
                    self._functions_taking.setdefault(arg.arg, set()).add(function.name)
        self._text = TextNames(tree.text)
        self._verdicts: dict[int, bool] = {}  # by node; False while it is being judged
        self._made: list[ast.expr] = []

    @cached_property
    def _calls(self) -> dict[str, list[ast.Call]]:
        """The calls of a plain name, by that name."""
        calls: dict[str, list[ast.Call]] = {}
        for call in self.tree.of_kind(ast.Call):
            if isinstance(call.func, ast.Name):
                calls.setdefault(call.func.id, []).append(call)
        return calls

    @cached_property
    def _called_on(self) -> set[str]:
        """The names some call of a module-only method has as its receiver."""
        return {
            node.func.value.id
            for node in self.tree.of_kind(ast.Call)
            if isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.attr in MODULE_ONLY_METHODS
        }

    def _may_stand_for_module(self, name: str) -> bool:
        """``name`` is one that ``_module_itself`` may take for a module when it is bound to
        nothing known."""
        return name in self.names or (
            self._text.may_call_method(name, MODULE_ONLY_METHODS) and name in self._called_on
        )

    @cached_property
    def _functions(self) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        return [*self.tree.of_kind(ast.FunctionDef), *self.tree.of_kind(ast.AsyncFunctionDef)]

    def _taking(self, parameter: str) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """The functions of this file that take ``parameter`` and that some call names: what the
        parameter stands for at their calls (``BindingTracker.placements``)."""
        if not any(
            self._text.may_call(function) for function in self._functions_taking.get(parameter, ())
        ):
            return []
        return [
            function
            for function in self._functions
            if function.name in self._calls
            and any(
                arg is not None and arg.arg == parameter
                for arg in [*_arguments(function), function.args.vararg, function.args.kwarg]
            )
        ]

    def _names_module(self, annotation: ast.expr) -> bool:
        return any(map(is_module_class, self.tree.qualified(annotation)))

    def setting(self, receiver: ast.expr, depth: int = 0) -> bool:
        """Whether the receiver of an assignment to ``requires_grad`` may be judged a module:
        itself, or what it stands for where a function it is a parameter of is called
        (``m.fc`` in ``def freeze(m)`` is ``resnet.fc`` for ``freeze(resnet)``), followed
        through as many calls as the rule follows."""
        root = receiver
        while isinstance(root, ast.Attribute):
            root = root.value
        return (
            (isinstance(receiver, ast.Attribute) and receiver.attr in self.annotated)
            or self.module(receiver)
            or (
                isinstance(root, ast.Name)
                and depth < CALL_DEPTH
                and any(
                    placed is None or self.setting(placed, depth + 1)
                    for placed in self._at_calls(receiver, root.id)
                )
            )
        )

    def _at_calls(self, receiver: ast.expr, parameter: str) -> Iterator[ast.expr | None]:
        """``receiver`` rebased on each argument a call passes to a function's ``parameter``
        (None where a `*` or `**` argument hides which one it is)."""
        for function in self._taking(parameter):
            arguments = function.args
            positional = [arg.arg for arg in (*arguments.posonlyargs, *arguments.args)]
            for call in self._calls[function.name]:
                if any(isinstance(arg, ast.Starred) for arg in call.args) or any(
                    keyword.arg is None for keyword in call.keywords
                ):
                    yield None
                    continue
                given = [keyword.value for keyword in call.keywords if keyword.arg == parameter]
                given += [arg for arg, name in zip(call.args, positional) if name == parameter]
                for argument in given:
                    placed = _rebased(receiver, argument)
                    self._made.append(placed)  # alive while verdicts are kept by id
                    yield placed

    def module(self, node: ast.expr) -> bool:
        if id(node) not in self._verdicts:
            self._verdicts[id(node)] = False
            values, iterables = self.tree.bindings.expressions(node)
            self._verdicts[id(node)] = any(
                attribute in MODULE_ELEMENT_ATTRIBUTES
                for iterable in iterables
                for attribute in attributes_in(iterable)
            ) or any(map(self._itself, values))
        return self._verdicts[id(node)]

    def _itself(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return self._may_stand_for_module(node.id)
        if isinstance(node, ast.Attribute):
            return node.attr in SUBMODULES and self.setting(node.value)
        if isinstance(node, ast.Subscript):
            return self._container(node.value)
        if not isinstance(node, ast.Call):
            return False
        if isinstance(node.func, ast.Attribute) and node.func.attr in RETURNING_SELF:
            return self.setting(node.func.value)
        return any(map(builds_model, self.tree.qualified(node.func))) or (
            ast_dotted_name(node.func) in self.classes
        )

    def _container(self, node: ast.expr) -> bool:
        values, _ = self.tree.bindings.expressions(node)
        return any(
            (
                isinstance(value, ast.Attribute)
                and value.attr in CONTAINER_ATTRIBUTES
                and self.setting(value.value)
            )
            or (
                isinstance(value, ast.Call)
                and bool(self.tree.qualified(value.func) & MODULE_CONTAINERS)
            )
            for value in values
        )


def may_report(tree: PythonTree) -> bool:
    settings = [
        setting
        for setting in tree.grad_statements
        if isinstance(setting.statement, ast.Assign)
        and (setting.attribute == "requires_grad" or is_requires_grad_typo(setting.attribute))
    ]
    if not settings:
        return False
    evidence = _ModuleEvidence(tree)
    # The verdict depends on the receiver's text only: judge each once.
    receivers = {ast.dump(setting.receiver): setting.receiver for setting in settings}
    return any(map(evidence.setting, receivers.values()))
