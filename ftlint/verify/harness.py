"""What makes running a training script cheap and harmless, inside verify's child process.

Every tensor is created on PyTorch's ``meta`` device whatever device the code names, and moving a
model or a tensor to a device keeps it there; weights are never read (``torch.load``,
``load_state_dict``, safetensors, torchvision, timm and ``torch.hub`` weights, Hugging Face
``from_pretrained``, which builds the architecture from the configuration it finds locally);
missing data gets stand-ins so that the script goes on to build its model. Training is about to
start at the first ``backward()``, optimizer step, iteration over a ``DataLoader``, Lightning
``Trainer.fit`` or Hugging Face ``Trainer.train``: :class:`TrainingStarts` stops the script
there.

Patches of a library are applied when the script imports it (the harness never imports a
framework the script does not use), once per process; what they record goes to the
:class:`Session` of the current run.
"""

from __future__ import annotations

import builtins
import copy
import functools
import importlib.abc
import importlib.machinery
import inspect
import io
import os
import sys
import types
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.hub
import torch.utils.model_zoo
from torch import nn
from torch.overrides import TorchFunctionMode

from ftlint.verify import cuda, hf_stand_ins, launchers, missing_data
from ftlint.verify.probes import SkippedCheckpoint
from ftlint.verify.stand_ins import MISSING_PATH, STAND_IN_SIZE, StandIn
from ftlint.verify.syntax import Note
from ftlint.verify.values import KnownValues, is_device

# torch.nn.init functions that fill a tensor in place (modules call them as `init.<name>`).
_INIT_FUNCTIONS = (
    "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
    "sparse_",
)  # fmt: skip
# Keyword arguments of `from_pretrained` about loading weights, not about the configuration.
_LOADING_KWARGS = frozenset({
    "cache_dir", "force_download", "local_files_only", "token", "use_auth_token", "revision",
    "use_safetensors", "weights_only", "device_map", "max_memory", "offload_folder",
    "offload_state_dict", "offload_buffers", "low_cpu_mem_usage", "quantization_config",
    "load_in_8bit", "load_in_4bit", "ignore_mismatched_sizes", "output_loading_info",
    "state_dict", "subfolder", "variant", "mirror", "from_tf", "from_flax", "proxies",
    "resume_download", "_fast_init", "key_mapping", "tp_plan", "tp_size", "device_mesh",
    "disable_mmap", "fusion_config", "gguf_file", "adapter_kwargs", "adapter_name",
    "use_flash_attention_2", "_from_auto", "_from_pipeline", "trust_remote_code",
    "code_revision", "torch_dtype", "dtype", "attn_implementation",
})  # fmt: skip
# Trainer arguments that place training on devices (Lightning's, Hugging Face's).
_LIGHTNING_PLACEMENT = ("accelerator", "devices", "strategy", "num_nodes", "gpus", "precision")
_HF_PLACEMENT = ("fp16", "bf16", "tf32", "deepspeed")
# Those that say where the configuration is.
_CONFIG_LOCATION_KWARGS = ("revision", "subfolder", "cache_dir", "trust_remote_code")
# Files that hold weights: a missing one opened to be read is an empty file (nothing is loaded).
_CHECKPOINT_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt", ".safetensors", ".pkl", ".h5")
# Loaders whose stand-in is a real tokenizer (`_stand_in_on_failure`).
_TOKENIZER_LOADERS = ("tokenizer", "AutoTokenizer", "AutoProcessor")
# Readers that give a stand-in when their file is missing: (module, function).
_DATA_READERS = (
    ("PIL.Image", "open"),
    ("pandas", "read_csv"),
    ("pandas", "read_json"),
    ("pandas", "read_parquet"),
    ("pandas", "read_excel"),
    ("numpy", "load"),
    ("numpy", "loadtxt"),
    ("evaluate", "load"),  # a metric script, fetched from the hub like a dataset
)


