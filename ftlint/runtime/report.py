"""The freeze report: which parameters of a live model train, block by block, and its text
rendering, the freeze map (one row per block, fit for a terminal or a log). Notebooks show its
HTML form (:mod:`ftlint.runtime.html`), from the same cells.

torch is imported inside the functions that need it, so that importing
``ftlint.runtime`` (and the torch-free pattern module next to it) stays cheap
and works where torch is not installed.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ftlint.runtime.html as html
from ftlint.runtime.components import component_of, find_components
from ftlint.runtime.patterns import strip_wrapper_components
from ftlint.text import format_names, human_count, plural, use_color

if TYPE_CHECKING:
    from torch import nn
    from torch.optim import Optimizer

__all__ = [
    "BatchNormState",
    "BlockRow",
    "FreezeReport",
    "OptimizerCoverage",
    "ParameterState",
    "batchnorm_text",
    "block_cells",
    "block_of",
    "html_body",
    "number_headings",
    "optimizer_text",
    "report",
    "share_text",
    "summary_text",
    "tensors",
    "user_model",
]

_BAR_WIDTH = 20
_GREEN, _RED, _YELLOW, _RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[0m"


@dataclass(frozen=True)
class ParameterState:
    """One parameter tensor, named as in the user's own module (wrappers stripped)."""

    name: str
    block: str
    trainable: bool
    numel: int
    shape: tuple[int, ...]
    dtype: str
    device: str
    in_optimizer: bool | None  # None when no optimizer was given
    adapter: bool  # an adapter's tensor (a peft LoRA's lora_A, ...), not the base model's
    # The tensor's other names, which patterns match as well: other names it is registered
    # under (tied weights, a module registered twice; not a peft ``original_module``, which
    # the ``modules_to_save`` copy replaces), and the name the user's own module
    # exposes for it (``fc.weight`` for ``fc.parametrizations.weight.original``, ``q_proj.weight``
    # for a peft layer's ``q_proj.base_layer.weight``). The tensor is counted once, as ``name``.
    aliases: tuple[str, ...] = ()
    # An uninitialised lazy parameter (``nn.LazyLinear`` before its first forward): its
    # ``numel`` (0 here) and ``shape`` (``()`` here) are not known yet.
    uninitialized: bool = False
    # A copy peft trains in place of a module in ``modules_to_save`` (its
    # ``modules_to_save.<adapter>``); the frozen ``original_module`` stays a base tensor.
    saved_copy: bool = False
    # Reachable only as such an ``original_module``: frozen by peft and unused while the copy
    # is active, so ``expect`` holds it to no pattern (its name still counts as matched).
    saved_original: bool = False


@dataclass(frozen=True)
class BatchNormState:
    """A BatchNorm module (any ``_BatchNorm`` subclass, or a ``FrozenBatchNorm2d``).

    ``frozen``: it has affine parameters and none of them trains, or it is a
    FrozenBatchNorm2d. A BatchNorm without affine parameters has nothing to
    freeze and is never counted as frozen.
    """

    name: str
    block: str
    kind: str
    frozen: bool
    training: bool
    updates_running_stats: bool

    @property
    def frozen_but_updating(self) -> bool:
        """Frozen affine parameters whose statistics still drift with every batch."""
        return self.frozen and self.updates_running_stats


@dataclass(frozen=True)
class BlockRow:
    """Totals for one block: a submodule at the report depth, or a root parameter."""

    name: str
    trainable_tensors: int
    frozen_tensors: int
    trainable_numel: int
    frozen_numel: int
    batchnorm_modules: int
    batchnorm_frozen: int
    batchnorm_frozen_updating: int  # a subset of batchnorm_frozen
    adapter_tensors: int
    adapter_numel: int
    saved_copy_tensors: int = 0
    saved_copy_numel: int = 0


@dataclass(frozen=True)
class OptimizerCoverage:
    param_groups: int
    trainable_missing: tuple[str, ...]  # in no param group: never updated
    frozen_included: tuple[str, ...]
    foreign_tensors: int  # optimizer tensors that are not parameters of this model


