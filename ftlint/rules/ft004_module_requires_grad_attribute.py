from __future__ import annotations

import re

import libcst as cst

from ftlint.analysis.bindings import DICT_VALUES, Site, iterated_method, method_call
from ftlint.analysis.imports import dotted_name
from ftlint.analysis.nodes import find_all, is_attribute, is_name
from ftlint.analysis.tensors import RequiresGradSetting, RequiresGradSettings
from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability
from ftlint.rules.base import Rule
from ftlint.triage import attribute_assigned

# Iterators over submodules, and where the module sits in each element they yield.
_MODULE_ITERATORS: dict[str, tuple[int, ...]] = {
    "modules": (),
    "children": (),
    "named_modules": (1,),
    "named_children": (1,),
}
# Module methods that return the module itself.
_RETURNING_SELF = frozenset(
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
    {"timm.create_model", "timm.models.create_model", "peft.get_peft_model", _FEATURE_EXTRACTOR}
)
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
      `<attr>` is such a module.

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
    required_tokens = (".requires_grad",)
    candidate_pattern = attribute_assigned("requires_grad")

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

    def leave_Module(self, original_node: cst.Module) -> None:
        if any(_defines_requires_grad(classdef) for classdef in self.classes.values()):
            return  # some module of this file honours `requires_grad` itself
        for setting, site in self.settings:
            if self._is_module(setting.receiver, site) and not self._keeps_setting(setting, site):
                self._report(setting)

    def _is_module(self, node: cst.BaseExpression, site: Site) -> bool:
        return self.evident(node, site, self._module_itself, self._module_element)

    def _module_itself(self, node: cst.BaseExpression, site: Site) -> bool:
        if isinstance(node, cst.Name):  # `self` (other names were followed already)
            owner = self.owner_class(node.value, site)
            return (
                owner is not None
                and isinstance(owner.node, cst.ClassDef)
                and self._is_module_class(owner.node, set())
            )
        receiver = method_call(node, *_RETURNING_SELF)
        if receiver is not None:
            return self._is_module(receiver, site)
        if not isinstance(node, cst.Call):
            return False
        qualified = self.file.imports.qualify(node.func)
        if qualified is not None:
            return builds_model(qualified)
        local = self.classes.get(dotted_name(node.func) or "")
        return local is not None and self._is_module_class(local, set())

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

    def _report(self, setting: RequiresGradSetting) -> None:
        statement = setting.statement
        assert isinstance(statement, cst.Assign)
        code = self.file.module.code_for_node
        receiver, value = code(setting.receiver), code(statement.value)
        call = cst.Call(
            func=cst.Attribute(value=setting.receiver, attr=cst.Name("requires_grad_")),
            args=[cst.Arg(statement.value)],
        )
        self.report(
            statement,
            f"{setting.consequence}: `{receiver}` is an `nn.Module`, and `requires_grad` on a "
            "module is a plain attribute that no parameter reads; call "
            f"`{receiver}.requires_grad_({value})` to set it on every parameter",
            replacement=(
                cst.Expr(call, semicolon=statement.semicolon)
                if len(statement.targets) == 1
                else None
            ),
            fix_message=f"Call `{receiver}.requires_grad_({value})`",
        )