class TrainingStarts(BaseException):
    """Raised where training would begin: the script stops there and its models are reported.
    A BaseException, so that the script's own ``except Exception`` does not swallow it."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass
class Session:
    """What one run of the script left for the report."""

    script: str  # the file whose rows notes and construction sites are given in
    notes: list[Note] = field(default_factory=list)
    stand_ins: list[Note] = field(default_factory=list)  # values that came from a stand-in
    # Where each module of the run was created: its row in the script (0: not from the script).
    # Keyed by id, never by the module: a module's own __hash__ (torchmetrics') may read state
    # its __init__ has not set yet.
    _built: dict[int, tuple[weakref.ref[nn.Module], int]] = field(default_factory=dict)
    # What a stop point was handed (the module given to `fit`, the Trainer), with its row.
    handed: list[tuple[object, int]] = field(default_factory=list)

    def built(self, module: nn.Module) -> None:
        """Record where ``module`` is being built, once: the outermost line of the script on
        the stack (``cli = LightningCLI(...)``, not the ``super().__init__()`` it led to)."""
        entry = self._built.get(id(module))
        if entry is None or entry[0]() is not module:
            self._built[id(module)] = (weakref.ref(module), self.row(outermost=True))

    def built_at(self) -> list[tuple[nn.Module, int]]:
        """The modules built during the run still alive, with their rows, in building order."""
        alive = [(entry[0](), entry[1]) for entry in self._built.values()]
        return [(module, row) for module, row in alive if module is not None]

    def row(self, *, outermost: bool = False) -> int:
        """The row of the script the running code was called from (innermost, or outermost),
        else 0."""
        row = 0
        frame: types.FrameType | None = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == self.script:
                row = frame.f_lineno
                if not outermost:
                    break
            frame = frame.f_back
        return row

    def note(self, text: str) -> None:
        note = Note(self.row(), text)
        if note not in self.notes:
            self.notes.append(note)

    def stand_in(self, what: str, remedy: str) -> StandIn:
        self.standing_in(what, remedy)
        return StandIn(what)

    def standing_in(self, what: str, remedy: str) -> None:
        """Say that ``what`` got a stand-in, and what follows from it."""
        note = Note(self.row(), f"{what}: a stand-in was used; {remedy}")
        # A path made from a stand-in is missing too; the stand-in it came from is noted.
        if MISSING_PATH not in what and note not in self.stand_ins:
            self.stand_ins.append(note)


class _Current:
    """The session of the run in progress: the patches, installed once, report to it."""

    session: Session | None = None


def _current() -> Session:
    if _Current.session is None:  # a patch running between runs (an atexit handler, a thread)
        raise TrainingStarts("after the script")
    return _Current.session


def _note_once(text: str) -> None:
    """A note said once per run, at the first row it applies to."""
    session = _Current.session
    if session is not None and all(note.text != text for note in session.notes):
        session.note(text)


# The meta device --------------------------------------------------------------------------------


def _meta_device(value: object) -> object:
    """``"meta"`` for what ``Tensor.to`` reads as a device (``"cuda"``, ``torch.device``, a GPU
    index); anything else (a dtype, another tensor) as it is."""
    return "meta" if is_device(value) else value


class _OnMeta(TorchFunctionMode):
    """Tensors are created on, and moved to, the meta device only."""

    def __init__(self) -> None:
        super().__init__()
        from torch.utils._device import _device_constructors

        self.factories = _device_constructors()
        self.known = KnownValues()

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Sequence[type],
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        return self.known.call(func, args, kwargs, lambda: self._on_meta(func, args, kwargs))

    def _on_meta(
        self, func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]
    ) -> Any:
        kwargs = dict(kwargs)
        if func in self.factories:
            kwargs["device"] = "meta"
        elif func is torch.Tensor.to:
            args = [args[0], *map(_meta_device, args[1:])]
            if "device" in kwargs:
                kwargs["device"] = "meta"
        elif func in (torch.Tensor.cuda, torch.Tensor.cpu, torch.Tensor.pin_memory):
            tensor = args[0]
            return tensor if tensor.is_meta else tensor.to("meta")
        return func(*args, **kwargs)


# Import hooks: patch a library when the script imports it ---------------------------------------


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls ``patches[name](module)`` right after ``name`` is imported, once."""

    def __init__(self, patches: dict[str, Callable[[types.ModuleType], None]]) -> None:
        self.patches = patches

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        patch = self.patches.get(fullname)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _PatchingLoader(spec.loader, patch)
                del self.patches[fullname]
                return spec
        return None


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader, patch: Callable[[types.ModuleType], None]):
        self.loader = loader
        self.patch = patch

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self.loader.exec_module(module)
        self.patch(module)