@dataclass(frozen=True, repr=False)
class FreezeReport:
    model_name: str
    wrappers: tuple[str, ...]  # outermost first, e.g. ("OptimizedModule", "DataParallel")
    depth: int
    trainable_tensors: int
    frozen_tensors: int
    trainable_numel: int
    frozen_numel: int
    parameters: tuple[ParameterState, ...]
    blocks: tuple[BlockRow, ...]
    batchnorms: tuple[BatchNormState, ...]
    optimizer: OptimizerCoverage | None
    warnings: tuple[str, ...]
    # What the freeze map says below its table: tensors known under several names.
    notes: tuple[str, ...] = ()
    # A multimodal model's parts (vision tower, projector, language model, head), each
    # named ``role (path)``; empty for other models.
    components: tuple[BlockRow, ...] = ()

    @property
    def total_tensors(self) -> int:
        return self.trainable_tensors + self.frozen_tensors

    @property
    def total_numel(self) -> int:
        return self.trainable_numel + self.frozen_numel

    @property
    def adapter_tensors(self) -> int:
        return sum(parameter.adapter for parameter in self.parameters)

    @property
    def adapter_numel(self) -> int:
        return sum(parameter.numel for parameter in self.parameters if parameter.adapter)

    @property
    def saved_copy_tensors(self) -> int:
        return sum(parameter.saved_copy for parameter in self.parameters)

    @property
    def saved_copy_numel(self) -> int:
        return sum(parameter.numel for parameter in self.parameters if parameter.saved_copy)

    @property
    def uninitialized_tensors(self) -> int:
        """Lazy parameters not initialised yet, whose elements are not counted."""
        return sum(parameter.uninitialized for parameter in self.parameters)

    @property
    def trainable_names(self) -> tuple[str, ...]:
        return tuple(parameter.name for parameter in self.parameters if parameter.trainable)

    @property
    def frozen_names(self) -> tuple[str, ...]:
        return tuple(parameter.name for parameter in self.parameters if not parameter.trainable)

    def render(self, *, color: bool | None = None) -> str:
        """The freeze map; ``color=None`` decides by :func:`ftlint.text.use_color` for stdout."""
        return _render_freeze_map(self, color=use_color() if color is None else color)

    def blocks_at(self, depth: int) -> tuple[BlockRow, ...]:
        """The block rows with modules cut to ``depth`` components instead of the report's."""
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        if depth == self.depth:
            return self.blocks
        return _block_rows(self.parameters, self.batchnorms, depth)

    def to_html(self, *, depth: int | None = None) -> str:
        """The freeze map as an HTML fragment: the blocks of depth 1, each with its nested
        blocks down to ``depth`` (default: the report's depth)."""
        return html.fragment(html_body(self, self.depth if depth is None else depth))

    def _repr_html_(self) -> str:  # Jupyter's rich display
        return self.to_html()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of every field plus the totals."""
        return {
            **dataclasses.asdict(self),
            "total_tensors": self.total_tensors,
            "total_numel": self.total_numel,
            "adapter_tensors": self.adapter_tensors,
            "adapter_numel": self.adapter_numel,
            "saved_copy_tensors": self.saved_copy_tensors,
            "saved_copy_numel": self.saved_copy_numel,
            "uninitialized_tensors": self.uninitialized_tensors,
        }

    def __str__(self) -> str:
        return self.render(color=False)

    def __repr__(self) -> str:
        return (
            f"<FreezeReport {self.model_name}: {self.trainable_tensors}/{self.total_tensors}"
            f" tensors, {self.trainable_numel:,}/{self.total_numel:,} elements trainable>"
        )


def block_of(name: str, depth: int) -> str:
    """The block of a parameter name: its module path cut to ``depth`` components.

    A parameter registered directly on the root module is its own block.
    """
    module_path = name.rpartition(".")[0]
    return _truncate(module_path, depth) if module_path else name


def _truncate(dotted_name: str, depth: int) -> str:
    return ".".join(dotted_name.split(".")[:depth])


def report(model: nn.Module, optimizer: Optimizer | None = None, *, depth: int = 1) -> FreezeReport:
    """Describe which parameters of ``model`` are trainable, per block of ``depth``.

    Each tensor is counted once, under the first name ``named_parameters()`` gives it; its other
    names are its ``aliases``. A peft ``PeftModel`` is seen through: names are the underlying
    model's (``model.layers.0...``, not ``base_model.model.model.layers.0...``).
    """
    from torch.nn.parameter import UninitializedParameter

    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    outer, wrappers, prefix, inner = _unwrap(model)
    optimizer_ids = _optimizer_parameter_ids(optimizer)
    adapter_ids, saved_copy_ids = _peft_parameter_ids(outer)
    names = _names_by_parameter(outer, prefix)
    parameters = []
    for raw_name, parameter in outer.named_parameters():
        name = _user_name(raw_name, prefix)
        uninitialized = isinstance(parameter, UninitializedParameter)
        parameters.append(
            ParameterState(
                name=name,
                block=block_of(name, depth),
                trainable=parameter.requires_grad,
                numel=0 if uninitialized else parameter.numel(),
                shape=() if uninitialized else tuple(parameter.shape),
                dtype=str(parameter.dtype),
                device=str(parameter.device),
                in_optimizer=None if optimizer_ids is None else id(parameter) in optimizer_ids,
                adapter=id(parameter) in adapter_ids,
                aliases=tuple(alias for alias in names.patterns[id(parameter)] if alias != name),
                uninitialized=uninitialized,
                saved_copy=id(parameter) in saved_copy_ids,
                saved_original=id(parameter) in names.saved_originals,
            )
        )
    batchnorms = _batchnorm_states(outer, prefix, depth)
    coverage = None
    if optimizer is not None and optimizer_ids is not None:
        model_ids = {id(parameter) for parameter in outer.parameters()}
        coverage = OptimizerCoverage(
            param_groups=len(optimizer.param_groups),
            trainable_missing=tuple(
                p.name for p in parameters if p.trainable and not p.in_optimizer
            ),
            frozen_included=tuple(p.name for p in parameters if not p.trainable and p.in_optimizer),
            foreign_tensors=len(optimizer_ids - model_ids),
        )
    trainable = [parameter for parameter in parameters if parameter.trainable]
    frozen = [parameter for parameter in parameters if not parameter.trainable]
    return FreezeReport(
        model_name=type(inner).__name__,
        wrappers=wrappers,
        depth=depth,
        trainable_tensors=len(trainable),
        frozen_tensors=len(frozen),
        trainable_numel=sum(parameter.numel for parameter in trainable),
        frozen_numel=sum(parameter.numel for parameter in frozen),
        parameters=tuple(parameters),
        blocks=_block_rows(parameters, batchnorms, depth),
        batchnorms=batchnorms,
        optimizer=coverage,
        warnings=_optimizer_warnings(coverage),
        notes=_alias_notes(parameters, names.shared),
        components=_component_rows(parameters, batchnorms),
    )


def user_model(model: nn.Module) -> tuple[nn.Module, nn.Module | None]:
    """The user's own model behind DDP, torch.compile and peft wrappers, and the peft
    ``PeftModel`` around it (None without one). Its ``named_modules()`` names are the names
    :func:`report` gives (wrapper components aside)."""
    outer, _, _, inner = _unwrap(model)
    return inner, outer if _is_peft_model(outer) else None


def tensors(model: nn.Module) -> list[nn.Parameter]:
    """The tensors that ``report(model).parameters`` describe, in the same order."""
    return list(_unwrap(model)[0].parameters())


def _unwrap(model: nn.Module) -> tuple[nn.Module, tuple[str, ...], str, nn.Module]:
    """Peel DataParallel/DDP and torch.compile wrappers, which share the parameters; see
    through a peft ``PeftModel``.

    Returns the module whose parameters are reported, the wrappers (outermost first), the
    name prefix that leads from it to the user's model (``base_model.model.`` for a
    ``PeftModel`` with a LoRA-style tuner, else empty) and the user's model. A ``PeftModel`` is
    kept rather than peeled: a prompt-learning method holds tensors beside the model
    (``prompt_encoder``), which keep their names. FSDP and checkpoint wrappers sit inside
    the tree instead; their name components are stripped from the names.
    """
    from torch import nn

    wrappers: list[str] = []
    while True:
        if isinstance(model, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
            inner = model.module
        elif isinstance(getattr(model, "_orig_mod", None), nn.Module):  # torch.compile
            inner = model._orig_mod
        elif _is_peft_model(model):
            wrappers.append(type(model).__name__)
            base = model.base_model
            tuned = getattr(base, "model", None)
            if isinstance(base, nn.Module) and isinstance(tuned, nn.Module) and _is_tuner(base):
                wrappers.append(type(base).__name__)
                return model, tuple(wrappers), "base_model.model.", tuned
            if isinstance(base, nn.Module):  # prompt learning: base_model is the model itself
                return model, tuple(wrappers), "base_model.", base
            return model, tuple(wrappers), "", model
        else:
            return model, tuple(wrappers), "", model
        wrappers.append(type(model).__name__)
        model = inner


def _peft_class(name: str) -> type | None:
    """A class of peft by its public name, if peft was imported (a peft model implies it was)."""
    peft: Any = sys.modules.get("peft")
    found = getattr(peft, name, None)
    return found if isinstance(found, type) else None


def _is_peft_model(model: nn.Module) -> bool:
    classes = tuple(c for c in map(_peft_class, ("PeftModel", "PeftMixedModel")) if c is not None)
    return bool(classes) and isinstance(model, classes)


def _is_tuner(module: nn.Module) -> bool:
    """A peft tuner (``LoraModel``, ``MixedModel``, ...), which holds the user's model as ``model``."""
    return any(cls.__name__ == "BaseTuner" for cls in type(module).__mro__)


