"""Check many files: discovery, reading, per-file rule selection, linting."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ftlint.config import Settings
from ftlint.diagnostics import INPUT_ERROR, Diagnostic, Location
from ftlint.discovery import discover
from ftlint.engine import lint_source
from ftlint.rules import ALL_RULES, DOCUMENTED
from ftlint.rules.base import Rule
from ftlint.sources import SourceError, SourceFile, read_source


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    # Sources that were read, by display path (the fixer rewrites them).
    sources: dict[str, SourceFile] = field(default_factory=dict)


def display_path(path: Path) -> str:
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return absolute if relative.startswith("..") else relative


def rules_for(path: Path, settings: Settings, enabled: set[str]) -> list[type[Rule]]:
    ignored = settings.ignored_for(path, DOCUMENTED)
    return [rule for rule in ALL_RULES if rule.code in enabled and rule.code not in ignored]


def check_file(path: Path, settings: Settings, enabled: set[str]) -> tuple[
    SourceFile | None, list[Diagnostic]
]:
    shown = display_path(path)
    try:
        source = read_source(path, shown)
    except SourceError as error:
        return None, [Diagnostic(INPUT_ERROR, str(error), shown, Location(1, 1), Location(1, 1))]
    return source, lint_source(source, rules_for(path, settings, enabled))


def check_paths(paths: Sequence[Path], settings: Settings, enabled: set[str]) -> CheckResult:
    result = CheckResult()
    for path in discover(paths, settings):
        source, diagnostics = check_file(path, settings, enabled)
        result.files += 1
        result.diagnostics.extend(diagnostics)
        if source is not None:
            result.sources[source.display_path] = source
    result.diagnostics.sort(key=lambda d: d.sort_key)
    return result
