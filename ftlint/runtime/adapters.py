"""What a peft model's adapters and a transformers model's training settings do, read off the
live model: the facts behind the FT111-FT115 runtime checks, as functions of a model that
``ftlint.report`` users can call too.

torch is imported inside the functions, as in :mod:`ftlint.runtime.report`.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ftlint.runtime.components import component_of, find_components
from ftlint.runtime.patterns import strip_wrapper_components
from ftlint.runtime.report import user_model

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "AdapterTargets",
    "ReentrantCheckpointing",
    "TiedCopy",
    "adapter_targets",
    "broad_targets_in_vision",
    "inference_only_adapters",
    "reentrant_checkpointing_without_input_grads",
    "tied_copies",
]


@dataclass(frozen=True)
class AdapterTargets:
    """One adapter's ``target_modules`` list and the adapted layers each entry selects."""

    adapter: str
    entries: tuple[tuple[str, int], ...]  # (entry, adapted layers it names), in sorted order
    layers: tuple[str, ...]  # every adapted layer, in model order
    layer_kinds: tuple[str, ...]  # the last name component of every module of the adapted kinds

    @property
    def unmatched(self) -> tuple[str, ...]:
        return tuple(entry for entry, count in self.entries if not count)


def _is_tuner_layer(module: nn.Module) -> bool:
    return hasattr(module, "adapter_layer_names") and hasattr(module, "base_layer")


def _holds_adapter(module: nn.Module, adapter: str) -> bool:
    names: tuple[str, ...] = getattr(module, "adapter_layer_names", ())
    return any(adapter in getattr(module, name, {}) for name in names)


def _entry_names(entry: str, name: str) -> bool:
    """peft's test of a list entry (``check_target_module_exists``): the name, or its end."""
    return name == entry or name.endswith(f".{entry}")


def adapter_targets(model: nn.Module) -> tuple[AdapterTargets, ...]:
    """For each adapter whose ``target_modules`` is a list (not one regular expression), the
    layers it adapted and how many of them each entry names. Empty for a model without peft."""
    inner, peft_model = user_model(model)
    if peft_model is None:
        return ()
    modules = [(strip_wrapper_components(name), module) for name, module in inner.named_modules()]
    found = []
    for adapter, config in getattr(peft_model, "peft_config", {}).items():
        targets = getattr(config, "target_modules", None)
        if targets is None or isinstance(targets, str):
            continue
        adapted = [(n, m) for n, m in modules if _is_tuner_layer(m) and _holds_adapter(m, adapter)]
        layers = tuple(name for name, _ in adapted)
        kinds = {type(m.base_layer) for _, m in adapted}
        found.append(
            AdapterTargets(
                adapter,
                tuple(
                    (entry, sum(_entry_names(entry, name) for name in layers))
                    for entry in sorted(targets)
                ),
                layers,
                _names_of_kinds(modules, kinds),
            )
        )
    return tuple(found)


def _names_of_kinds(modules: list[tuple[str, nn.Module]], kinds: set[type]) -> tuple[str, ...]:
    """The last name components of the model's modules of ``kinds``, a tuner layer counted as
    the layer it wraps and its own parts (``base_layer``, ``lora_A.default``) not at all."""
    names: dict[str, None] = {}
    tuner_layers: list[str] = []
    for name, module in modules:
        if any(name.startswith(f"{layer}.") for layer in tuner_layers):
            continue
        tuner = _is_tuner_layer(module)
        if tuner:
            tuner_layers.append(name)
        if name and type(module.base_layer if tuner else module) in kinds:
            names.setdefault(name.rpartition(".")[2])
    return tuple(names)


def broad_targets_in_vision(model: nn.Module) -> dict[str, int] | None:
    """The adapted layers per component (``"vision tower (model.visual)": 8``) of a multimodal
    peft model whose list entries put adapters both into its vision tower and its language
    model through names that do not say which (a bare ``q_proj`` found in both, or the full
    list of linear layers peft makes of ``"all-linear"``); else None."""
    for targets in adapter_targets(model):
        components = find_components(f"{layer}.weight" for layer in targets.layers)
        roles: dict[str, list[str]] = {}
        for layer in targets.layers:
            component = component_of(f"{layer}.weight", components)
            if component is not None:
                roles.setdefault(f"{component.role} ({component.path})", []).append(layer)
        in_vision = [
            layer for label, ls in roles.items() if label.startswith("vision") for layer in ls
        ]
        in_language = [
            layer for label, ls in roles.items() if label.startswith("language") for layer in ls
        ]
        if not in_vision or not in_language:
            continue
        entries = [entry for entry, _ in targets.entries]
        expanded = all(entry in targets.layers for entry in entries)  # peft's all-linear
        bare = any(
            "." not in entry
            and any(_entry_names(entry, layer) for layer in in_vision)
            and any(_entry_names(entry, layer) for layer in in_language)
            for entry in entries
        )
        if expanded or bare:
            return {label: len(layers) for label, layers in roles.items()}
    return None