def _is_modules_to_save_wrapper(module: nn.Module) -> bool:
    return any(cls.__name__ == "ModulesToSaveWrapper" for cls in type(module).__mro__)


def _user_name(raw_name: str, prefix: str) -> str:
    """A parameter or module name as the user's model knows it: wrapper components and the
    peft prefix removed."""
    name = strip_wrapper_components(raw_name)
    if prefix and name.startswith(prefix) and len(name) > len(prefix):
        return name[len(prefix) :]
    return name


@dataclass
class _Names:
    """What :func:`_names_by_parameter` finds, by tensor ``id``."""

    patterns: dict[int, list[str]]  # the names patterns select it by, its own name first
    shared: dict[int, list[str]]  # the names of a tensor registered under several
    saved_originals: set[int]  # reachable only as a ModulesToSaveWrapper's original_module


def _names_by_parameter(model: nn.Module, prefix: str) -> _Names:
    """Every name a parameter is reachable under, wrapper-stripped: each name it is registered
    under (``named_parameters(remove_duplicate=False)``: tied weights, a module registered
    twice), then each of those with the internals of ``torch.nn.utils.parametrize`` and peft
    (``base_layer``, ``modules_to_save.<adapter>``) folded into the name of the module that
    holds them: the name the user's own module exposes.

    A peft ``original_module`` is the frozen original that its ``modules_to_save`` copy replaces:
    ``lm_head`` means the copy, so names under an ``original_module`` are no pattern names
    (unless it is the tensor's only name)."""
    found = _Names({}, {}, set())
    registered_names: dict[int, list[str]] = {}
    only_original: dict[int, bool] = {}
    collapse, originals = _internal_module_paths(model)
    for raw_name, parameter in model.named_parameters(remove_duplicate=False):
        key = id(parameter)
        registered = registered_names.setdefault(key, [])
        name = _user_name(raw_name, prefix)
        if name not in registered:
            registered.append(name)
        under_original = _under_any(raw_name, originals)
        only_original[key] = only_original.get(key, True) and under_original
        every = found.patterns.setdefault(key, [])
        if every and under_original:
            continue
        candidates = (
            (name,) if under_original else (name, _user_name(_fold(raw_name, collapse), prefix))
        )
        every.extend(candidate for candidate in dict.fromkeys(candidates) if candidate not in every)
    found.shared = {key: value for key, value in registered_names.items() if len(value) > 1}
    found.saved_originals = {key for key, only in only_original.items() if only}
    return found


