"""Which files a run lints: ``.py``, ``.pyi`` and ``.ipynb`` under the given paths, and the
YAML/JSON files that may be training configurations (``ftlint.configfiles.is_config_path``),
minus virtualenvs, caches, build output, gitignored paths and configured ``exclude`` patterns."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

from ftlint.config import Settings
from ftlint.configfiles import CONFIG_SUFFIXES, is_config_path

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


def _real(path: str) -> str:
    # os.path.realpath, unlike Path.resolve on 3.11, does not raise on a symlink loop.
    return os.path.realpath(path)


def _is_virtualenv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").is_file()


def _gitignored(paths: Sequence[Path]) -> set[str]:
    """Real paths git ignores under ``paths`` (directories collapsed), when inside a work tree;
    nothing when git is absent or the paths are not in a repository."""
    ignored: set[str] = set()
    for directory in {_real(str(p if p.is_dir() else p.parent)) for p in paths}:
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
                ignored.add(_real(os.path.join(directory, entry.rstrip("/"))))
    return ignored


def _is_ignored(ignored: set[str], directory: str, real_directory: str, name: str) -> bool:
    if not ignored:
        return False
    entry = os.path.join(directory, name)
    real = _real(entry) if os.path.islink(entry) else os.path.join(real_directory, name)
    return real in ignored


def discover(paths: Sequence[Path], settings: Settings, *, configs: bool = True) -> Iterator[Path]:
    """Files to lint, each once, in a stable order. Paths named explicitly are linted whatever
    their suffix, unless excluded by configuration or a YAML/JSON file that configures a tool
    (a CI workflow, docker-compose, pre-commit: pre-commit passes every YAML file it has).
    Without ``configs``, directories yield no YAML/JSON file."""
    ignored = _gitignored(paths)
    seen: set[str] = set()

    def fresh(path: Path) -> bool:
        key = os.path.abspath(path)
        if key in seen or settings.is_excluded(path):
            return False
        seen.add(key)
        return True

    for root in paths:
        if not root.is_dir():
            if root.suffix.lower() in CONFIG_SUFFIXES and not is_config_path(root):
                continue
            if fresh(root):
                yield root
            continue
        for directory, dirnames, filenames in os.walk(root):
            current = Path(directory)
            # Real paths cost a syscall per path component: resolve them only when git ignores
            # something, and then once per directory (plus entries that are links themselves).
            real_directory = _real(directory) if ignored else ""
            is_ignored = partial(_is_ignored, ignored, directory, real_directory)
            dirnames[:] = sorted(
                name
                for name in dirnames
                if name not in SKIPPED_DIRECTORIES
                and not name.endswith(".egg-info")
                and not _is_virtualenv(current / name)
                and not is_ignored(name)
                and not settings.is_excluded(current / name)
            )
            for name in sorted(filenames):
                suffix = os.path.splitext(name)[1]
                if suffix in SUFFIXES and not is_ignored(name):
                    path = current / name
                elif configs and suffix.lower() in CONFIG_SUFFIXES and not is_ignored(name):
                    path = current / name
                    if not is_config_path(path):
                        continue
                else:
                    continue
                if fresh(path):
                    yield path
