from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

import libcst as cst

from ftlint.analysis.bindings import Site, iterated_method, method_call
from ftlint.analysis.imports import dotted_name
from ftlint.analysis.misspellings import TYPO_STEMS, is_requires_grad_typo
from ftlint.analysis.model_iterators import DICT_VALUES
from ftlint.analysis.nodes import find_all, is_attribute, is_name
from ftlint.analysis.receivers import MODULE_ONLY_METHODS
from ftlint.analysis.tensors import RequiresGradSetting, RequiresGradSettings
from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability
from ftlint.prefilter import PythonTree
from ftlint.prefilters import ft004_module_requires_grad_attribute as ft004_prefilter
from ftlint.prefilters.ft004_module_requires_grad_attribute import (
    CONTAINER_ATTRIBUTES,
    MODULE_CONTAINERS,
    RETURNING_SELF,
    SUBMODULES,
    builds_model,
    is_module_class,
)
from ftlint.rules.base import Rule
from ftlint.triage import attribute_assigned

if TYPE_CHECKING:
    from ftlint.analysis.file import FileAnalysis

# Iterators over submodules, and where the module sits in each element they yield.
_MODULE_ITERATORS: dict[str, tuple[int, ...]] = {
    "modules": (),
    "children": (),
    "named_modules": (1,),
    "named_children": (1,),
}
# What a class's own `requires_grad` needs in the text: the name alone, not an attribute (a
# `def requires_grad`, a `requires_grad = ...` in a class body). Without it, no class is walked.
_OWN_REQUIRES_GRAD = re.compile(r"(?<![\w.])requires_grad\b")


def _may_define_requires_grad(python: PythonTree | None) -> bool:
    """Whether CPython's tree of the file may hold what ``_defines_requires_grad`` looks for
    in its classes: a ``def requires_grad``, or ``requires_grad = ...``. The statements are
    walked already (the prefilters'); libcst's tree would be walked class by class."""
    if python is None:
        return True
    for placed in python.statements:
        statement = placed.statement
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if statement.name == "requires_grad":
                return True
        elif isinstance(statement, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "requires_grad"
            for target in statement.targets
        ):
            return True
    return False


def _defines_requires_grad(classdef: cst.ClassDef) -> bool:
    """The class has its own ``requires_grad`` (a property, a method or a class attribute)."""
    return bool(
        find_all(
            classdef.body,
            lambda node: (
                (isinstance(node, cst.FunctionDef) and node.name.value == "requires_grad")
                or (isinstance(node, cst.AssignTarget) and is_name(node.target, "requires_grad"))
            ),
        )
    )