def _under_any(raw_name: str, paths: set[str]) -> bool:
    parts = raw_name.split(".")
    return any(".".join(parts[:cut]) in paths for cut in range(1, len(parts)))


def _internal_module_paths(model: nn.Module) -> tuple[dict[str, str], set[str]]:
    """Raw paths of modules and parameters internal to a wrapper, mapped to the path the user's
    module exposes: ``fc.parametrizations.weight.original`` to ``fc.weight``, a peft tuner
    layer's ``q_proj.base_layer`` to ``q_proj``, a ``ModulesToSaveWrapper``'s
    ``lm_head.modules_to_save.default`` to ``lm_head``; and the raw paths of the
    ``original_module`` of each ``ModulesToSaveWrapper``."""
    from torch.nn.utils import parametrize

    paths: dict[str, str] = {}
    originals: set[str] = set()
    for path, module in model.named_modules(remove_duplicate=False):
        dotted = f"{path}." if path else ""
        if parametrize.is_parametrized(module):
            for tensor_name, parametrizations in module.parametrizations.items():
                for original, _ in parametrizations.named_parameters(recurse=False):
                    paths[f"{dotted}parametrizations.{tensor_name}.{original}"] = (
                        f"{dotted}{tensor_name}"
                    )
        if _is_modules_to_save_wrapper(module):
            originals.add(f"{dotted}original_module")
            copies = getattr(module, "modules_to_save", None)
            for adapter in getattr(copies, "keys", list)():
                paths[f"{dotted}modules_to_save.{adapter}"] = path
        elif hasattr(module, "adapter_layer_names") and hasattr(module, "base_layer"):
            paths[f"{dotted}base_layer"] = path
    return paths, originals


