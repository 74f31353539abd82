"""What earlier runs computed, kept on disk: each file's diagnostics, keyed by its bytes and the
rules in effect, and the index of the catalog that lets ``check`` skip importing the rules.

Everything lives under a directory named after the ftlint build (its version and the size and
modification time of each of its modules, so that editing a rule in a development install
invalidates too). Entries are written to a temporary file and renamed into place, so concurrent
runs never see a partial entry; any unreadable entry is a miss. The cache is an optimisation:
an error reading or writing it never fails a run.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ftlint import __version__
from ftlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location
from ftlint.triage import RuleTriage

ENVIRONMENT_VARIABLE = "FTLINT_CACHE_DIR"
PROJECT_DIRECTORY = ".ftlint_cache"
_FORMAT = 4  # bump when the layout of entries changes


@lru_cache(maxsize=1)
def build_id() -> str:
    """Identifies this ftlint (and the libcst it parses with): results of another never apply."""
    digest = hashlib.sha256(f"{_FORMAT}:{__version__}:{sys.version_info[:2]}".encode())
    package = Path(__file__).parent
    modules = sorted(
        os.path.join(directory, name)
        for directory, _, names in os.walk(package)
        for name in names
        if name.endswith(".py")
    )
    libcst = importlib.util.find_spec("libcst")
    if libcst is not None and libcst.origin is not None:
        modules.append(libcst.origin)
    for module in modules:
        status = os.stat(module)
        digest.update(f"{module}:{status.st_size}:{status.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class CatalogIndex:
    """What ``check`` needs to know of :mod:`ftlint.catalog` before importing it (which imports
    libcst, 0.2-0.4 s): the codes users can select, those on by default for each command, and
    each static rule's triage."""

    codes: tuple[str, ...]
    check_defaults: tuple[str, ...]
    verify_defaults: tuple[str, ...]
    rules: tuple[RuleTriage, ...]

    @classmethod
    def from_catalog(cls) -> CatalogIndex:
        from ftlint.catalog import CONFIG_RULES, RULES, SELECTABLE, defaults
        from ftlint.check import Command

        return cls(
            SELECTABLE,
            defaults(Command.CHECK),
            defaults(Command.VERIFY),
            tuple(RuleTriage.of(rule) for rule in RULES)
            + tuple(RuleTriage.of_config(rule) for rule in CONFIG_RULES),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CatalogIndex:
        return cls(
            tuple(data["codes"]),
            tuple(data["check_defaults"]),
            tuple(data["verify_defaults"]),
            tuple(RuleTriage.from_json(r) for r in data["rules"]),
        )


def _user_directory() -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "ftlint"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ftlint"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ftlint"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def _write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` through a rename, creating the cache directory (with the
    ``.gitignore`` that keeps it out of version control, as ruff does) if needed."""
    import tempfile  # only runs that store something need it

    try:
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
            root = path.parent.parent
            if not (root / ".gitignore").exists():
                _write_atomically(root / ".gitignore", b"*\n")
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _index_digest(index: Any) -> str:
    """The seal a stored index carries: a hash of this build and of the index's content. An index
    edited, truncated or copied from another build does not match it and is rebuilt: a wrong one
    would silently switch checks off."""
    content = json.dumps(index, sort_keys=True)
    return hashlib.sha256(f"{build_id()}:{content}".encode()).hexdigest()


def catalog_index() -> CatalogIndex:
    """The catalog's codes and triage, from the user cache when this build stored it there and it
    is intact, else from the catalog (importing the rules), stored for next time."""
    override = os.environ.get(ENVIRONMENT_VARIABLE)
    path = Path(override) if override else _user_directory()
    path = path / build_id() / "rules.json"
    stored = _read_json(path)
    if isinstance(stored, dict) and stored.get("digest") == _index_digest(stored.get("index")):
        try:
            return CatalogIndex.from_json(stored["index"])
        except (KeyError, TypeError):
            pass
    catalog = CatalogIndex.from_catalog()
    index = catalog.to_json()
    content = {"digest": _index_digest(index), "index": index}
    _write_atomically(path, json.dumps(content).encode())
    return catalog


def _edit_from_json(data: dict[str, Any]) -> Edit:
    return Edit(**{**data, "location": Location(**data["location"]),
                   "end_location": Location(**data["end_location"])})  # fmt: skip


def _diagnostic_from_json(data: dict[str, Any], filename: str) -> Diagnostic:
    """A diagnostic stored by ``ResultCache.store`` (``dataclasses.asdict``), at ``filename``."""
    fix = data["fix"]
    return Diagnostic(**{
        **data,
        "filename": filename,
        "location": Location(**data["location"]),
        "end_location": Location(**data["end_location"]),
        "fix": None if fix is None else Fix(
            Applicability(fix["applicability"]),
            fix["message"],
            tuple(map(_edit_from_json, fix["edits"])),
        ),
    })  # fmt: skip


class ResultCache:
    """Each file's diagnostics, by the file's bytes, its kind and the rule codes in effect."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / build_id()

    @classmethod
    def for_project(cls, root: Path) -> ResultCache:
        """``$FTLINT_CACHE_DIR``, else ``.ftlint_cache`` in ``root`` (where the configuration
        lives, or the current directory)."""
        override = os.environ.get(ENVIRONMENT_VARIABLE)
        return cls(Path(override) if override else root / PROJECT_DIRECTORY)

    @staticmethod
    def key(raw: bytes, suffix: str, codes: Iterable[str]) -> str:
        digest = hashlib.sha256(f"{suffix}:{','.join(sorted(codes))}:".encode())
        digest.update(raw)
        return digest.hexdigest()

    def load(self, key: str, filename: str) -> list[Diagnostic] | None:
        """The diagnostics stored under ``key``, reported at ``filename``; None on a miss."""
        data = _read_json(self.directory / key)
        if not isinstance(data, list):
            return None
        try:
            return [_diagnostic_from_json(entry, filename) for entry in data]
        except (KeyError, TypeError, ValueError):
            return None

    def store(self, key: str, diagnostics: list[Diagnostic]) -> None:
        content = json.dumps([asdict(diagnostic) for diagnostic in diagnostics])
        _write_atomically(self.directory / key, content.encode())