def _replace(owner: object, name: str, make: Callable[[Any], Any]) -> None:
    """``owner.name = make(original)``, when ``owner`` has it."""
    original = getattr(owner, name, None)
    if original is not None:
        setattr(owner, name, make(original))


def _on_missing_data(
    what: Callable[..., str], real: tuple[str, Callable[..., Any]] | None = None
) -> Callable[[Any], Any]:
    """A reader that returns a stand-in when the data is not there: a :class:`StandIn`, or
    where the library checks types, ``real = (what it is, its maker)``'s real object (the maker
    is given the reader's keyword arguments)."""

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def read(*args: Any, **kwargs: Any) -> Any:
            try:
                return original(*args, **kwargs)
            except (OSError, ValueError, RuntimeError, ConnectionError) as error:
                said = f"{what(*args, **kwargs)} could not be read ({type(error).__name__})"
                remedy = "provide the data (a path argument) to size what depends on it exactly"
                if real is None:
                    return _current().stand_in(said, remedy)
                _current().standing_in(said, f"{real[0]} stood in; {remedy}")
                return real[1](**kwargs)

        return read

    return wrap


# Weights ----------------------------------------------------------------------------------------


def _torch_load(f: object, *args: object, **kwargs: object) -> SkippedCheckpoint:
    source = getattr(f, "name", f) if isinstance(f, io.IOBase) else f  # an open file: its path
    _current().note(f"checkpoint load skipped: torch.load({source!r})")
    return SkippedCheckpoint(f"torch.load({source!r})")


def _from_url(url: str, *args: object, **kwargs: object) -> SkippedCheckpoint:
    _current().note(f"weights not downloaded: {url}")
    return SkippedCheckpoint(url)


def _download(url: str, *args: object, **kwargs: object) -> None:
    _current().note(f"download skipped: {url}")


def _load_state_dict(module: nn.Module, state_dict: object, *args: object, **kwargs: object) -> Any:
    if not isinstance(state_dict, SkippedCheckpoint):
        _current().note(f"{type(module).__name__}.load_state_dict skipped")
    return nn.modules.module._IncompatibleKeys([], [])


def _stays(module: nn.Module, *args: object, **kwargs: object) -> nn.Module:
    return module  # moving meta tensors to a device means nothing, and needs no GPU


def _compiled(model: object = None, **kwargs: object) -> object:
    return model if model is not None else (lambda function: function)


def _initialized(tensor: torch.Tensor, *args: object, **kwargs: object) -> torch.Tensor:
    return tensor  # meta tensors hold no values, and initialising costs most of a build