def _fold(raw_name: str, paths: dict[str, str]) -> str:
    """``raw_name`` with its longest prefix in ``paths`` replaced, until none is left."""
    while True:
        parts = raw_name.split(".")
        for cut in range(len(parts), 0, -1):
            replacement = paths.get(".".join(parts[:cut]))
            if replacement is not None:
                rest = ".".join(parts[cut:])
                raw_name = f"{replacement}.{rest}" if replacement and rest else replacement or rest
                break
        else:
            return raw_name


def _alias_notes(
    parameters: Sequence[ParameterState], registered: dict[int, list[str]]
) -> tuple[str, ...]:
    notes = []
    shared = list(registered.values())
    if shared:
        listed = [f"{names[0]} = {' = '.join(names[1:])}" for names in shared]
        notes.append(
            f"{plural(len(shared), 'tensor')} under several names (tied or registered twice),"
            f" counted once, under the first: {format_names(listed, limit=4)}"
        )
    parametrized = [
        f"{parameter.name} (as {', '.join(parameter.aliases)})"
        for parameter in parameters
        if ".parametrizations." in f".{parameter.name}" and parameter.aliases
    ]
    if parametrized:
        notes.append(
            f"{plural(len(parametrized), 'parametrized tensor')}, which patterns also match by the"
            f" name the module exposes: {format_names(parametrized, limit=4)}"
        )
    return tuple(notes)


def _optimizer_parameter_ids(optimizer: Optimizer | None) -> set[int] | None:
    if optimizer is None:
        return None
    return {id(parameter) for group in optimizer.param_groups for parameter in group["params"]}


def _peft_parameter_ids(model: nn.Module) -> tuple[set[int], set[int]]:
    """The tensors of the adapters a tuner layer injected (any peft method: LoRA, DoRA, IA3, ...),
    and those of the copies peft trains for ``modules_to_save``.

    peft's tuner layers declare the attributes that hold their adapters in
    ``adapter_layer_names`` (LoRA: ``lora_A``, ``lora_B``, ``lora_embedding_A``, ...); the wrapped
    ``base_layer`` and every other parameter is the base model's. A ``ModulesToSaveWrapper``
    declares its ``modules_to_save`` copies that way too: they are copies, not adapters.
    """
    from torch import nn

    adapter_ids: set[int] = set()
    saved_copy_ids: set[int] = set()
    for module in model.modules():
        ids = saved_copy_ids if _is_modules_to_save_wrapper(module) else adapter_ids
        for attribute in getattr(module, "adapter_layer_names", ()):
            holder = getattr(module, attribute, None)
            if isinstance(holder, nn.Module):
                ids.update(id(parameter) for parameter in holder.parameters())
    return adapter_ids - saved_copy_ids, saved_copy_ids