def inference_only_adapters(model: nn.Module) -> tuple[str, ...]:
    """The adapters of a peft model loaded for inference (``inference_mode=True``: what
    ``PeftModel.from_pretrained`` does unless ``is_trainable=True``)."""
    _, peft_model = user_model(model)
    configs = {} if peft_model is None else getattr(peft_model, "peft_config", {})
    return tuple(
        name for name, config in configs.items() if getattr(config, "inference_mode", False)
    )


@dataclass(frozen=True)
class TiedCopy:
    """A tensor tied under several names, one of whose modules peft replaced by a trained
    ``modules_to_save`` copy while another name keeps the original."""

    copied: str  # the module in modules_to_save: "lm_head"
    tied: tuple[str, ...]  # the original tensor's other names: ("model.embed_tokens.weight",)
    copy_trainable: bool
    original_trainable: bool


def tied_copies(model: nn.Module) -> tuple[TiedCopy, ...]:
    """Tied tensors split by ``modules_to_save``: the copy trains on its own from then on."""
    inner, peft_model = user_model(model)
    if peft_model is None:
        return ()
    names: dict[int, list[str]] = {}
    for raw, parameter in inner.named_parameters(remove_duplicate=False):
        names.setdefault(id(parameter), []).append(strip_wrapper_components(raw))
    found = []
    for path, module in inner.named_modules():
        copies = getattr(module, "modules_to_save", None)
        original = getattr(module, "original_module", None)
        if copies is None or original is None or not hasattr(copies, "values"):
            continue
        prefix = f"{strip_wrapper_components(path)}.original_module."
        for parameter in original.parameters():
            others = tuple(n for n in names.get(id(parameter), ()) if not _wrapped(n))
            if not others:
                continue
            copy_trainable = any(
                p.requires_grad for copy in copies.values() for p in copy.parameters()
            )
            found.append(
                TiedCopy(
                    prefix.removesuffix(".original_module."),
                    others,
                    copy_trainable,
                    parameter.requires_grad,
                )
            )
    return tuple(found)


def _wrapped(name: str) -> bool:
    return ".original_module." in f".{name}" or ".modules_to_save." in f".{name}"


@dataclass(frozen=True)
class ReentrantCheckpointing:
    """Reentrant checkpointing whose layers get inputs that do not require grad."""

    layers: int  # checkpointed layers
    trainable_inside: int  # trainable tensors inside them, which get no gradient
    embeddings: str  # the input embedding module's name
    default_reentrant: bool | None  # the installed transformers' default; None if unknown
    transformers_version: str | None


def reentrant_checkpointing_without_input_grads(model: nn.Module) -> ReentrantCheckpointing | None:
    """A transformers model checkpointed with ``use_reentrant=True`` whose input embeddings are
    frozen and nothing makes their output require grad (``enable_input_require_grads()``), with
    trainable tensors inside the checkpointed layers: those get no gradient."""
    inner, _ = user_model(model)
    get_embeddings = getattr(inner, "get_input_embeddings", None)
    embeddings = get_embeddings() if callable(get_embeddings) else None
    if embeddings is None or any(p.requires_grad for p in embeddings.parameters()):
        return None
    if embeddings._forward_hooks:  # enable_input_require_grads(), or a hook of the user's own
        return None
    checkpointing = [
        module
        for module in inner.modules()
        if getattr(module, "gradient_checkpointing", False) is True
        and _reentrant(getattr(module, "_gradient_checkpointing_func", None))
    ]
    # The layers themselves, not the model holding them (it carries the same flag).
    ids = {id(module) for module in checkpointing}
    layers = [
        module
        for module in checkpointing
        if not any(id(inner_module) in ids for inner_module in list(module.modules())[1:])
    ]
    trainable = {id(p) for layer in layers for p in layer.parameters() if p.requires_grad}
    if not layers or not trainable:
        return None
    name = next((n for n, m in inner.named_modules() if m is embeddings), "")
    version = _transformers_version()
    return ReentrantCheckpointing(
        len(layers),
        len(trainable),
        strip_wrapper_components(name),
        _default_reentrant(version),
        version,
    )


def _reentrant(function: Any) -> bool:
    keywords = getattr(function, "keywords", None)
    return isinstance(keywords, dict) and keywords.get("use_reentrant") is True


def _transformers_version() -> str | None:
    transformers: Any = sys.modules.get("transformers")
    version = getattr(transformers, "__version__", None)
    return version if isinstance(version, str) else None


def _default_reentrant(version: str | None) -> bool | None:
    """transformers' default ``use_reentrant`` when checkpointing is turned on without kwargs:
    True from 4.35 to 4.x, False from 5.0 (read in 4.57 and 5.25)."""
    major = None if version is None else re.match(r"\d+", version)
    return None if major is None else int(major.group()) < 5
