"""Which files a run lints: ``.py``, ``.pyi`` and ``.ipynb`` under the given paths, minus
virtualenvs, caches, build output, gitignored paths and configured ``exclude`` patterns."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from ftlint.config import Settings

SUFFIXES = frozenset({".py", ".pyi", ".ipynb"})
SKIPPED_DIRECTORIES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".ftlint_cache",
        ".ipynb_checkpoints",
        "node_modules",
        "site-packages",
        "build",
        "dist",
    }
)


def _real(path: Path) -> Path:
    # os.path.realpath, unlike Path.resolve on 3.11, does not raise on a symlink loop.
    return Path(os.path.realpath(path))


def _is_virtualenv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").is_file()


def _gitignored(paths: Sequence[Path]) -> set[Path]:
    """Absolute paths git ignores under ``paths`` (directories collapsed), when inside a
    work tree; nothing when git is absent or the paths are not in a repository."""
    ignored: set[Path] = set()
    for directory in {_real(p if p.is_dir() else p.parent) for p in paths}:
        try:
            result = subprocess.run(
                ["git", "ls-files", "--others", "--ignored", "--exclude-standard",
                 "--directory", "-z", "--", "."],
                cwd=directory, capture_output=True, timeout=30, check=False,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            continue
        if result.returncode != 0:
            continue
        for entry in result.stdout.decode("utf-8", "surrogateescape").split("\0"):
            if entry:
                ignored.add(_real(directory / entry.rstrip("/")))
    return ignored


def discover(paths: Sequence[Path], settings: Settings) -> Iterator[Path]:
    """Files to lint, each once, in a stable order. Paths named explicitly are linted whatever
    their suffix, unless excluded by configuration."""
    ignored = _gitignored(paths)
    seen: set[Path] = set()

    def fresh(path: Path) -> bool:
        key = Path(os.path.abspath(path))
        if key in seen or settings.is_excluded(path):
            return False
        seen.add(key)
        return True

    for root in paths:
        if not root.is_dir():
            if fresh(root):
                yield root
            continue
        for directory, dirnames, filenames in os.walk(root):
            current = Path(directory)
            dirnames[:] = sorted(
                name
                for name in dirnames
                if name not in SKIPPED_DIRECTORIES
                and not name.endswith(".egg-info")
                and not _is_virtualenv(current / name)
                and _real(current / name) not in ignored
                and not settings.is_excluded(current / name)
            )
            for name in sorted(filenames):
                path = current / name
                if (
                    path.suffix in SUFFIXES
                    and _real(path) not in ignored
                    and fresh(path)
                ):
                    yield path