def _batchnorm_states(model: nn.Module, prefix: str, depth: int) -> tuple[BatchNormState, ...]:
    # _BatchNorm is private but is the one base of BatchNorm1d/2d/3d, SyncBatchNorm
    # and the lazy variants.
    from torch.nn.modules.batchnorm import _BatchNorm

    states = []
    for raw_name, module in model.named_modules():
        # torchvision's and detectron2's FrozenBatchNorm2d hold buffers only.
        if type(module).__name__ == "FrozenBatchNorm2d":
            frozen, updates = True, False
        elif isinstance(module, _BatchNorm):
            affine = list(module.parameters(recurse=False))
            frozen = bool(affine) and not any(parameter.requires_grad for parameter in affine)
            updates = module.training and module.track_running_stats
        else:
            continue
        name = _user_name(raw_name, prefix)
        states.append(
            BatchNormState(
                name=name,
                block=_truncate(name, depth),
                kind=type(module).__name__,
                frozen=frozen,
                training=module.training,
                updates_running_stats=updates,
            )
        )
    return tuple(states)


def _block_rows(
    parameters: Sequence[ParameterState], batchnorms: Sequence[BatchNormState], depth: int
) -> tuple[BlockRow, ...]:
    parameters_by_block: dict[str, list[ParameterState]] = {}
    for parameter in parameters:
        parameters_by_block.setdefault(block_of(parameter.name, depth), []).append(parameter)
    batchnorms_by_block: dict[str, list[BatchNormState]] = {}
    for batchnorm in batchnorms:
        batchnorms_by_block.setdefault(_truncate(batchnorm.name, depth), []).append(batchnorm)
    return tuple(
        _row(block, parameters_by_block.get(block, []), batchnorms_by_block.get(block, []))
        for block in dict.fromkeys([*parameters_by_block, *batchnorms_by_block])
    )


def _component_rows(
    parameters: Sequence[ParameterState], batchnorms: Sequence[BatchNormState]
) -> tuple[BlockRow, ...]:
    """One row per part of a multimodal model (see :mod:`ftlint.runtime.components`), named
    ``role (path)``, then ``other`` for parameters in none; no rows for other models."""
    components = find_components(parameter.name for parameter in parameters)
    if not components:
        return ()

    def label(name: str) -> str:
        component = component_of(name, components)
        return "other" if component is None else f"{component.role} ({component.path})"

    parameters_by_part: dict[str, list[ParameterState]] = {}
    for parameter in parameters:
        parameters_by_part.setdefault(label(parameter.name), []).append(parameter)
    batchnorms_by_part: dict[str, list[BatchNormState]] = {}
    for batchnorm in batchnorms:
        batchnorms_by_part.setdefault(label(f"{batchnorm.name}.weight"), []).append(batchnorm)
    return tuple(
        _row(part, members, batchnorms_by_part.get(part, []))
        for part, members in parameters_by_part.items()
    )


def _row(
    name: str, parameters: Sequence[ParameterState], batchnorms: Sequence[BatchNormState]
) -> BlockRow:
    return BlockRow(
        name=name,
        trainable_tensors=sum(p.trainable for p in parameters),
        frozen_tensors=sum(not p.trainable for p in parameters),
        trainable_numel=sum(p.numel for p in parameters if p.trainable),
        frozen_numel=sum(p.numel for p in parameters if not p.trainable),
        batchnorm_modules=len(batchnorms),
        batchnorm_frozen=sum(b.frozen for b in batchnorms),
        batchnorm_frozen_updating=sum(b.frozen_but_updating for b in batchnorms),
        adapter_tensors=sum(p.adapter for p in parameters),
        adapter_numel=sum(p.numel for p in parameters if p.adapter),
        saved_copy_tensors=sum(p.saved_copy for p in parameters),
        saved_copy_numel=sum(p.numel for p in parameters if p.saved_copy),
    )


def _optimizer_warnings(coverage: OptimizerCoverage | None) -> tuple[str, ...]:
    if coverage is None:
        return ()
    warnings = []
    if coverage.frozen_included:
        warnings.append(
            f"the optimizer holds {plural(len(coverage.frozen_included), 'frozen tensor')}"
            f" ({format_names(coverage.frozen_included)}): harmless while their .grad stays"
            " None, but build the optimizer from trainable parameters to make that explicit"
        )
    if coverage.foreign_tensors:
        warnings.append(
            f"the optimizer holds {plural(coverage.foreign_tensors, 'tensor')} that this model"
            " does not have: was it built before a module was replaced?"
        )
    return tuple(warnings)


