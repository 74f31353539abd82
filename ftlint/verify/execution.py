"""One run of the instrumented entry point, as Python would run it, in verify's child process.

``sys.argv`` is the script and its arguments, ``__name__`` is ``"__main__"``, the script's
directory (the current one for ``-m``) comes first on ``sys.path`` and the current directory is
left as it is. The run ends where training would start (:class:`TrainingStarts`), at the end of
the script, or where the script fails; whichever it is, the run says so and where.
"""

from __future__ import annotations

import builtins
import importlib
import os
import sys
import traceback
import types
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn
from torch.optim import Optimizer

from ftlint.verify.harness import Bound, MissingConfig, Session, TrainingStarts
from ftlint.verify.instrument import PROBES
from ftlint.verify.probes import Probes
from ftlint.verify.remedies import remedy
from ftlint.verify.skipping import SKIPS, Skips


@dataclass(frozen=True)
class Entry:
    """What ``ftlint verify`` runs: a file, or a module (``-m``), with its arguments."""

    path: str  # the absolute path of the file that runs
    module: str | None  # its dotted name, when run with -m
    args: tuple[str, ...] = ()


@dataclass
class Execution:
    """One finished run of a program."""

    probes: Probes
    namespace: dict[str, Any]
    session: Session
    skips: Skips
    stopped: str | None = None  # what training step it stopped at; None: the script ended
    stop_row: int = 0
    failure: str | None = None  # where and why the script failed
    missing_config: str | None = None  # the Hugging Face id whose configuration is not here
    exited: bool = False  # the script called sys.exit with a failure: what it printed says why
    names: dict[int, str] = field(default_factory=dict)  # id(module) -> the variable holding it

    @property
    def notes(self) -> list[Any]:
        return self.session.notes

    def optimizers(self) -> list[tuple[Optimizer, int | None, int]]:
        """Every optimizer the run built or a stop point was handed (the one a Hugging Face
        Trainer would build), once each, in order: (optimizer, the construction site that
        returned it or None, the row it was handed at or 0)."""
        found: dict[int, tuple[Optimizer, int | None, int]] = {}
        for site, value in self.probes.tracked:
            if isinstance(value, Optimizer):
                found.setdefault(id(value), (value, site, 0))
        for value, row in self.session.handed:
            if isinstance(value, Optimizer):
                found.setdefault(id(value), (value, None, row))
        return list(found.values())


def _script_frames(tb: types.TracebackType | None, script: str) -> list[types.FrameType]:
    return [frame for frame, _ in traceback.walk_tb(tb) if frame.f_code.co_filename == script]


def _names(frames: list[types.FrameType], namespace: Mapping[str, Any]) -> dict[int, str]:
    """The variables that hold modules, innermost frame first, then the script's globals."""
    names: dict[int, str] = {}
    for scope in [*(frame.f_locals for frame in reversed(frames)), namespace]:
        for name, value in scope.items():
            if isinstance(value, nn.Module) and not name.startswith("_"):
                names.setdefault(id(value), name)
            elif name == "self" and isinstance(value, object):
                for attribute, member in vars(value).items() if hasattr(value, "__dict__") else ():
                    if isinstance(member, nn.Module):
                        names.setdefault(id(member), f"self.{attribute}")
    return names


def _raised_in(error: BaseException, script: str) -> str:
    """`` (in pkg/mod.py:12)`` when the error came out of a library the script called: the
    innermost frame outside the package that raised it (``np.int`` fails inside numpy, the
    cause is the module that asked numpy), unless that is the script or verify itself."""
    frames = [
        (frame.f_code.co_filename, row)
        for frame, row in traceback.walk_tb(error.__traceback__)
        if not frame.f_code.co_filename.startswith("<")
    ]
    if not frames:
        return ""
    raiser = _package(frames[-1][0])
    callers = [(path, row) for path, row in frames if _package(path) != raiser]
    path, row = callers[-1] if callers else frames[-1]
    if path == script or path.startswith(_FTLINT_DIR):
        return ""
    return f" (in {_shown(path)}:{row})"


