"""Which calls build torchvision models, from the generated tables (never from torchvision)."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from ftlint.analysis.imports import ImportMap
from ftlint.rules.data.torchvision_weights import LEGACY_WEIGHTS, NAMESPACES

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
    if isinstance(func, cst.Call) and m.matches(func.func, m.Name("getattr")) and func.args:
        return imports.qualify(func.args[0].value) in NAMESPACES
    if m.matches(func, m.Subscript(value=m.Attribute(attr=m.Name("__dict__")))):
        return imports.qualify(func.value.value) in NAMESPACES  # type: ignore[attr-defined]
    return imports.qualify(func) == _GET_MODEL
