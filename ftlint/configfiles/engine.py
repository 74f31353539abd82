"""Lint one YAML/JSON configuration: parse it, run the admitted configuration rules, apply
``# noqa`` comments (YAML's own comments; JSON has none). Imports PyYAML on parsing only."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from ftlint.configfiles.document import ConfigSyntaxError, Document, parse
from ftlint.configfiles.rule import ConfigFile, ConfigFinding, ConfigRule
from ftlint.diagnostics import Diagnostic
from ftlint.input_checks import UnreadableFile, internal_error
from ftlint.sources import SourceFile
from ftlint.suppression import is_suppressed

# A YAML comment starts at a `#` that begins the line or follows whitespace.
_COMMENT = re.compile(r"(?:^|\s)(#.*)")


def _is_tool_config(document: Document) -> bool:
    """A Kubernetes manifest, a CI workflow or a compose file, known by its top-level keys when
    its name did not tell (``ftlint.configfiles.is_config_path``)."""
    for root in document.roots:
        keys = set(root.entries or ())
        if {"apiVersion", "kind"} <= keys or ("jobs" in keys and keys & {"on", "steps"}):
            return True
        if "services" in keys and not keys & {"model", "trainer", "data"}:
            return True
    return False


def _comment(source: SourceFile, finding: ConfigFinding) -> str:
    """The comment on the finding's line after what it judged: ``# noqa`` inside a quoted value
    is no comment."""
    row = finding.node.start.row
    lines = source.lines()
    if row > len(lines):
        return ""
    line = lines[row - 1]
    end = finding.end.end
    tail = line[end.column - 1 :] if end.row == row else line
    match = _COMMENT.search(tail)
    return match.group(1) if match else ""


def lint_config(
    source: SourceFile, rules: Sequence[type[ConfigRule]], selected: Collection[str] | None = None
) -> list[Diagnostic]:
    """The findings of ``rules`` (those ``selected``, by default all) in ``source``, ``# noqa``
    applied, in file order. A file that is not valid YAML/JSON is FT901, as unreadable: none of
    its settings could be read, so the answer is not trustworthy (exit code 2)."""
    if not rules:
        return []
    is_json = source.path.suffix.lower() == ".json"
    try:
        document = parse(source.text, is_json=is_json)
    except ConfigSyntaxError as error:
        return [
            Diagnostic(
                UnreadableFile.code,
                f"cannot parse: {error.message}; no rule ran on this file",
                source.display_path,
                error.location,
                error.location,
                noqa_row=error.location.row,
            )
        ]
    if _is_tool_config(document):
        return []
    config = ConfigFile(source, document)
    shown = {rule.code for rule in rules} if selected is None else set(selected)
    diagnostics: list[Diagnostic] = []
    for rule in rules:
        try:
            findings = list(rule.find(config))
        except Exception as error:  # noqa: BLE001 - a rule bug must not end the run
            diagnostics.append(internal_error(source, f"rule {rule.code}", error))
            continue
        for finding in findings:
            if finding.code not in shown:
                continue
            if not is_json and is_suppressed(finding.code, _comment(source, finding)):
                continue
            diagnostics.append(
                Diagnostic(
                    finding.code,
                    finding.message,
                    source.display_path,
                    finding.node.start,
                    finding.end.end,
                    noqa_row=finding.node.start.row,
                )
            )
    return sorted(diagnostics, key=lambda d: d.sort_key)
