"""Launchers that start several training processes run the training function once, in verify's
child: every process would build the same model and freeze the same parameters, and a
distributed launch needs a network verify does not have (accelerate's ``notebook_launcher``
binds a port)."""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

from ftlint.verify.stand_ins import Recorder


def accelerate_patch(session: Callable[[], Recorder]) -> Callable[[types.ModuleType], None]:
    """The patch of ``accelerate.launchers``; ``session()`` is the run's."""

    def in_this_process(launcher: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(launcher)
        def launch(
            function: Callable[..., Any], args: tuple[Any, ...] = (), *_: Any, **__: Any
        ) -> Any:
            name = getattr(function, "__name__", repr(function))
            session().note(
                f"{launcher.__name__}({name}) ran {name} once, in this process (every process"
                " it would start trains the same parameters)"
            )
            return function(*args)

        return launch

    def patch(module: types.ModuleType) -> None:
        for name in ("notebook_launcher", "debug_launcher"):
            setattr(module, name, in_this_process(getattr(module, name)))

    return patch
