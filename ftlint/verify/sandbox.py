"""Run a verify program: on the meta device, weights never fetched, no network, no processes,
no file writes, no reads outside the project and the Python installation; a failure is
reported at the file's own line.

Weight loading is neutralised where it happens: torchvision's ``WeightsEnum.get_state_dict``,
``torch.hub``'s URL loaders, ``torch.load`` and ``Module.load_state_dict`` record a note and read
nothing, so ``weights=``/``pretrained=`` keep their effect on the architecture (the number of
classes of the weights, for example) without a byte fetched. An audit hook blocks whatever I/O
is left, while a program runs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
import site
import sys
import tempfile
import traceback
import types
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import torch
import torch.hub
import torch.utils.model_zoo
from torch import nn

from ftlint.sources import SourceFile
from ftlint.verify import VerifyError
from ftlint.verify.extract import Note
from ftlint.verify.instrument import PROBES, Program
from ftlint.verify.probes import (
    Probes,
    SkippedCheckpoint,
    UnavailableValue,
    UnavailableValueError,
)

_NETWORK_EVENTS = frozenset({
    "urllib.Request", "http.client.connect", "ftplib.connect", "smtplib.connect", "webbrowser.open",
})  # fmt: skip
_PROCESS_EVENTS = frozenset({
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
    "os.forkpty", "pty.spawn",
})  # fmt: skip
_CHANGE_EVENTS = frozenset({
    "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.truncate", "os.chmod", "os.chown",
    "os.link", "os.symlink", "os.utime", "shutil.copyfile", "shutil.copymode", "shutil.copystat",
    "shutil.copytree", "shutil.move", "shutil.rmtree", "shutil.make_archive", "shutil.unpack_archive",
})  # fmt: skip
_LISTING_EVENTS = frozenset({"os.listdir", "os.scandir", "glob.glob"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_SYSTEM_FILES = ("/proc", "/sys", "/dev")

_Result = TypeVar("_Result")
# torch.nn.init functions that fill a tensor in place (modules call them as `init.<name>`).
_INIT_FUNCTIONS = (
    "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
    "sparse_",
)  # fmt: skip


class SandboxViolation(PermissionError):
    """The program tried I/O that verify never does."""


@dataclass(frozen=True)
class _Policy:
    readable: tuple[str, ...]  # directories whose files may be read

    def check(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return
            if (
                any(letter in (mode or "") for letter in "wax+")
                or not mode
                and flags & _WRITE_FLAGS
            ):
                raise SandboxViolation(f"ftlint verify blocked writing {os.fsdecode(path)}")
            self._check_read(path)
        elif event in _LISTING_EVENTS:
            self._check_read(args[0] if args and args[0] is not None else ".")
        elif event.startswith("socket.") or event in _NETWORK_EVENTS:
            raise SandboxViolation(f"ftlint verify blocked network access ({event})")
        elif event in _PROCESS_EVENTS:
            raise SandboxViolation(f"ftlint verify blocked starting a program ({event})")
        elif event in _CHANGE_EVENTS:
            raise SandboxViolation(f"ftlint verify blocked changing files ({event})")

    def _check_read(self, path: int | str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> None:
        if isinstance(path, int):
            return
        real = os.path.realpath(os.fsdecode(path))
        if not any(real == root or real.startswith(root + os.sep) for root in self.readable):
            raise SandboxViolation(f"ftlint verify blocked reading {real} (outside the project)")


_active_policy: _Policy | None = None
_hook_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    policy = _active_policy
    if policy is not None:
        policy.check(event, args)


def project_root(script: Path) -> Path:
    """The repository the script is in (the nearest directory with ``.git``), else its directory."""
    directory = Path(os.path.abspath(script)).parent
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return directory


def _readable_roots(project: Path) -> tuple[str, ...]:
    """The project, the Python installation and the packages importable from it."""
    cwd = os.getcwd()
    roots = {
        str(project),
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        site.getusersitepackages(),
        *_SYSTEM_FILES,
    }
    roots |= {entry for entry in sys.path if entry and os.path.isdir(entry) and entry != cwd}
    return tuple(os.path.realpath(root) for root in roots)


@dataclass
class Execution:
    """One finished run of a program."""

    probes: Probes
    namespace: dict[str, Any]
    notes: list[Note] = field(default_factory=list)  # weights and checkpoints not loaded


class _Loads:
    """Replacements for the functions that load weights: they note the skip and read nothing."""

    def __init__(self, filename: str, notes: list[Note]) -> None:
        self.filename = filename
        self.notes = notes

    def note(self, text: str) -> None:
        frame: types.FrameType | None = sys._getframe()
        while frame is not None and frame.f_code.co_filename != self.filename:
            frame = frame.f_back
        row = frame.f_lineno if frame is not None else 0
        if Note(row, text) not in self.notes:
            self.notes.append(Note(row, text))

    def torch_load(self, f: object, *args: object, **kwargs: object) -> SkippedCheckpoint:
        self.note(f"checkpoint load skipped: torch.load({f!r})")
        return SkippedCheckpoint(f"torch.load({f!r})")

    def from_url(self, url: str, *args: object, **kwargs: object) -> SkippedCheckpoint:
        self.note(f"weights not downloaded: {url}")
        return SkippedCheckpoint(url)

    def download(self, url: str, *args: object, **kwargs: object) -> None:
        self.note(f"download skipped: {url}")

    @property
    def weights(self) -> Callable[..., SkippedCheckpoint]:
        def get_state_dict(weights: object, *args: object, **kwargs: object) -> SkippedCheckpoint:
            self.note(f"pretrained weights not downloaded ({weights}): architecture only")
            return SkippedCheckpoint(str(weights))

        return get_state_dict  # a function, so that it binds to the weights enum member

    @property
    def load_state_dict(self) -> Callable[..., object]:
        def load_state_dict(
            module: nn.Module, state_dict: object, *args: object, **kwargs: object
        ) -> object:
            if not isinstance(state_dict, SkippedCheckpoint):
                self.note(f"{type(module).__name__}.load_state_dict skipped")
            return nn.modules.module._IncompatibleKeys([], [])

        return load_state_dict  # a function, so that it binds to the module like a method

    def replacements(self, with_torchvision: bool) -> list[tuple[object, str, object]]:
        def stays(module: nn.Module, *args: object, **kwargs: object) -> nn.Module:
            return module  # moving meta tensors to a device means nothing, and needs no GPU

        def compiled(model: object = None, **kwargs: object) -> object:
            return model if model is not None else (lambda function: function)

        # Meta tensors hold no values to initialise, and initialising costs most of a build.
        def initialized(tensor: torch.Tensor, *args: object, **kwargs: object) -> torch.Tensor:
            return tensor

        replacements: list[tuple[object, str, object]] = [
            *((torch.nn.init, name, initialized) for name in _INIT_FUNCTIONS),
            (torch, "load", self.torch_load),
            (torch.serialization, "load", self.torch_load),
            (torch.hub, "load_state_dict_from_url", self.from_url),
            (torch.hub, "download_url_to_file", self.download),
            (torch.utils.model_zoo, "load_url", self.from_url),
            (torch, "compile", compiled),
            (nn.Module, "load_state_dict", self.load_state_dict),
            (nn.Module, "to", stays),
            (nn.Module, "cuda", stays),
            (nn.Module, "cpu", stays),
        ]
        if with_torchvision:
            from torchvision.models._api import WeightsEnum

            replacements.append((WeightsEnum, "get_state_dict", self.weights))
        return replacements


@contextlib.contextmanager
def _replaced(replacements: list[tuple[object, str, object]]) -> Iterator[None]:
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in replacements]
    try:
        for owner, name, replacement in replacements:
            setattr(owner, name, replacement)
        yield
    finally:
        for owner, name, original in reversed(originals):
            setattr(owner, name, original)


@contextlib.contextmanager
def _isolated(script: str, policy: _Policy) -> Iterator[None]:
    """Quiet, argument-less and guarded: what the program sees of the process."""
    global _active_policy, _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)  # audit hooks cannot be removed: this one is idle between runs
        _hook_installed = True
    tempfile.gettempdir()  # torch's lazy imports probe it once, by writing a file: not the script's I/O
    saved = (sys.argv, sys.stdin, sys.stdout, sys.stderr, list(sys.path), sys.modules["__main__"])
    sys.argv = [script]
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(), io.StringIO(), io.StringIO()
    sys.path.insert(0, os.path.dirname(script))
    # Libraries log through handlers bound to the real stderr before the run (Lightning's
    # "GPU available" lines): silence logging itself, not only the streams.
    logging_level = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), torch.device("meta"):
            warnings.simplefilter("ignore")
            _active_policy = policy
            yield
    finally:
        _active_policy = None
        logging.disable(logging_level)
        sys.argv, sys.stdin, sys.stdout, sys.stderr, sys.path[:], sys.modules["__main__"] = saved


class Sandbox:
    """Runs the code of one file under verify's rules, and reports its failures at the file's
    own lines (``where`` formats a row: ``line 12``, or ``cell 2, line 3`` in a notebook)."""

    def __init__(self, source: SourceFile, program: Program, where: Callable[[int], str]) -> None:
        self.script = os.path.abspath(source.path)
        self.where = where
        self.policy = _Policy(_readable_roots(project_root(source.path)))
        self.with_torchvision = "torchvision" in sys.modules or (
            "torchvision" in program.code and importlib.util.find_spec("torchvision") is not None
        )
        try:
            self.code = compile(program.code, self.script, "exec")
        except SyntaxError as error:
            raise VerifyError(
                f"{where(error.lineno or 0)}: {type(error).__name__}: {error.msg}"
            ) from None

    def call(self, function: Callable[[], _Result], notes: list[Note]) -> _Result | None:
        """``function()`` in the sandbox; skipped loads are noted in ``notes``. Raises
        VerifyError when it fails; None when it exits with status 0."""
        loads = _Loads(self.script, notes)
        try:
            with (
                _replaced(loads.replacements(self.with_torchvision)),
                _isolated(self.script, self.policy),
            ):
                return function()
        except SystemExit as exit:
            if exit.code in (None, 0):
                return None
            raise VerifyError(
                f"{self._at(exit)}: the script exited with status {exit.code}"
            ) from None
        except UnavailableValueError as error:
            gap = error.gap
            raise VerifyError(
                f"{self._at(error)} needs `{gap.name}`, which comes from {gap.reason} at"
                f" {self.where(gap.row)}, and verify does not run that; give the value with"
                " --set NAME=VALUE"
            ) from None
        except Exception as error:  # noqa: BLE001 - any failure of the user's code is reported
            raise VerifyError(f"{self._at(error)}: {type(error).__name__}: {error}") from None

    def _at(self, error: BaseException) -> str:
        """Where in the user's file ``error`` happened: the innermost frame there."""
        frames = traceback.extract_tb(error.__traceback__)
        rows = [frame.lineno or 0 for frame in frames if frame.filename == self.script]
        return self.where(rows[-1] if rows else 0)


def run_program(
    program: Program,
    sandbox: Sandbox,
    overrides: Mapping[str, object],
    pins: Mapping[str, object],
    reading: int | None = None,
) -> Execution:
    """Run ``program`` once: flags read by freeze conditions take ``overrides``, pinned names
    are bound before it starts, and ``reading`` is the chain read left to right (or None).
    Raises VerifyError when the program fails."""
    probes = Probes(overrides, reading)
    main = types.ModuleType("__main__")
    namespace: dict[str, Any] = main.__dict__
    namespace.update({name: UnavailableValue(gap) for name, gap in program.unavailable.items()})
    namespace.update({name: value for name, value in pins.items() if name.isidentifier()})
    namespace.update({"__file__": sandbox.script, "__builtins__": __builtins__, PROBES: probes})
    execution = Execution(probes, namespace)

    def execute() -> None:
        sys.modules["__main__"] = main  # as `python script.py` runs it; restored afterwards
        exec(sandbox.code, namespace)  # noqa: S102 - the pruned, sandboxed program is the point

    sandbox.call(execute, execution.notes)
    return execution
