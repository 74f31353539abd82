"""``ftlint verify CONFIG``, in verify's child process: build the model a fine-tuning
configuration names on the meta device (its config.json only, under the harness), freeze it as
the framework would, and report what trains.

Each framework's freeze semantics is reimplemented from its source (cited per function); the
frameworks themselves are never imported. peft is run for real: LLaMA-Factory and axolotl call
its ``get_peft_model`` too. Names in the configuration that match nothing, or more than they
seem to, become notes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch import nn

from ftlint.configfiles.document import Unresolved, parse
from ftlint.configfiles.training import (
    AXOLOTL,
    LIGHTNING,
    LLAMA_FACTORY,
    PEFT,
    TrainingPlan,
    training_plan,
)
from ftlint.runtime.report import report
from ftlint.sources import read_source
from ftlint.text import plural
from ftlint.verify.execution import missing_config_text
from ftlint.verify.harness import Bound, MissingConfig, Session, install
from ftlint.verify.wire import ChildResult, ModelSummary, Spec

# A note on the configuration: the setting it is about (its line is shown), and what it says.
Note = tuple[str, str]


class FrameworkStops(Exception):
    """The framework refuses the configuration before training (its own error, or a setting
    verify does not model)."""


def split_arg(value: object) -> list[str] | None:
    """A comma-separated setting as a list (LLaMA-Factory's ``FinetuningArguments.split_arg``,
    src/llamafactory/hparams/finetuning_args.py)."""
    if isinstance(value, Unresolved):
        raise FrameworkStops(f"{value.text!r} is only known when the run starts")
    if isinstance(value, str):
        return [item.strip() for item in value.split(",")]
    if value is None or isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise FrameworkStops(f"{value!r} is not a module name or a list of them")


# Blocks of the freeze map: `model.layers.3` (a decoder layer of a causal LM).
_DEPTH = 3
# The transformers class a peft `task_type` is trained with; LLaMA-Factory and axolotl build
# causal LMs.
_BUILDERS = {
    "SEQ_CLS": "AutoModelForSequenceClassification",
    "TOKEN_CLS": "AutoModelForTokenClassification",
    "SEQ_2_SEQ_LM": "AutoModelForSeq2SeqLM",
    "FEATURE_EXTRACTION": "AutoModel",
}


def _builder(plan: TrainingPlan) -> str:
    task = plan.settings.get("task_type") if plan.framework == PEFT else None
    return _BUILDERS.get(str(task), "AutoModelForCausalLM")


def _build(plan: TrainingPlan) -> nn.Module:
    """The model ``plan`` names, from its config.json (on meta, under the harness)."""
    import transformers

    auto = getattr(transformers, _builder(plan))
    return auto.from_config(transformers.AutoConfig.from_pretrained(plan.model))  # type: ignore[no-any-return]


def _lora(model: nn.Module, **options: Any) -> nn.Module:
    """The model with peft's LoRA, as ``get_peft_model`` adds it; peft's refusal stops."""
    from peft import LoraConfig, TaskType, get_peft_model

    try:
        return get_peft_model(model, LoraConfig(task_type=TaskType.CAUSAL_LM, **options))
    except ValueError as error:
        raise FrameworkStops(f"peft's get_peft_model raises ValueError: {error}") from None


def _target_notes(model: nn.Module, setting: str, targets: list[str]) -> list[Note]:
    """Entries of a LoRA target list that adapt no module: peft compares each with a module's
    name, or the end of it after a ``.`` (peft/tuners/tuners_utils.py,
    ``check_target_module_exists``), and skips those that match nothing."""
    names = [name for name, _ in model.named_modules() if name]
    return [
        (setting, f"`{setting}` entry {target!r} matches no module: nothing gets an adapter for it")
        for target in targets
        if not any(name == target or name.endswith(f".{target}") for name in names)
    ]


def _saved_notes(model: nn.Module, setting: str, entries: list[str]) -> list[Note]:
    """``modules_to_save`` entries that match nothing, or more modules than their own name:
    peft copies, trains and saves every module whose name merely ends with the entry, no ``.``
    needed (peft/utils/other.py, ``_set_trainable``: ``key.endswith(target_key)``)."""
    names = [name for name, _ in model.named_modules() if name]
    notes: list[Note] = []
    for entry in entries:
        hits = [name for name in names if name.endswith(entry)]
        others = sorted({name.rsplit(".", 1)[-1] for name in hits} - {entry})
        if not hits:
            notes.append(
                (setting, f"`{setting}` entry {entry!r} matches no module: nothing extra trains")
            )
        elif others:
            text = (
                f"`{setting}` entry {entry!r} matches every module whose name ends with it, so"
                f" peft copies and trains {plural(len(hits), 'module')} in full: {_listed(others)}"
            )
            notes.append((setting, text))
    return notes


# LLaMA-Factory -----------------------------------------------------------------------------------


def _llama_factory_freeze(model: nn.Module, settings: dict[str, Any]) -> list[Note]:
    """LLaMA-Factory's ``_setup_freeze_tuning`` (src/llamafactory/model/adapter.py): the last
    ``freeze_trainable_layers`` layers train (the first ones when negative), only their
    ``freeze_trainable_modules`` (``all``: every one), plus ``freeze_extra_modules``; every
    name is matched as a substring (``.3.mlp``)."""
    config = getattr(model.config, "text_config", model.config)
    layers = (
        getattr(config, "num_hidden_layers", None)
        or getattr(config, "num_layers", None)
        or getattr(config, "n_layer", None)
    )
    if not layers:
        raise FrameworkStops("LLaMA-Factory raises: Current model does not support freeze tuning.")
    count = settings.get("freeze_trainable_layers", 2)
    if not isinstance(count, int):
        raise FrameworkStops(f"freeze_trainable_layers is {count!r}, not a number of layers")
    if count > 0:
        ids = range(max(0, layers - count), layers)
    else:
        ids = range(min(-count, layers))
    hidden: set[str] = set()
    non_hidden: set[str] = set()
    for name, _ in model.named_parameters():
        if ".0." in name:
            hidden.add(name.split(".0.")[-1].split(".")[0])
        elif ".1." in name:  # MoD starts from layer 1
            hidden.add(name.split(".1.")[-1].split(".")[0])
        if re.search(r"\.\d+\.", name) is None:
            non_hidden.add(name.split(".")[-2])
    trainable: list[str] = []
    for module in split_arg(settings.get("freeze_trainable_modules", "all")) or []:
        if module != "all" and module not in hidden:
            raise FrameworkStops(
                f"LLaMA-Factory raises: Module {module} is not found, please choose from "
                f"{', '.join(sorted(hidden))}"
            )
        trainable.extend(f".{index:d}.{module if module != 'all' else ''}" for index in ids)
    for module in split_arg(settings.get("freeze_extra_modules")) or []:
        if module not in non_hidden:
            raise FrameworkStops(
                f"LLaMA-Factory raises: Module {module} is not found, please choose from "
                f"{', '.join(sorted(non_hidden))}"
            )
        trainable.append(module)
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(any(pattern in name for pattern in trainable))
    notes = [
        ("freeze_extra_modules", note)
        for module in split_arg(settings.get("freeze_extra_modules")) or []
        if (note := _substring_note(model, module)) is not None
    ]
    which = "last" if count > 0 else "first"
    shown = ", ".join(map(str, ids)) or "none"
    said = f"freeze_trainable_layers: {count} trains the {which} {min(abs(count), layers)} of"
    asked = f" (it asks for {abs(count)})" if abs(count) > layers else ""
    return [("freeze_trainable_layers", f"{said} {layers} layers{asked}: indices {shown}"), *notes]


def _substring_note(model: nn.Module, module: str) -> str | None:
    """What a ``freeze_extra_modules`` entry, matched as a substring of parameter names, makes
    trainable besides the module of that name (``norm`` hits every ``input_layernorm``)."""
    hits = [name for name, _ in model.named_parameters() if module in name]
    others = sorted(
        {part for name in hits for part in name.split(".") if module in part} - {module}
    )
    if not others:
        return None
    return (
        f"freeze_extra_modules entry {module!r} is matched as a substring of parameter names, so"
        f" every {_listed(others)} trains too: {plural(len(hits), 'tensor')} match it"
    )


def _llama_factory(plan: TrainingPlan) -> tuple[nn.Module, list[Note]]:
    """LLaMA-Factory's ``init_adapter`` (src/llamafactory/model/adapter.py) for a text model."""
    settings = plan.settings
    kind = settings.get("finetuning_type", "lora")
    for key in ("adapter_name_or_path", "use_llama_pro", "use_galore", "use_badam", "use_apollo"):
        if settings.get(key):
            raise FrameworkStops(f"`{key}` is set, which verify does not model")
    if settings.get("stage", "sft") not in ("pt", "sft", "dpo", "kto"):
        raise FrameworkStops(
            f"stage {settings.get('stage')!r} adds a value head verify does not model"
        )
    model = _build(plan)
    if kind == "full":  # _setup_full_tuning: every parameter of a text model trains
        return model, []
    if kind == "freeze":
        return model, _llama_factory_freeze(model, settings)
    if kind != "lora":
        raise FrameworkStops(f"finetuning_type {kind!r} is not modelled by verify")
    targets = split_arg(settings.get("lora_target", "all")) or []
    notes: list[Note] = []
    if targets == ["all"]:
        targets = _all_linear(model, forbidden={"lm_head"})
    else:
        notes += _target_notes(model, "lora_target", targets)
    saved = split_arg(settings.get("additional_target"))
    notes += _saved_notes(model, "additional_target", saved or [])
    rank = settings.get("lora_rank", 8)
    peft_model = _lora(
        model,
        r=rank,
        target_modules=targets,
        lora_alpha=settings.get("lora_alpha") or rank * 2,
        modules_to_save=saved,
    )
    return peft_model, notes


