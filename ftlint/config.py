"""Settings: ``[tool.ftlint]`` in the nearest ``pyproject.toml`` (or an explicit ``--config``),
then command-line flags on top, as ruff resolves them."""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from ftlint.selection import UnknownRuleError, resolve_codes


class ConfigError(Exception):
    """Invalid configuration; the message says where and why."""


_KEYS = {
    "select",
    "ignore",
    "extend-select",
    "exclude",
    "extend-exclude",
    "per-file-ignores",
    "max-file-size",
}
# Files larger than this are reported (FT901) and not analysed, dense code counting by its
# tokens (``ftlint.runner.BYTES_PER_TOKEN``): the goal is 1 GB of memory at most whatever the input.
DEFAULT_MAX_FILE_SIZE = 1024 * 1024
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024 * 1024, "mb": 1024 * 1024}


def parse_size(value: object) -> int:
    """A size in bytes from ``1048576``, ``"512k"``, ``"2MB"``; ValueError if it is none."""
    if isinstance(value, int) and not isinstance(value, bool):
        number, unit = value, ""
    else:
        match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", str(value))
        if match is None or match.group(2).lower() not in _SIZE_UNITS:
            raise ValueError(value)
        number, unit = int(match.group(1)), match.group(2).lower()
    if number <= 0:
        raise ValueError(value)
    return number * _SIZE_UNITS[unit]


def format_size(size: int) -> str:
    if size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size % 1024 == 0:
        return f"{size // 1024} KB"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB ({size} bytes)"
    return f"{size} bytes"


@dataclass
class Settings:
    root: Path  # relative paths in the config are relative to this directory
    select: list[str] | None = None  # None: the catalog's defaults for the command
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes; larger files get FT901
    source: Path | None = None  # the file the settings came from

    def enabled_codes(self, available: Iterable[str], defaults: Iterable[str]) -> set[str]:
        """The codes on for every file; raises UnknownRuleError for any code the settings name,
        ``per-file-ignores`` included (applied file by file, once the run is under way)."""
        codes = set(available)
        for pattern, ignored in self.per_file_ignores.items():
            try:
                resolve_codes(ignored, codes)
            except UnknownRuleError as error:
                raise UnknownRuleError(f"{self.source}: per-file-ignores `{pattern}`: {error}")
        selected = defaults if self.select is None else self.select
        enabled = resolve_codes(selected, codes) | resolve_codes(self.extend_select, codes)
        return enabled - resolve_codes(self.ignore, codes)

    def ignored_for(self, path: Path, available: Iterable[str]) -> set[str]:
        codes = set(available)
        ignored: set[str] = set()
        for pattern, patterns_codes in self.per_file_ignores.items():
            if matches_pattern(path, pattern, self.root):
                ignored |= resolve_codes(patterns_codes, codes)
        return ignored

    def is_excluded(self, path: Path) -> bool:
        return any(matches_pattern(path, pattern, self.root) for pattern in self.exclude)


def matches_pattern(path: Path, pattern: str, root: Path) -> bool:
    """Glob ``pattern`` against the path relative to ``root``, against any of its parent
    directories, and against its bare name (``tests/data``, ``*.ipynb``, ``legacy_*.py``)."""
    try:
        relative = PurePosixPath(Path(os.path.abspath(path)).relative_to(root).as_posix())
    except ValueError:
        relative = PurePosixPath(path.as_posix())
    pattern = pattern.rstrip("/")
    candidates = [str(relative), path.name, *(str(parent) for parent in relative.parents)]
    return any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates)


def find_pyproject(start: Path) -> Path | None:
    """Nearest ``pyproject.toml`` with a ``[tool.ftlint]`` table, from ``start`` upwards."""
    directory = Path(os.path.abspath(start))
    if not directory.is_dir():
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and "ftlint" in _load(pyproject).get("tool", {}):
            return pyproject
    return None


def _load(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            document: dict[str, Any] = tomllib.load(handle)
            return document
    except (OSError, ValueError) as error:  # TOMLDecodeError, and UnicodeDecodeError (not UTF-8)
        raise ConfigError(f"{path}: cannot read configuration: {error}") from error


def _string_list(path: Path, key: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: `{key}` must be a list of strings")
    return value


def load_settings(config: Path | None, paths: Sequence[Path]) -> Settings:
    """Settings from ``config`` or, when None, from the pyproject nearest the first path."""
    if config is None:
        config = find_pyproject(paths[0] if paths else Path.cwd())
        if config is None:
            return Settings(root=Path(os.getcwd()))
    data = _load(config)
    table = data.get("tool", {}).get("ftlint", {}) if config.name == "pyproject.toml" else data
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(f"{config}: unknown option(s) {', '.join(unknown)} in ftlint settings")
    settings = Settings(root=Path(os.path.abspath(config)).parent, source=config)
    for key in ("select", "ignore", "extend-select"):
        if key in table:
            setattr(settings, key.replace("-", "_"), _string_list(config, key, table[key]))
    settings.exclude = _string_list(config, "exclude", table.get("exclude", [])) + _string_list(
        config, "extend-exclude", table.get("extend-exclude", [])
    )
    if "max-file-size" in table:
        try:
            settings.max_file_size = parse_size(table["max-file-size"])
        except ValueError:
            raise ConfigError(
                f'{config}: `max-file-size` must be a size such as 1048576, "512KB" or "2MB"'
            ) from None
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{config}: `per-file-ignores` must be a table of pattern = [codes]")
    settings.per_file_ignores = {
        pattern: _string_list(config, f"per-file-ignores.{pattern}", codes)
        for pattern, codes in per_file.items()
    }
    return settings