def _render_freeze_map(report: FreezeReport, *, color: bool) -> str:
    lines = [summary_text(report), ""]
    lines += _table(report, "block", report.blocks, color=color)
    if report.components:
        lines.append("")
        lines += _table(report, "component", report.components, color=color)
    if report.notes:
        lines.append("")
        lines.extend(f"note: {note}" for note in report.notes)
    if report.optimizer is not None:
        line = optimizer_text(report.optimizer, report.trainable_tensors)
        lines.extend(("", _paint(line, _RED, color and bool(report.optimizer.trainable_missing))))
    lines.extend(_paint(f"warning: {warning}", _YELLOW, color) for warning in report.warnings)
    return "\n".join(lines)


def _table(
    report: FreezeReport, first_heading: str, blocks: Sequence[BlockRow], *, color: bool
) -> list[str]:
    adapters = bool(report.adapter_tensors)
    copies = bool(report.saved_copy_tensors)
    numbers = len(number_headings(adapters, saved_copies=copies))
    headings = (
        first_heading,
        *number_headings(adapters, saved_copies=copies),
        "trainable share",
        "batchnorm",
    )
    rows = [
        headings,
        *(
            (
                block.name,
                *block_cells(block, adapters=adapters, saved_copies=copies),
                _bar(block.trainable_numel, block.frozen_numel),
                batchnorm_text(block),
            )
            for block in blocks
        ),
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(headings))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.rjust(width) if 0 < column <= numbers else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        if index:  # the heading row is not painted
            bar = cells[-2]
            trainable_bar = "#" * bar.count("#")
            cells[-2] = bar.replace(trainable_bar, _paint(trainable_bar, _GREEN, color), 1)
            if blocks[index - 1].batchnorm_frozen_updating:
                cells[-1] = _paint(cells[-1], _RED, color)
        lines.append("  ".join(cells).rstrip())
    return lines


def optimizer_text(coverage: OptimizerCoverage, trainable_tensors: int) -> str:
    """The optimizer line of the freeze map: a problem iff ``coverage.trainable_missing``."""
    groups = plural(coverage.param_groups, "param group")
    missing = coverage.trainable_missing
    if not missing:
        return f"optimizer: {groups}, all {trainable_tensors} trainable tensors covered"
    return (
        f"optimizer: {groups}, {plural(len(missing), 'trainable tensor')} in no group,"
        f" never updated ({format_names(missing)})"
    )


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color and text else text


def summary_text(report: FreezeReport) -> str:
    """The first line of the freeze map: the totals, and adapter against base when there are
    adapters."""
    model = report.model_name
    if report.wrappers:
        model += f" (inside {', '.join(report.wrappers)})"
    summary = (
        f"{model}: {report.trainable_tensors} of {report.total_tensors} tensors trainable"
        f" ({report.frozen_tensors} frozen), {report.trainable_numel:,} of"
        f" {report.total_numel:,} elements ({share_text(report.trainable_numel, report.frozen_numel)})"
    )
    copies = report.saved_copy_tensors
    if report.adapter_tensors or copies:
        adapters = (
            f"adapters {plural(report.adapter_tensors, 'tensor')}"
            f" ({report.adapter_numel:,} elements)"
        )
        if copies:
            adapters += (
                f", modules_to_save copies {plural(copies, 'tensor')}"
                f" ({report.saved_copy_numel:,} elements)"
            )
        base_tensors = report.total_tensors - report.adapter_tensors - copies
        base_numel = report.total_numel - report.adapter_numel - report.saved_copy_numel
        summary += (
            f"; {adapters}, base model {plural(base_tensors, 'tensor')} ({base_numel:,} elements)"
        )
    if report.uninitialized_tensors:
        summary += (
            f"; {plural(report.uninitialized_tensors, 'uninitialised lazy tensor')}"
            " (elements unknown until the first forward, not counted)"
        )
    return summary


def share_text(trainable: int, frozen: int) -> str:
    total = trainable + frozen
    return f"{trainable / total if total else 0.0:.1%}"


def number_headings(adapters: bool, *, saved_copies: bool = False) -> tuple[str, ...]:
    """The headings of :func:`block_cells`."""
    adapter = ("adapter tensors/elements",) if adapters else ()
    copies = ("modules_to_save copies",) if saved_copies else ()
    return ("tensors train/frozen", "elements train/frozen", *adapter, *copies)