def _all_linear(model: nn.Module, forbidden: set[str]) -> list[str]:
    """LLaMA-Factory's ``find_all_linear_modules`` (src/llamafactory/model/model_utils/misc.py):
    the last name of each module whose class name says Linear (not Embedding), outside
    ``forbidden`` (substrings)."""
    return sorted(
        {
            name.rsplit(".", 1)[-1]
            for name, module in model.named_modules()
            if not any(word in name for word in forbidden)
            and "Linear" in type(module).__name__
            and "Embedding" not in type(module).__name__
        }
    )


# axolotl -----------------------------------------------------------------------------------------

# axolotl's LayerNamePattern (src/axolotl/utils/freeze.py): an optional `[start:end]` range.
_RANGE = re.compile(r"^(.+)\[([0-9]*)(?::([0-9]*))?\]$")


def _axolotl_regex(pattern: str) -> re.Pattern[str]:
    """``LayerNamePattern.name_regex``: the range dropped, every ``.`` not followed by ``+``
    escaped."""
    match = _RANGE.match(pattern)
    return re.compile(re.sub(r"\.(?!\+)", "\\.", match.group(1) if match else pattern))


def _freeze_layers_except(model: nn.Module, patterns: list[str]) -> list[Note]:
    """axolotl's ``freeze_layers_except`` (src/axolotl/utils/freeze.py): every parameter is
    frozen, then those whose name ``re.match``es a pattern (anchored at the start only) train.
    Called by ``setup_model_and_tokenizer`` (src/axolotl/train.py) after the adapter, so the
    names are the PeftModel's (``base_model.model.model.layers.0...``)."""
    regexes = [(pattern, _axolotl_regex(pattern)) for pattern in patterns]
    names = [name for name, _ in model.named_parameters()]
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(any(regex.match(name) for _, regex in regexes))
    return [
        ("unfrozen_parameters", note)
        for pattern, regex in regexes
        for note in _said(pattern, regex, names)
    ]


