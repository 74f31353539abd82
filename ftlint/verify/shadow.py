"""Writes outside verify's private directory land in a shadow of their path inside it.

Training scripts write as they start: ``os.makedirs(args.output_dir)``, a copy of their
configuration, a log file. The operating system forbids those writes in verify's child
(:mod:`ftlint.verify.containment`); failing the script on them would hide its models. So
Python-level writes (``open`` for writing, ``os.open``, ``os.mkdir``/``os.makedirs`` and what
builds on them: ``pathlib``, ``torch.save``, loggers) are redirected to
``<private dir>/shadow/<absolute path>``, and a later read of such a path, or ``os.chdir`` into
it, reads the shadow. Nothing outside the private directory changes; the shadow is deleted with
it.
"""

from __future__ import annotations

import builtins
import io
import os
from collections.abc import Callable
from typing import Any

_WRITE_MODES = frozenset("wax+")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# Writable in the child besides the private directory (ftlint.verify.containment grants them).
_WRITABLE = ("/dev/null", "/dev/shm")


class Shadow:
    def __init__(self, private: str) -> None:
        self.private = os.path.realpath(private)
        self.root = os.path.join(self.private, "shadow")

    def _outside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return not any(
            real == root or real.startswith(root + os.sep) for root in (self.private, *_WRITABLE)
        )

    def of(self, path: Any) -> str:
        """The shadow of ``path``."""
        return os.path.join(self.root, os.path.abspath(os.fsdecode(path)).lstrip(os.sep))

    def for_write(self, path: Any) -> Any:
        path = _path(path)
        if not isinstance(path, (str, bytes)) or not self._outside(os.fsdecode(path)):
            return path
        shadow = self.of(path)
        os.makedirs(os.path.dirname(shadow), exist_ok=True)
        return shadow

    def for_read(self, path: Any) -> Any:
        path = _path(path)
        if not isinstance(path, (str, bytes)):
            return path
        shadow = self.of(path)
        return shadow if os.path.lexists(shadow) else path

    def install(self) -> None:
        original_open = builtins.open
        original_mkdir = os.mkdir
        original_makedirs = os.makedirs
        original_chdir = os.chdir
        original_os_open = os.open

        def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            writes = bool(_WRITE_MODES & set(mode))
            path = self.for_write(file) if writes else self.for_read(file)
            return original_open(path, mode, *args, **kwargs)

        def mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
            target = self.for_write(path)
            if target != path and os.path.isdir(target):
                return  # made before, in the shadow: `pathlib`'s exist_ok test only sees the real path
            original_mkdir(target, *args, **kwargs)

        def makedirs(name: Any, mode: int = 0o777, exist_ok: bool = False) -> None:
            if os.path.isdir(name):  # the real one exists: nothing to make
                if not exist_ok:
                    raise FileExistsError(17, "File exists", name)
                return
            original_makedirs(self.for_write(name), mode, exist_ok)

        def os_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
            # `pathlib.Path.touch`: torch.hub marks the repositories it loads trusted with it.
            if dir_fd is None:
                path = self.for_write(path) if flags & _WRITE_FLAGS else self.for_read(path)
            return original_os_open(path, flags, mode, dir_fd=dir_fd)

        def chdir(path: Any) -> None:
            # Into a directory the script made (hydra's run directory): its shadow.
            original_chdir(path if isinstance(path, int) else self.for_read(path))

        builtins.open = io.open = open_
        os.chdir = chdir
        os.open = os_open
        os.mkdir = mkdir
        os.makedirs = makedirs
        self._exists_patch(os.path, "exists")
        self._exists_patch(os.path, "isdir")
        self._exists_patch(os.path, "isfile")

    def _exists_patch(self, owner: Any, name: str) -> None:
        original: Callable[[Any], bool] = getattr(owner, name)

        def check(path: Any) -> bool:
            path = _path(path)
            if original(path):
                return True
            return isinstance(path, (str, bytes)) and original(self.of(path))

        setattr(owner, name, check)


def _path(path: Any) -> Any:
    """A path-like as its path: one that is also an integer (a stand-in, whose ``__index__``
    gives a size) would be taken for a file descriptor."""
    return os.fspath(path) if isinstance(path, os.PathLike) else path