def block_cells(block: BlockRow, *, adapters: bool, saved_copies: bool = False) -> tuple[str, ...]:
    """A block's counts as every form of the freeze map shows them; the adapter column only for
    a model with adapters, the ``modules_to_save`` column only for one with such copies."""
    cells: tuple[str, ...] = (
        f"{block.trainable_tensors} / {block.frozen_tensors}",
        f"{human_count(block.trainable_numel)} / {human_count(block.frozen_numel)}",
    )
    if adapters:
        cells += (f"{block.adapter_tensors} / {human_count(block.adapter_numel)}",)
    if saved_copies:
        cells += (f"{block.saved_copy_tensors} / {human_count(block.saved_copy_numel)}",)
    return cells


def _bar(trainable: int, frozen: int) -> str:
    total = trainable + frozen
    filled = round(_BAR_WIDTH * trainable / total) if total else 0
    # Keep a sliver visible: 0.1% trainable (a LoRA) is not "nothing".
    if trainable:
        filled = max(filled, 1)
    if frozen:
        filled = min(filled, _BAR_WIDTH - 1)
    return "[" + "#" * filled + "." * (_BAR_WIDTH - filled) + "]"


def batchnorm_text(block: BlockRow) -> str:
    """The BatchNorm modules of a block by state; a problem iff ``batchnorm_frozen_updating``."""
    if not block.batchnorm_modules:
        return "-"
    settled = block.batchnorm_frozen - block.batchnorm_frozen_updating
    parts = [
        (block.batchnorm_modules - block.batchnorm_frozen, "not frozen"),
        (settled, "frozen"),
        (block.batchnorm_frozen_updating, "frozen but updating stats!"),
    ]
    return ", ".join(f"{count} {state}" for count, state in parts if count)


def html_body(report: FreezeReport, depth: int) -> str:
    """The HTML freeze map without its style: the same cells as the text map, each block of
    depth 1 followed by its nested blocks down to ``depth``."""
    adapters = bool(report.adapter_tensors)
    copies = bool(report.saved_copy_tensors)
    numbers = number_headings(adapters, saved_copies=copies)
    rows = [_html_row(row, level, adapters, copies) for row, level in _nested(report, depth)]
    parts = [
        f"<p><b>{html.escape(summary_text(report))}</b></p>",
        html.table(("block", *numbers, "trainable share", "batchnorm"), rows),
    ]
    if report.components:
        parts.append(
            html.table(
                ("component", *numbers, "trainable share", "batchnorm"),
                [_html_row(row, 0, adapters, copies) for row in report.components],
            )
        )
    parts.extend(html.paragraph(f"note: {html.escape(note)}") for note in report.notes)
    if report.optimizer is not None:
        line = html.escape(optimizer_text(report.optimizer, report.trainable_tensors))
        parts.append(html.paragraph(line, warning=bool(report.optimizer.trainable_missing)))
    parts.extend(
        html.paragraph(f"warning: {html.escape(warning)}", warning=True)
        for warning in report.warnings
    )
    return "".join(parts)


def _nested(report: FreezeReport, depth: int) -> list[tuple[BlockRow, int]]:
    """Rows in tree order with their level (0 for depth 1); a block shallower than ``depth``
    (``conv1`` at depth 2) appears once, at its own level."""
    levels = [report.blocks_at(level) for level in range(1, depth + 1)]
    ordered: list[tuple[BlockRow, int]] = []

    def add(level: int, parent: str | None) -> None:
        for row in levels[level]:
            if parent is None or row.name.startswith(f"{parent}."):
                ordered.append((row, level))
                if level + 1 < depth:
                    add(level + 1, row.name)

    add(0, None)
    return ordered


def _html_row(block: BlockRow, level: int, adapters: bool, copies: bool) -> list[str]:
    tensors, elements, *adapter = block_cells(block, adapters=adapters, saved_copies=copies)
    exact = f"{block.trainable_numel:,} / {block.frozen_numel:,} elements"
    return [
        html.cell(html.escape(block.name), level=level),
        html.cell(tensors, numeric=True),
        html.cell(elements, numeric=True, title=exact),
        *(html.cell(text, numeric=True) for text in adapter),
        html.cell(
            html.bar(
                block.trainable_numel,
                block.frozen_numel,
                share_text(block.trainable_numel, block.frozen_numel),
            )
        ),
        html.cell(
            html.escape(batchnorm_text(block)), warning=bool(block.batchnorm_frozen_updating)
        ),
    ]