def _package(path: str) -> str:
    return _shown(path).split(os.sep)[0]


def _shown(path: str) -> str:
    """``path`` relative to the import root that holds it (``numpy/__init__.py``)."""
    roots = [root for root in sys.path if root and path.startswith(root + os.sep)]
    return os.path.relpath(path, max(roots, key=len)) if roots else path


_FTLINT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _import_package(module: str | None) -> None:
    """``python -m pkg.train`` imports ``pkg`` first: relative imports need it."""
    if module and "." in module:
        importlib.import_module(module.rpartition(".")[0])


def run_program(
    code: Any,  # the compiled program
    entry: Entry,
    where: Callable[[int], str],
    overrides: Mapping[str, object],
    pins: Mapping[str, object],
    reading: int | None,
    on_meta: Any,  # the harness's meta mode
) -> Execution:
    """Run the program once: flags read by freeze conditions take ``overrides``, assignments to
    pinned names take ``pins``, and ``reading`` is the chain read left to right (or None)."""
    probes = Probes(overrides, reading, pins)
    main = types.ModuleType("__main__")
    namespace: dict[str, Any] = main.__dict__
    namespace.update(
        {"__file__": entry.path, "__builtins__": builtins, PROBES: probes, "__name__": "__main__"}
    )
    if entry.module:
        namespace["__package__"] = entry.module.rpartition(".")[0]
    session = Session(entry.path)
    skips = Skips(entry.path)
    namespace[SKIPS] = skips
    execution = Execution(probes, namespace, session, skips)
    saved = (list(sys.argv), list(sys.path), sys.modules.get("__main__"))
    sys.argv = [entry.path, *entry.args]
    sys.path.insert(0, os.getcwd() if entry.module else os.path.dirname(entry.path))
    sys.modules["__main__"] = main
    tb: types.TracebackType | None = None
    try:
        with Bound(session), on_meta, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _import_package(entry.module)
            exec(code, namespace)  # noqa: S102 - running the user's entry point is verify's job
    except TrainingStarts as stop:
        tb = stop.__traceback__
        frames = _script_frames(tb, entry.path)
        execution.stopped = stop.what
        execution.stop_row = frames[-1].f_lineno if frames else 0
    except SystemExit as exit:
        tb = exit.__traceback__
        if exit.code not in (None, 0):
            execution.exited = True
            execution.failure = (
                f"{_at(exit, entry.path, where)}: the script exited with status {exit.code}"
            )
    except MissingConfig as missing:
        tb = missing.__traceback__
        execution.missing_config = missing.name
        execution.failure = (
            f"{_at(missing, entry.path, where)}: {missing_config_text(missing.name)}"
        )
    except BaseException as error:  # noqa: BLE001 - any failure of the user's code is reported
        tb = error.__traceback__
        message = str(error).strip().splitlines()
        advice = remedy(error)
        execution.failure = (
            f"{_at(error, entry.path, where)}{_raised_in(error, entry.path)}:"
            f" {type(error).__name__}"
            + (f": {message[0]}" if message else "")
            + (f"; {advice}" if advice else "")
        )
    finally:
        sys.argv, sys.path[:] = saved[0], saved[1]
        if saved[2] is not None:
            sys.modules["__main__"] = saved[2]
    execution.names = _names(_script_frames(tb, entry.path), namespace)
    del tb  # its frames hold the script's locals: models dropped since are freed by refcount
    return execution


def missing_config_text(name: str) -> str:
    """Why a model whose configuration is not on this machine cannot be built, and the remedy."""
    return (
        f"{name!r} has no config.json on this machine, and verify builds Hugging Face models"
        f" from their configuration only: `hf download {name} config.json` puts it in the local"
        " cache, or rerun with --fetch-configs (configuration files only, never weights)"
    )


def _at(error: BaseException, script: str, where: Callable[[int], str]) -> str:
    """Where in the user's file ``error`` happened: the innermost frame there."""
    frames = _script_frames(error.__traceback__, script)
    return where(frames[-1].f_lineno) if frames else where(0)
