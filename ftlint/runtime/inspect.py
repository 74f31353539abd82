"""``ftlint inspect``: build a model on the meta device and show its names.

Meant for writing patterns: it prints the freeze map and the module paths one
level deeper, with an example parameter name for each.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from ftlint.runtime.report import ParameterState, block_of, report
from ftlint.text import human_count, plural

if TYPE_CHECKING:
    from torch import nn

__all__ = ["InspectError", "NameTreeRow", "build_model", "name_tree", "run_inspect"]

OUTPUT_FORMATS = ("text", "json")


class InspectError(Exception):
    """Bad input to ``ftlint inspect``; the CLI prints it and exits with status 2."""


@dataclass(frozen=True)
class NameTreeRow:
    path: str
    tensors: int
    numel: int
    example: str  # the first parameter name under ``path``


def build_model(target: str) -> nn.Module:
    """Call ``module:callable`` (``torchvision.models:resnet50``) on the meta device.

    Arguments named ``weights*`` are forced to None and ``pretrained*`` to False,
    so nothing is downloaded (torchvision's detection models default
    ``weights_backbone`` to ImageNet weights).
    """
    import torch

    factory = _resolve(target)
    try:
        with torch.device("meta"):
            model = factory(**_no_download_arguments(factory))
    except Exception as error:
        raise InspectError(f"{target} raised {type(error).__name__}: {error}") from error
    if not isinstance(model, torch.nn.Module):
        raise InspectError(f"{target} returned {type(model).__name__}, not a torch.nn.Module")
    return model


def name_tree(parameters: tuple[ParameterState, ...], depth: int) -> tuple[NameTreeRow, ...]:
    """Module paths down to ``depth`` components, in module order, with their totals."""
    rows: dict[str, NameTreeRow] = {}
    for parameter in parameters:
        # A parameter registered above ``depth`` repeats its block at deeper levels.
        for path in dict.fromkeys(block_of(parameter.name, level) for level in range(1, depth + 1)):
            row = rows.get(path, NameTreeRow(path, tensors=0, numel=0, example=parameter.name))
            rows[path] = replace(row, tensors=row.tensors + 1, numel=row.numel + parameter.numel)
    return tuple(rows.values())


def run_inspect(target: str, depth: int, output_format: str, *, color: bool | None = None) -> str:
    """The text ``ftlint inspect`` prints: freeze map at ``depth``, names one level deeper.

    ``color=None`` decides by :func:`ftlint.text.use_color` for stdout.
    """
    if depth < 1:
        raise InspectError(f"--depth must be at least 1, got {depth}")
    if output_format not in OUTPUT_FORMATS:
        raise InspectError(f"unknown output format {output_format!r}; use text or json")
    freeze_report = report(build_model(target), depth=depth)
    tree = name_tree(freeze_report.parameters, depth + 1)
    if output_format == "json":
        return json.dumps(
            {
                "target": target,
                "report": freeze_report.to_dict(),
                "names": [asdict(r) for r in tree],
            },
            indent=2,
        )
    width = max(len(_indented(row.path)) for row in tree) if tree else 0
    lines = [
        f"{target} (built on the meta device)",
        "",
        freeze_report.render(color=color),
        "",
        f"parameter names (patterns match these dotted prefixes; depth {depth + 1}):",
    ]
    lines.extend(
        f"  {_indented(row.path).ljust(width)}  {plural(row.tensors, 'tensor'):>13}"
        f"  {human_count(row.numel):>7}  e.g. {row.example}"
        for row in tree
    )
    return "\n".join(lines)


def _indented(path: str) -> str:
    return "  " * path.count(".") + path


def _resolve(target: str) -> Callable[..., Any]:
    module_name, _, attribute_path = target.partition(":")
    if not module_name or not attribute_path:
        raise InspectError(
            f"expected MODULE:CALLABLE (e.g. torchvision.models:resnet50), got {target!r}"
        )
    try:
        found: object = importlib.import_module(module_name)
    except Exception as error:  # an import runs arbitrary code; any failure is bad input
        raise InspectError(f"cannot import {module_name!r}: {error}") from error
    for attribute in attribute_path.split("."):
        try:
            found = getattr(found, attribute)
        except AttributeError:
            raise InspectError(f"{module_name!r} has no attribute {attribute_path!r}") from None
    if not callable(found):
        raise InspectError(f"{target} is not callable")
    return found


def _no_download_arguments(factory: Callable[..., Any]) -> dict[str, Any]:
    try:
        names = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # no introspectable signature: nothing to override
        return {}
    overrides: dict[str, Any] = {}
    for name in names:
        if name == "weights" or name.startswith("weights_"):
            overrides[name] = None
        elif name.startswith("pretrained"):
            overrides[name] = False
    return overrides
