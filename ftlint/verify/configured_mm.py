"""``ftlint verify CONFIG`` of an OpenMMLab (mmengine) Python config, in verify's child process.

The config is read by mmengine's own ``Config.fromfile`` (its ``_base_`` files merged, its
``custom_imports`` imported from the config's directory or the working directory), its
``model`` built by the registry of its ``default_scope`` (mmdet, mmseg, mmpretrain...) on meta
and put in training mode by the model's own ``train()``, which applies ``frozen_stages`` and
``norm_eval`` as that framework does. ``optim_wrapper`` is built by mmengine's
``build_optim_wrapper``, so ``paramwise_cfg`` gives each parameter the learning rate it will
train with; its ``custom_keys`` are matched against the real parameter names: a key that
matches nothing (FT103) or matches inside longer names (FT104).
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from collections.abc import Mapping
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from torch import nn

from ftlint.diagnostics import Diagnostic, Location
from ftlint.runtime.report import report
from ftlint.sources import SourceFile
from ftlint.text import format_names, plural
from ftlint.verify.checks.ft103_pattern_matches_nothing import PatternMatchesNothing
from ftlint.verify.checks.ft104_pattern_overmatches import (
    PatternOvermatches,
    at_boundaries,
    component_end,
)
from ftlint.verify.harness import Bound, Session, install
from ftlint.verify.wire import ChildResult, ModelSummary, Spec

# The PyPI package of each OpenMMLab `default_scope`, where it is not the scope's own name.
_PACKAGES = {"mmseg": "mmsegmentation", "mmaction": "mmaction2"}
# Blocks of the freeze map: `backbone.layer1`.
_DEPTH = 2


def _remedy(error: ImportError) -> str:
    """What to install for an import that failed while the model was built."""
    name = error.name or ""
    full_mmcv = (
        "install the full mmcv built for this torch (`pip install -U openmim && mim install mmcv`)"
    )
    if name == "mmcv":
        return f"mmcv is not installed: {full_mmcv}"
    if name.startswith("mmcv."):  # mmcv._ext, the compiled operators: mmcv-lite has none
        return f"mmcv's compiled operators are missing (mmcv-lite has none): {full_mmcv}"
    return f"`{name}` is not installed: install it and run verify again"


def _row(text: str, pattern: str, after: int = 0) -> int:
    """The first row (1-based) at or after row ``after`` whose line matches ``pattern``, else 1."""
    for row, line in enumerate(text.splitlines()[after:], after + 1):
        if re.search(pattern, line):
            return row
    return 1


def _key_location(source: SourceFile, key: str) -> tuple[Location, Location]:
    """Where the quoted ``key`` is written under ``custom_keys`` (the config's first line when
    a ``_base_`` file sets it)."""
    quoted = rf"""(['"]){re.escape(key)}\1"""
    row = _row(source.text, quoted, _row(source.text, r"custom_keys") - 1)
    match = re.search(quoted, source.lines()[row - 1]) if source.text else None
    if match is None:
        return Location(row, 1), Location(row, 1)
    return Location(row, match.start() + 1), Location(row, match.end() + 1)


def _claimed(keys: list[str], names: list[str]) -> dict[str, list[str]]:
    """The names each key gets: mmengine's ``DefaultOptimWrapperConstructor.add_params``
    (mmengine/optim/optimizer/default_constructor.py) tries the keys longest first (then in
    alphabetical order) and gives a parameter the first whose text is in its name."""
    ordered = sorted(sorted(keys), key=len, reverse=True)
    claimed: dict[str, list[str]] = {key: [] for key in keys}
    for name in names:
        key = next((key for key in ordered if key in name), None)
        if key is not None:
            claimed[key].append(name)
    return claimed


def _inside(key: str, names: list[str]) -> tuple[list[str], list[str]]:
    """The components ``key`` matches whole (between dots), and the longer ones it matches
    inside of (``layer1`` in ``layer10``)."""
    whole: set[str] = set()
    inside: set[str] = set()
    for name in names:
        start = name.find(key)
        end = start + len(key)
        if at_boundaries(key, name, start, end):
            whole.add(name[:end])
        else:
            inside.add(component_end(name, end))
    return sorted(whole), sorted(inside)


def _custom_keys(
    source: SourceFile,
    custom_keys: Mapping[str, Mapping[str, Any]],
    names: list[str],
    learning_rates: Mapping[str, float],
) -> tuple[list[Diagnostic], list[str]]:
    """The findings and notes of ``paramwise_cfg.custom_keys`` against the model's ``names``;
    ``learning_rates``: each parameter's in the optimizer mmengine built."""
    diagnostics, notes = [], []
    for key, hits in _claimed(list(custom_keys), names).items():
        settings = ", ".join(f"{option}={value!r}" for option, value in custom_keys[key].items())
        start, end = _key_location(source, key)
        where = f"line {start.row}"
        if not hits:
            message = (
                f"paramwise_cfg custom_keys entry {key!r} matches no parameter name (mmengine"
                f" tests `key in name`; names look like {names[0]!r}): its {settings} applies"
                " to nothing, and the parameters it was meant for train with the base settings"
            )
            diagnostics.append(
                Diagnostic(PatternMatchesNothing.code, message, source.display_path, start, end)
            )
            continue
        whole, inside = _inside(key, hits)
        if whole and inside:
            extra = [name for name in hits if not name.startswith(tuple(f"{w}." for w in whole))]
            message = (
                f"paramwise_cfg custom_keys entry {key!r} also matches inside longer names:"
                f" {format_names(inside)}, besides {format_names(whole)}; mmengine tests `key in"
                f" name`, so its {settings} also applies to their {plural(len(extra), 'tensor')}."
                f" To mean only {whole[0]!r}, write the key as {whole[0] + '.'!r}"
            )
            diagnostics.append(
                Diagnostic(PatternOvermatches.code, message, source.display_path, start, end)
            )
        still = [name for name in hits if learning_rates.get(name) == 0]
        if still:
            notes.append(
                f"{where}: paramwise_cfg custom_keys entry {key!r} ({settings}):"
                f" {plural(len(still), 'tensor')} stay in the optimizer with lr 0 and do not"
                f" train though they require grad: {format_names(still)}"
            )
    return diagnostics, notes


def _learning_rates(model: nn.Module, optimizer: Any) -> dict[str, float]:
    """The learning rate each named parameter has in ``optimizer`` (frozen ones are not in it)."""
    by_id = {id(parameter): name for name, parameter in model.named_parameters()}
    return {
        by_id[id(parameter)]: group["lr"]
        for group in optimizer.param_groups
        for parameter in group["params"]
        if id(parameter) in by_id
    }


def _build(config: Any, session: Session) -> tuple[nn.Module, Any]:
    """The model in training mode, and its optimizer (None without ``optim_wrapper``)."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import MODELS, init_default_scope

    on_meta = install()
    with Bound(session), on_meta:
        if config.get("default_scope"):
            init_default_scope(config.default_scope)
            # Where the scope's MODELS registry is filled: mmengine would log the ImportError of
            # a missing dependency (mmcv's operators) and report an unregistered type instead.
            import_module(f"{config.default_scope}.models")
        model = MODELS.build(config.model)
        model.train()  # the model's own train(): frozen_stages, norm_eval
        wrapper = config.get("optim_wrapper")
        return model, build_optim_wrapper(model, wrapper).optimizer if wrapper else None


def verify_mmengine(spec: Spec, source: SourceFile) -> ChildResult:
    """The model of the mmengine config at ``spec.path`` as its runner would train it."""
    if find_spec("mmengine") is None:
        return ChildResult(
            error=(
                "this is an OpenMMLab (mmengine) config: verify builds its model with mmengine,"
                " which is not installed here: `pip install mmengine` (or ftlint[openmmlab]),"
                " with the framework its default_scope names (mmdet, mmsegmentation,"
                " mmpretrain...)"
            )
        )
    # custom_imports and class names resolve from the config's project, as run there.
    sys.path[:0] = dict.fromkeys([str(Path(spec.path).parent), os.getcwd()])
    from mmengine.config import Config

    model_row = _row(source.text, r"^model\s*=")
    where = f"line {model_row}"
    try:
        config = Config.fromfile(spec.path)
    except Exception as error:  # noqa: BLE001 - mmengine's refusal is the file's error
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        return ChildResult(error=f"mmengine cannot read the config: {detail}")
    scope = config.get("default_scope")
    if scope and find_spec(scope) is None:
        package = _PACKAGES.get(scope, scope)
        return ChildResult(
            error=(
                f"default_scope {scope!r}: verify builds the model with {scope}'s registry, and"
                f" {package} is not installed here: `pip install {package}` (its models also"
                " need mmcv's compiled operators: `mim install mmcv`)"
            )
        )
    if "model" not in config:
        return ChildResult(error="the config sets no `model`: nothing to build")
    session = Session(spec.path)
    try:
        model, optimizer = _build(config, session)
    except ImportError as error:
        return ChildResult(error=f"{where}: building the model failed: {_remedy(error)}")
    except Exception as error:  # noqa: BLE001 - the framework's refusal is the file's error
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        return ChildResult(error=f"{where}: building the model failed: {detail}")
    freeze_map = report(model, optimizer, depth=_DEPTH)
    summary = ModelSummary.as_configured(
        str(config.model.get("type")), f"{scope or 'mmengine'} MODELS.build", model_row, freeze_map
    )
    trained = (
        f"{where}: in training mode as {scope or 'mmengine'}'s runner puts it (the model's own"
        " train(): frozen_stages, norm_eval)"
    )
    notes = [trained, *(f"{where}: {note.text}" for note in session.notes)]
    custom_keys = (config.get("optim_wrapper") or {}).get("paramwise_cfg", {}).get("custom_keys")
    diagnostics: list[Diagnostic] = []
    if custom_keys:
        names = [name for name, _ in model.named_parameters()]
        rates = _learning_rates(model, optimizer)
        found, said = _custom_keys(source, custom_keys, names, rates)
        diagnostics = [d for d in found if d.code in spec.selected]
        notes += said
    return ChildResult(models=[summary], diagnostics=diagnostics, notes=notes)
