"""Which calls build torchvision models, from the generated tables (never from torchvision)."""

from __future__ import annotations

import libcst as cst

from ftlint.analysis.data.torchvision_weights import LEGACY_WEIGHTS, NAMESPACES
from ftlint.analysis.imports import ImportMap
from ftlint.analysis.nodes import is_attribute, is_call

_GET_MODEL = "torchvision.models.get_model"


def builder_key(func: cst.BaseExpression, imports: ImportMap) -> str | None:
    """The tables' key (``torchvision.models.resnet50``) of the torchvision builder that ``func``
    names, however it was imported (``resnet50``, ``models.resnet50``,
    ``torchvision.models.resnet.resnet50``), else None."""
    qualified = imports.qualify(func)
    if qualified is None:
        return None
    module, _, name = qualified.rpartition(".")
    # Builders are defined in `<namespace>.<module>` and exported from `<namespace>`.
    namespace = module if module in NAMESPACES else module.rpartition(".")[0]
    key = f"{namespace}.{name}"
    return key if namespace in NAMESPACES and key in LEGACY_WEIGHTS else None


def is_dynamic_builder(func: cst.BaseExpression, imports: ImportMap) -> bool:
    """Whether ``func`` picks a torchvision builder by name: ``getattr(torchvision.models,
    name)``, ``models.__dict__[name]`` or ``torchvision.models.get_model``."""
    if is_call(func, "getattr") and func.args:
        return imports.qualify(func.args[0].value) in NAMESPACES
    if isinstance(func, cst.Subscript) and is_attribute(func.value, "__dict__"):
        return imports.qualify(func.value.value) in NAMESPACES
    return imports.qualify(func) == _GET_MODEL