def _recording_init(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def __init__(self: nn.Module, *args: Any, **kwargs: Any) -> None:
        session = _Current.session
        if session is not None:
            session.built(self)
        original(self, *args, **kwargs)

    return __init__


# Stop points ------------------------------------------------------------------------------------


def _stop(what: str) -> Callable[..., Any]:
    def stop(*args: object, **kwargs: object) -> Any:
        raise TrainingStarts(what)

    return stop


def _loader_iter(loader: torch.utils.data.DataLoader[Any]) -> Iterator[Any]:
    """Training starts at the first iteration over a DataLoader once a model exists. Before,
    the script is looking at its data, which verify does not have: the loader is empty (a
    loop over it does nothing; a statement that takes its first batch fails on the stand-in
    data, and is skipped)."""
    session = _current()
    if any(next(module.parameters(), None) is not None for module, _ in session.built_at()):
        raise TrainingStarts("iterating over a DataLoader")
    session.stand_in("the DataLoader, iterated before any model exists", "it gives no batch")
    return iter(())


def _empty_data_loads(original: Callable[..., None]) -> Callable[..., None]:
    """A DataLoader over a dataset left empty by missing files: shuffling an empty dataset
    raises at once, before the script builds its model; without shuffling it is built."""

    @functools.wraps(original)
    def __init__(self: Any, dataset: Any, *args: Any, **kwargs: Any) -> None:
        try:
            original(self, dataset, *args, **kwargs)
        except ValueError as error:
            if "num_samples" not in str(error):
                raise
            _current().stand_in(
                f"the DataLoader's dataset is empty ({type(dataset).__name__}: its files are"
                " missing)",
                "it was built without shuffling",
            )
            original(self, dataset, *args, **{**kwargs, "shuffle": False, "sampler": None})

    return __init__


def _missing_checkpoints_open(original: Callable[..., Any]) -> Callable[..., Any]:
    """Opening a missing checkpoint file to read gives an empty one: the load that follows is
    skipped anyway (``torch.load`` reads nothing under verify)."""

    @functools.wraps(original)
    def open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        try:
            return original(file, mode, *args, **kwargs)
        except FileNotFoundError:
            if "b" not in mode or not str(file).endswith(_CHECKPOINT_SUFFIXES):
                raise
            _current().note(f"checkpoint file not found, not read: {file}")
            empty = io.BytesIO()
            empty.name = file  # as an open file has it
            return empty

    return open


def _no_input(prompt: object = "") -> str:
    """No one answers a prompt under verify: an empty line, said in a note."""
    _current().note(f"input({str(prompt)!r}) answered with an empty line")
    return ""


def _step_hook(optimizer: torch.optim.Optimizer, args: object, kwargs: object) -> None:
    raise TrainingStarts(f"{type(optimizer).__name__}.step()")


@dataclass(frozen=True)
class HandedToFit:
    """The module as ``Trainer.fit`` got it, before its finetuning callbacks froze it: what a
    simulation of their phases starts from. Not a module, so never reported as a model."""

    module: Any


def _lightning_fit(original: Callable[..., Any]) -> Callable[..., Any]:
    def fit(trainer: Any, model: Any = None, *args: Any, **kwargs: Any) -> Any:
        session = _current()
        row = session.row()
        session.handed.append((trainer, row))
        if model is not None:
            session.handed.append((model, row))
            session.handed.append((HandedToFit(copy.deepcopy(model)), row))
            # What fit does first: finetuning callbacks freeze the module (on_fit_start).
            for callback in getattr(trainer, "callbacks", ()):
                if hasattr(callback, "freeze_before_training"):
                    try:
                        callback.freeze_before_training(model)
                    except Exception as error:  # noqa: BLE001 - said, and the run reports
                        session.note(
                            f"{type(callback).__name__}.freeze_before_training failed:"
                            f" {type(error).__name__}: {error}"
                        )
        raise TrainingStarts("Trainer.fit()")

    return fit


def _hf_train(original: Callable[..., Any]) -> Callable[..., Any]:
    def train(trainer: Any, *args: Any, **kwargs: Any) -> Any:
        session = _current()
        row = session.row()
        session.handed.append((trainer, row))
        session.handed.append((trainer.model, row))
        try:  # the optimizer the Trainer would build, from what is trainable now
            session.handed.append((trainer.create_optimizer(), row))
        except Exception as error:  # noqa: BLE001 - a Trainer setting meta cannot follow
            session.note(f"the Trainer's optimizer could not be built: {error}")
        raise TrainingStarts(f"{type(trainer).__name__}.train()")

    return train


# Hugging Face -----------------------------------------------------------------------------------


def _hf_from_pretrained(original: Any) -> Any:
    """``from_pretrained`` building the architecture from the configuration only."""

    def from_pretrained(cls: Any, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        from transformers import AutoConfig, PretrainedConfig

        session = _current()
        config = kwargs.pop("config", None)
        dtype = kwargs.get("dtype", kwargs.get("torch_dtype"))
        options = {k: v for k, v in kwargs.items() if k not in _LOADING_KWARGS}
        if not isinstance(config, PretrainedConfig):
            loader = getattr(cls, "config_class", None) or AutoConfig
            if loader.__name__ == "PretrainedConfig":
                loader = AutoConfig
            where = {k: v for k, v in kwargs.items() if k in _CONFIG_LOCATION_KWARGS}
            config = loader.from_pretrained(
                config if config is not None else name, **where, **options
            )
        else:
            for key, value in options.items():
                setattr(config, key, value)
        built = {"dtype": dtype} if isinstance(dtype, torch.dtype) else {}
        if name is not None:  # as from_pretrained names it: TRL loads the tokenizer by it
            config.name_or_path = name
        model = cls._from_config(config, **built)
        model.eval()  # as from_pretrained leaves it
        session.note(f"pretrained weights not loaded ({name}): architecture from its config only")
        return model

    return classmethod(from_pretrained)


class MissingConfig(RuntimeError):
    """A Hugging Face model's configuration is not on this machine."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _patch_transformers(module: types.ModuleType) -> None:
    _replace(module.PreTrainedModel, "from_pretrained", _hf_from_pretrained)


def _config_or_missing(original: Any) -> Any:
    """A configuration loader that says which configuration is missing, instead of a network
    error verify caused by having none."""
    function = original.__func__

    def from_pretrained(cls: Any, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(cls, name, *args, **kwargs)
        except OSError as error:
            raise MissingConfig(str(name)) from error

    return classmethod(from_pretrained)


def _patch_configurations(module: types.ModuleType) -> None:
    for name in ("PreTrainedConfig", "PretrainedConfig"):
        if name in vars(module):
            _replace(vars(module)[name], "from_pretrained", _config_or_missing)


def _patch_auto_configuration(module: types.ModuleType) -> None:
    _replace(module.AutoConfig, "from_pretrained", _config_or_missing)


def _patch_transformers_trainer(module: types.ModuleType) -> None:
    _replace(module.Trainer, "train", _hf_train)


def _patch_tokenizers(module: types.ModuleType) -> None:
    owner = module.PreTrainedTokenizerBase
    _replace(
        owner,
        "from_pretrained",
        lambda original: classmethod(_stand_in_on_failure(original.__func__, "tokenizer")),
    )


def _auto_processor_patch(class_name: str) -> Callable[[types.ModuleType], None]:
    def patch(module: types.ModuleType) -> None:
        _replace(
            getattr(module, class_name),
            "from_pretrained",
            lambda original: _stand_in_on_failure(original, class_name),
        )

    return patch


def _stand_in_on_failure(original: Callable[..., Any], kind: str) -> Callable[..., Any]:
    """A loader giving a stand-in when the files are missing: a real tokenizer for a tokenizer
    (or a processor, which is one for a text model), a :class:`StandIn` for an image processor."""

    def from_pretrained(*args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)
        except (OSError, ValueError, MissingConfig) as error:
            name = next((a for a in args if isinstance(a, (str, os.PathLike))), "?")
            what = f"{kind} {str(name)!r} is not on this machine ({type(error).__name__})"
            if kind not in _TOKENIZER_LOADERS:
                return _current().stand_in(what, "sizes read from it are guesses")
            made = hf_stand_ins.tokenizer(str(name), kwargs)
            _current().standing_in(
                what,
                f"a byte-level tokenizer of {len(made)} tokens: token ids and lengths are not"
                f" the real ones, and a vocabulary resized with `len(tokenizer)` gets {len(made)}"
                " rows; tensor counts do not depend on it",
            )
            return made

    return from_pretrained


def _patch_peft(module: types.ModuleType) -> None:
    def no_weights(original: Callable[..., Any]) -> Callable[..., Any]:
        def load_peft_weights(model_id: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
            _current().note(f"adapter weights not loaded ({model_id}): adapter architecture only")
            return {}

        return load_peft_weights

    def no_state(original: Callable[..., Any]) -> Callable[..., Any]:
        def set_peft_model_state_dict(*args: Any, **kwargs: Any) -> Any:
            return nn.modules.module._IncompatibleKeys([], [])

        return set_peft_model_state_dict

    _replace(module, "load_peft_weights", no_weights)
    _replace(module, "set_peft_model_state_dict", no_state)


def _lightning_on_cpu(original: Callable[..., None]) -> Callable[..., None]:
    """A Trainer asking for GPUs, several devices or half precision is built for one CPU:
    where it would run changes nothing of what trains."""

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        # LightningCLI passes every argument, defaults included: those ask for nothing.
        defaults = inspect.signature(original).parameters
        asked = {
            k: kwargs[k]
            for k in _LIGHTNING_PLACEMENT
            if k in kwargs and (k not in defaults or kwargs[k] != defaults[k].default)
        }
        if asked:
            _current().note(f"Trainer({_arguments(asked)}) built for the CPU")
        precision = str(kwargs.get("precision", ""))
        kwargs.update(accelerator="cpu", devices=1, strategy="auto", num_nodes=1)
        if "16" in precision:
            kwargs.pop("precision")
        kwargs.pop("gpus", None)
        original(self, *args, **kwargs)

    return __init__


def _arguments(values: Mapping[str, object]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in values.items())


def _patch_lightning(module: types.ModuleType) -> None:
    _replace(module.Trainer, "fit", _lightning_fit)
    _replace(module.Trainer, "__init__", _lightning_on_cpu)


def _hf_arguments_on_cpu(original: Callable[..., None]) -> Callable[..., None]:
    """``TrainingArguments`` asking for half precision or DeepSpeed is checked for the CPU."""

    @functools.wraps(original)
    def __post_init__(self: Any) -> None:
        asked = {k: getattr(self, k) for k in _HF_PLACEMENT if getattr(self, k, None)}
        if asked:
            _current().note(f"TrainingArguments({_arguments(asked)}) set for the CPU")
            for key in asked:
                setattr(self, key, None if key in ("tf32", "deepspeed") else False)
        original(self)

    return __post_init__


def _patch_training_arguments(module: types.ModuleType) -> None:
    _replace(module.TrainingArguments, "__post_init__", _hf_arguments_on_cpu)


def _patch_torchvision_weights(module: types.ModuleType) -> None:
    def get_state_dict(original: Callable[..., Any]) -> Callable[..., Any]:
        def get_state_dict(weights: object, *args: object, **kwargs: object) -> SkippedCheckpoint:
            _current().note(f"pretrained weights not downloaded ({weights}): architecture only")
            return SkippedCheckpoint(str(weights))

        return get_state_dict

    _replace(module.WeightsEnum, "get_state_dict", get_state_dict)


def _patch_torchvision_datasets(module: types.ModuleType) -> None:
    from torchvision.datasets.vision import VisionDataset

    def stand_in_on_failure(original: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(original)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            try:
                original(self, *args, **kwargs)
            except (OSError, RuntimeError) as error:
                root = kwargs.get("root", args[0] if args else "?")
                stand_in = _current().stand_in(
                    f"{type(self).__name__}({str(root)!r}) could not be read"
                    f" ({type(error).__name__})",
                    "its classes and size are guesses: give the dataset's path to count exactly",
                )
                self.__dict__.update(stand_in.attributes())

        return __init__

    for cls in [VisionDataset, *_subclasses(VisionDataset)]:
        if "__init__" in vars(cls):
            cls.__init__ = stand_in_on_failure(cls.__init__)


def _subclasses(cls: type) -> Iterator[type]:
    subclass: type
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _patch_datasets(module: types.ModuleType) -> None:
    # A real dataset: TRL's trainers check the type of theirs.
    rows = (
        f"{STAND_IN_SIZE} rows of a `text` and a `label` column ({STAND_IN_SIZE} classes), and"
        " of any column the script names,"
    )
    for reader in ("load_dataset", "load_from_disk"):
        _replace(
            module,
            reader,
            _on_missing_data(
                lambda *a, _reader=reader, **k: f"{_reader}({a[0] if a else _path(k)!r})",
                (rows, hf_stand_ins.dataset),
            ),
        )


def _path(options: Mapping[str, Any]) -> Any:
    return options.get("path", options.get("dataset_path", "?"))


def _patch_timm(module: types.ModuleType) -> None:
    def load_pretrained(original: Callable[..., Any]) -> Callable[..., Any]:
        def load_pretrained(model: nn.Module, *args: object, **kwargs: object) -> None:
            _current().note(
                f"pretrained weights not loaded ({type(model).__name__}): architecture only"
            )

        return load_pretrained

    _replace(module, "load_pretrained", load_pretrained)


def _patch_safetensors(module: types.ModuleType) -> None:
    def load_file(original: Callable[..., Any]) -> Callable[..., Any]:
        def load_file(filename: object, *args: object, **kwargs: object) -> SkippedCheckpoint:
            _current().note(f"checkpoint load skipped: safetensors {filename!r}")
            return SkippedCheckpoint(str(filename))

        return load_file

    _replace(module, "load_file", load_file)
    _replace(module, "load", load_file)


def _reader_patch(attribute: str) -> Callable[[types.ModuleType], None]:
    def patch(module: types.ModuleType) -> None:
        _replace(
            module,
            attribute,
            _on_missing_data(
                lambda *a, **k: f"{module.__name__}.{attribute}({a[0] if a else '?'!r})"
            ),
        )

    return patch


def _library_patches() -> dict[str, Callable[[types.ModuleType], None]]:
    patches: dict[str, Callable[[types.ModuleType], None]] = {
        "transformers.modeling_utils": _patch_transformers,
        "transformers.configuration_utils": _patch_configurations,
        "transformers.models.auto.configuration_auto": _patch_auto_configuration,
        "transformers.trainer": _patch_transformers_trainer,
        "transformers.training_args": _patch_training_arguments,
        "transformers.tokenization_utils_base": _patch_tokenizers,
        **{
            f"transformers.models.auto.{module}": _auto_processor_patch(name)
            for module, name in (
                ("tokenization_auto", "AutoTokenizer"),
                ("processing_auto", "AutoProcessor"),
                ("image_processing_auto", "AutoImageProcessor"),
                ("feature_extraction_auto", "AutoFeatureExtractor"),
            )
        },
        "peft.utils.save_and_load": _patch_peft,
        "peft.peft_model": _patch_peft,
        "lightning.pytorch.trainer.trainer": _patch_lightning,
        "pytorch_lightning.trainer.trainer": _patch_lightning,
        "torchvision.models._api": _patch_torchvision_weights,
        "torchvision.datasets": _patch_torchvision_datasets,
        "datasets": _patch_datasets,
        "timm.models._builder": _patch_timm,
        "safetensors.torch": _patch_safetensors,
        "accelerate.launchers": launchers.accelerate_patch(_current),
    }
    for module, attribute in _DATA_READERS:
        patches.setdefault(module, _reader_patch(attribute))
    return patches


def install() -> _OnMeta:
    """Patch torch now, and each library when it is imported (or now, if it already is). Call
    once per process, before the script runs; returns the meta mode to enter around each run."""
    from torch.optim.optimizer import register_optimizer_step_pre_hook

    for name in _INIT_FUNCTIONS:
        setattr(torch.nn.init, name, _initialized)
    for owner, name, value in (
        (torch, "load", _torch_load),
        (torch.serialization, "load", _torch_load),
        (torch.hub, "load_state_dict_from_url", _from_url),
        (torch.hub, "download_url_to_file", _download),
        (torch.utils.model_zoo, "load_url", _from_url),
        (torch, "compile", _compiled),
        (nn.Module, "load_state_dict", _load_state_dict),
        (nn.Module, "to", _stays),
        (nn.Module, "cuda", _stays),
        (nn.Module, "cpu", _stays),
        (torch.Tensor, "backward", _stop("backward()")),
        (torch.autograd, "backward", _stop("torch.autograd.backward()")),
        (torch.utils.data.DataLoader, "__iter__", _loader_iter),
    ):
        setattr(owner, name, value)
    nn.Module.__init__ = _recording_init(nn.Module.__init__)  # type: ignore[method-assign]  # same signature, records where
    torch.utils.data.DataLoader.__init__ = _empty_data_loads(torch.utils.data.DataLoader.__init__)  # type: ignore[method-assign]  # same signature
    register_optimizer_step_pre_hook(_step_hook)
    builtins.open = io.open = _missing_checkpoints_open(builtins.open)
    missing_data.install(_current)
    builtins.input = _no_input
    cuda.install(_note_once)
    patches = _library_patches()
    for name in list(patches):
        if name in sys.modules:
            patches.pop(name)(sys.modules[name])
    sys.meta_path.insert(0, _AfterImport(patches))
    return _OnMeta()


@dataclass
class Bound:
    """The current session, bound for the duration of one run."""

    session: Session

    def __enter__(self) -> Session:
        _Current.session = self.session
        return self.session

    def __exit__(self, *exc: object) -> None:
        _Current.session = None