def _said(pattern: str, regex: re.Pattern[str], names: list[str]) -> list[str]:
    """What an ``unfrozen_parameters`` pattern does that its text does not say."""
    matched = [name for name in names if regex.match(name)]
    if not matched:
        example = names[0] if names else ""
        nothing = (
            f"unfrozen_parameters pattern {pattern!r} matches no parameter name, so nothing it"
            f" means trains (names look like {example!r})"
        )
        return [nothing]
    said = []
    if _RANGE.match(pattern):
        said.append(
            f"unfrozen_parameters pattern {pattern!r} trains only those rows of"
            f" {_listed(matched)} (a gradient hook zeroes the others' gradients); counted here"
            " as trainable tensors"
        )
    # A match that ends inside a number: `layers.1` also matching `layers.10`.
    longer = sorted(
        {
            name[: match.end()] + name[match.end() :].split(".")[0]
            for name in matched
            if (match := regex.match(name)) is not None
            and name[match.end() - 1 : match.end() + 1].isdigit()
        }
    )
    if longer:
        said.append(
            f"unfrozen_parameters pattern {pattern!r} also unfreezes {_listed(longer)}: re.match"
            " anchors the start only"
        )
    return said


def _listed(names: list[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


# axolotl's `get_linear_embedding_layers` (src/axolotl/loaders/utils.py): the output layer,
# which `lora_target_linear` leaves out, where it is not `lm_head`.
_OUTPUT_EMBEDDINGS = {"gpt_neox": "embed_out"}


def _axolotl(plan: TrainingPlan) -> tuple[nn.Module, list[Note]]:
    """axolotl's model loading (src/axolotl/loaders/adapter.py ``_build_peft_lora_config``,
    ``find_all_linear_names``), then ``freeze_layers_except``."""
    settings = plan.settings
    model = _build(plan)
    notes: list[Note] = []
    adapter = settings.get("adapter")
    if adapter in ("lora", "qlora"):
        targets = settings.get("lora_target_modules") or []
        targets = [targets] if isinstance(targets, str) else list(targets)
        notes += _target_notes(model, "lora_target_modules", targets)
        if settings.get("lora_target_linear"):  # find_all_linear_names, less the output layer
            model_type = getattr(model.config, "model_type", None)
            output = _OUTPUT_EMBEDDINGS.get(str(model_type), "lm_head")
            targets = sorted(set(targets) | set(_all_linear(model, forbidden=set())) - {output})
        saved = settings.get("lora_modules_to_save") or None
        notes += _saved_notes(model, "lora_modules_to_save", saved or [])
        if adapter == "qlora":
            notes.append(
                ("adapter", "qlora: the 4-bit quantization of base weights is not modelled")
            )
        model = _lora(
            model,
            r=settings.get("lora_r") or 8,
            lora_alpha=settings.get("lora_alpha") or 8,
            target_modules=targets,
            modules_to_save=saved,
            bias="none",
        )
    elif adapter:
        raise FrameworkStops(f"adapter {adapter!r} is not modelled by verify")
    patterns = settings.get("unfrozen_parameters")
    if patterns:
        notes += _freeze_layers_except(model, [patterns] if isinstance(patterns, str) else patterns)
        adapters = [p for name, p in model.named_parameters() if "lora_" in name]
        if adapter and not any(p.requires_grad for p in adapters):
            frozen = (
                f"unfrozen_parameters is applied after the adapter, to the PeftModel's names"
                f" (`base_model.model.` first): all {len(adapters)} LoRA tensors are frozen,"
                " as no pattern matches them"
            )
            notes.append(("unfrozen_parameters", frozen))
    return model, notes


# peft --------------------------------------------------------------------------------------------


def _peft(plan: TrainingPlan) -> tuple[nn.Module, list[Note]]:
    """``get_peft_model`` with the adapter configuration as written (its ``inference_mode``
    included: true freezes the adapter too)."""
    from peft import PeftConfig, get_peft_model

    settings = {k: v for k, v in plan.settings.items() if not k.startswith("_")}
    config = PeftConfig.from_peft_type(**settings)  # type: ignore[no-untyped-call]
    model = _build(plan)
    targets = getattr(config, "target_modules", None)
    notes = (
        _target_notes(model, "target_modules", sorted(targets)) if isinstance(targets, set) else []
    )
    notes += _saved_notes(
        model, "modules_to_save", list(getattr(config, "modules_to_save", None) or [])
    )
    try:
        return get_peft_model(model, config), notes
    except ValueError as error:
        raise FrameworkStops(f"peft's get_peft_model raises ValueError: {error}") from None


_FRAMEWORKS: dict[str, Callable[[TrainingPlan], tuple[nn.Module, list[Note]]]] = {
    LLAMA_FACTORY: _llama_factory,
    AXOLOTL: _axolotl,
    PEFT: _peft,
}


def verify_configuration(spec: Spec) -> ChildResult:
    """The model of the configuration at ``spec.path``, frozen as its framework would."""
    source = read_source(Path(spec.path), spec.display_path)
    plan = training_plan(parse(source.text, is_json=source.path.suffix.lower() == ".json"))
    if isinstance(plan, str):
        return ChildResult(error=plan)
    if plan.framework == LIGHTNING:
        from ftlint.verify.configured_lightning import verify_lightning_cli

        return verify_lightning_cli(spec, source, plan)
    where = f"line {plan.line}"
    session = Session(spec.path)
    on_meta = install()
    try:
        with Bound(session), on_meta:
            model, notes = _FRAMEWORKS[plan.framework](plan)
    except MissingConfig as missing:
        return ChildResult(
            error=f"{where}: {missing_config_text(missing.name)}", missing_config=missing.name
        )
    except FrameworkStops as stop:
        return ChildResult(error=f"{where}: {stop}")
    freeze_map = report(model, depth=_DEPTH)
    summary = ModelSummary.as_configured(
        plan.model, f"{_builder(plan)}.from_config", plan.line, freeze_map
    )
    notes.insert(0, ("", f"frozen as {plan.framework} freezes it ({_method(plan)})"))
    shown = [f"line {plan.line_of(key)}: {text}" for key, text in notes]
    return ChildResult(models=[summary], notes=shown)


def _method(plan: TrainingPlan) -> str:
    """How the framework trains: ``finetuning_type: freeze``, ``adapter: lora``, ``LORA``."""
    settings = plan.settings
    if plan.framework == LLAMA_FACTORY:
        return f"finetuning_type: {settings.get('finetuning_type', 'lora')}"
    if plan.framework == AXOLOTL:
        adapter = settings.get("adapter")
        return f"adapter: {adapter}" if adapter else "no adapter: full fine-tuning"
    return f"peft_type: {settings.get('peft_type')}, get_peft_model"