class ModuleRequiresGradAttribute(RequiresGradSettings, Rule):
    """
    ## What it does
    Flags `X.requires_grad = <value>` where `X` is evidently an `nn.Module`, not a tensor:

    - a loop variable over `.modules()`, `.children()`, `.named_modules()`, `.named_children()`
      or `._modules.items()`/`.values()`;
    - a name bound to a model: a torchvision model builder, `timm.create_model`, a Hugging Face
      `*Model*/*For*.from_pretrained`/`from_config`, an `nn.*` layer or container, or a class of
      this file that subclasses `nn.Module`;
    - `self`, in an `nn.Module` subclass, or `self.<attr>` where every value the class assigns to
      `<attr>` is such a module;
    - a usual sub-module of such a module (`vgg.classifier`, `net.backbone.body`), an item of an
      `nn.Sequential`/`ModuleList`/`ModuleDict` (`self.blocks[0]`), the result of a
      `resnet_fpn_backbone(...)` or of a function of this file that returns a module;
    - a parameter or a `self` attribute annotated as a module (`module: nn.Module`,
      `self.encoder: nn.Module = ...`), or given one by a call in this
      file, and a name the code calls a method only modules have on (`model.load_state_dict(...)`,
      `model.eval()`).

    A misspelt `requires_grad` on a module (`vgg.classifier.require_grad = False`) is both FT003
    and FT004: the right spelling would do nothing either.

    ## Why is this bad?
    `requires_grad` is a tensor flag. A module accepts any attribute, so the assignment succeeds
    and no parameter reads it: every weight keeps training. The method `requires_grad_()` is what
    sets the flag on all of a module's parameters.

    Classes of this file that define `requires_grad` themselves (a property, say) are not
    reported, nor is `self.requires_grad = ...` where it stores the module's own setting: the
    value is not a literal (`self.requires_grad = requires_grad`), or the file reads
    `self.requires_grad` back.

    ## Example
    ```python
    backbone = torchvision.models.resnet50(weights="DEFAULT")
    backbone.requires_grad = False
    ```

    ## Fix
    Call the method (an unsafe fix: the parameters really freeze afterwards):

    ```python
    backbone = torchvision.models.resnet50(weights="DEFAULT")
    backbone.requires_grad_(False)
    ```
    """

    code = "FT004"
    name = "module-requires-grad-attribute"
    summary = "`requires_grad` assigned on a module, not on its parameters"
    fix = Applicability.UNSAFE
    # `requires_grad`, or a misspelling of it (FT003's), assigned as an attribute.
    required_tokens = (".requires_grad", *TYPO_STEMS)
    candidate_pattern = attribute_assigned(
        rf"requires_grad|\w*(?:{'|'.join(map(re.escape, TYPO_STEMS))})\w*"
    )
    candidate_shape = "module-receiver"

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        # Misspelt `requires_grad` assignments (FT003's), with the name written.
        self._misspelt: list[tuple[RequiresGradSetting, Site, str]] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        for target in node.targets:
            attribute = target.target
            if isinstance(attribute, cst.Attribute) and is_requires_grad_typo(attribute.attr.value):
                setting = RequiresGradSetting(node, attribute.value, node.value)
                self._misspelt.append((setting, self.site(), attribute.attr.value))

    VALID = [
        Valid(
            """
            import torchvision

            backbone = torchvision.models.resnet50(weights="DEFAULT")
            backbone.requires_grad_(False)
            for p in backbone.parameters():
                p.requires_grad = False
            backbone.fc.weight.requires_grad = True
            """
        ),
        # Parameters found through modules are tensors.
        Valid(
            """
            import torch.nn as nn

            for module in model.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.weight.requires_grad = False
                    module.bias.requires_grad = False
            """
        ),
        # `self.pos_embed` is a Parameter, not a module.
        Valid(
            """
            import torch
            import torch.nn as nn

            class Encoder(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.pos_embed = nn.Parameter(torch.zeros(1, 197, 768))

                def freeze_pos_embed(self):
                    self.pos_embed.requires_grad = False
            """
        ),
        # A module that keeps its own setting and reads it back.
        Valid(
            """
            import torch.nn as nn

            class Adapter(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.requires_grad = True

                def forward(self, x):
                    return x if self.requires_grad else x.detach()
            """
        ),
        # The name was rebound to a tensor before the assignment.
        Valid(
            """
            import torch.nn as nn

            layer = nn.Linear(8, 8)
            layer = layer.weight
            layer.requires_grad = False
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torchvision

            backbone = torchvision.models.resnet50(weights="DEFAULT")
            backbone.requires_grad = False
            """,
            line=4,
            message_contains="nothing is frozen: `backbone` is an `nn.Module`",
            expected_replacement="""
            import torchvision

            backbone = torchvision.models.resnet50(weights="DEFAULT")
            backbone.requires_grad_(False)
            """,
        ),
        Invalid(
            """
            for name, module in model.named_children():
                if name != "classifier":
                    module.requires_grad = False
            """,
            line=3,
            expected_replacement="""
            for name, module in model.named_children():
                if name != "classifier":
                    module.requires_grad_(False)
            """,
        ),
        Invalid(
            """
            from transformers import AutoModelForSequenceClassification

            model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased").cuda()
            model.bert.embeddings.requires_grad_(False)
            model.requires_grad = True
            """,
            line=5,
            message_contains="nothing is unfrozen",
        ),
        Invalid(
            """
            import torch.nn as nn

            class PatchEmbed(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.proj = nn.Conv2d(3, 768, 16, 16)

            class VisionTransformer(nn.Module):
                def freeze_patch_embed(self):
                    self.patch_embed.requires_grad = False

                def __init__(self):
                    super().__init__()
                    self.patch_embed = PatchEmbed()
            """,
            line=10,
        ),
        Invalid(
            """
            from torch import nn

            class FrozenStem(nn.Sequential):
                def freeze(self):
                    self.requires_grad = False
            """,
            line=5,
        ),
    ]

    prefilter = staticmethod(ft004_prefilter.may_report)

    def leave_Module(self, original_node: cst.Module) -> None:
        if (
            _OWN_REQUIRES_GRAD.search(self.file.source.text)
            and _may_define_requires_grad(self.file.python)
            and any(_defines_requires_grad(classdef) for classdef in self.classes.values())
        ):
            return  # some module of this file honours `requires_grad` itself
        settings = [(setting, site, "requires_grad") for setting, site in self.settings]
        for setting, site, written in [*settings, *self._misspelt]:
            if self._is_module(setting.receiver, site) and not self._keeps_setting(setting, site):
                self._report(setting, written)

    def _is_module(self, node: cst.BaseExpression, site: Site) -> bool:
        """``node`` evidently holds a module, here or, for a function's parameter, in some call
        of the function in this file (``freeze(model.backbone)``)."""
        if self._annotated_as_module(node, site):
            return True
        return any(
            self.evident(placement.node, placement.site, self._module_itself, self._module_element)
            for placement in self.placements(node, site)
        )

    def _annotated_as_module(self, node: cst.BaseExpression, site: Site) -> bool:
        """``self.encoder`` of a class that annotates the attribute as a module, in its body
        (``encoder: nn.Module``) or where it assigns it (``self.encoder: nn.Module = ...``)."""
        if not (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)):
            return False
        owner = self.owner_class(node.value.value, site)
        if owner is None or not isinstance(owner.node, cst.ClassDef):
            return False
        name, instance = node.attr.value, node.value.value
        in_body = [
            statement
            for line in owner.node.body.body
            if isinstance(line, cst.SimpleStatementLine)
            for statement in line.body
            if isinstance(statement, cst.AnnAssign) and is_name(statement.target, name)
        ]
        in_methods = find_all(
            owner.node,
            lambda found: (
                isinstance(found, cst.AnnAssign)
                and is_attribute(found.target, name, value=instance)
            ),
        )
        return any(
            isinstance(found, cst.AnnAssign) and self._names_module(found.annotation.annotation)
            for found in [*in_body, *in_methods]
        )

    def _names_module(self, annotation: cst.BaseExpression) -> bool:
        qualified = self.file.imports.qualify(annotation)
        return qualified is not None and is_module_class(qualified)

    def _module_itself(self, node: cst.BaseExpression, site: Site) -> bool:
        if isinstance(node, cst.Name):  # `self`, a parameter, a name bound to nothing known
            owner = self.owner_class(node.value, site)
            if owner is not None:
                return isinstance(owner.node, cst.ClassDef) and self._is_module_class(
                    owner.node, set()
                )
            binding = self.lookup(node.value, site)
            annotation = None if binding is None else binding.annotation
            if annotation is not None:  # `module: nn.Module`
                return self._names_module(annotation)
            return self._used_as_module(node.value, site)
        if isinstance(node, cst.Attribute) and node.attr.value in SUBMODULES:
            return self._is_module(node.value, site)  # `vgg.classifier`, `net.backbone.body`
        if isinstance(node, cst.Subscript):  # `self.blocks[0]`
            return self._is_container(node.value, site)
        receiver = method_call(node, *RETURNING_SELF)
        if receiver is not None:
            return self._is_module(receiver, site)
        if not isinstance(node, cst.Call):
            return False
        qualified = self.file.imports.qualify(node.func)
        if qualified is not None:
            return builds_model(qualified)
        local = self.classes.get(dotted_name(node.func) or "")
        return local is not None and self._is_module_class(local, set())

    def _is_container(self, node: cst.BaseExpression, site: Site) -> bool:
        """``node`` holds an ``nn.Sequential``/``ModuleList``/``ModuleDict``: built so, or a
        model's attribute that is one in the usual architectures (``model.features``)."""

        def container(value: cst.BaseExpression, _: Site) -> bool:
            if isinstance(value, cst.Attribute) and value.attr.value in CONTAINER_ATTRIBUTES:
                return self._is_module(value.value, site)
            return (
                isinstance(value, cst.Call)
                and self.file.imports.qualify(value.func) in MODULE_CONTAINERS
            )

        return self.evident(node, site, container, lambda *_: False)

    def _used_as_module(self, name: str, site: Site) -> bool:
        """A name bound to nothing known (a parameter, an import) that the code of its scope
        calls a method only modules have on: ``model.load_state_dict(...)``, ``model.eval()``."""
        scope = site.scope.node or self.file.module
        return bool(
            find_all(
                scope,
                lambda node: (
                    isinstance(node, cst.Call)
                    and is_attribute(node.func, value=name)
                    and node.func.attr.value in MODULE_ONLY_METHODS
                ),
            )
        )

    def _module_element(
        self, iterable: cst.BaseExpression, path: tuple[int, ...], site: Site
    ) -> bool:
        if iterated_method(iterable, path, _MODULE_ITERATORS) is not None:
            return True
        # `module._modules`, the dict of its children
        children = iterated_method(iterable, path, DICT_VALUES)
        return is_attribute(children, "_modules")

    def _is_module_class(self, classdef: cst.ClassDef, seen: set[str]) -> bool:
        """Subclasses ``nn.Module`` (or a model base), directly or through classes of this file."""
        seen.add(classdef.name.value)
        for base in classdef.bases:
            qualified = self.file.imports.qualify(base.value)
            if qualified is not None:
                if is_module_class(qualified):
                    return True
                continue
            local = self.classes.get(dotted_name(base.value) or "")
            if (
                local is not None
                and local.name.value not in seen
                and self._is_module_class(local, seen)
            ):
                return True
        return False

    def _keeps_setting(self, setting: RequiresGradSetting, site: Site) -> bool:
        """``self.requires_grad = flag`` that stores the module's own setting: the value is not a
        literal (a constructor argument, say), or ``self.requires_grad`` is read back."""
        receiver = setting.receiver
        if not isinstance(receiver, cst.Name) or self.owner_class(receiver.value, site) is None:
            return False
        if setting.requested is None:
            return True
        text = self.file.source.text
        mentions = len(re.findall(rf"\b{receiver.value}\.requires_grad\b(?!_)", text))
        assignments = len(re.findall(rf"\b{receiver.value}\.requires_grad\s*=(?!=)", text))
        return mentions > assignments

    def _report(self, setting: RequiresGradSetting, written: str) -> None:
        statement = setting.statement
        assert isinstance(statement, cst.Assign)
        code = self.file.module.code_for_node
        receiver, value = code(setting.receiver), code(statement.value)
        # A misspelling is not the only problem: the right spelling would do nothing either.
        even = "" if written == "requires_grad" else " (even spelt `requires_grad`)"
        call = cst.Call(
            func=cst.Attribute(value=setting.receiver, attr=cst.Name("requires_grad_")),
            args=[cst.Arg(statement.value)],
        )
        self.report(
            statement,
            f"{setting.consequence}: `{receiver}` is an `nn.Module`, and `{written}` on a "
            f"module is a plain attribute that no parameter reads{even}; call "
            f"`{receiver}.requires_grad_({value})` to set it on every parameter",
            replacement=(
                cst.Expr(call, semicolon=statement.semicolon)
                if len(statement.targets) == 1
                else None
            ),
            fix_message=f"Call `{receiver}.requires_grad_({value})`",
        )
