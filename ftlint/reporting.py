"""Render findings: ruff-style text, ruff-shaped JSON, GitHub annotations, SARIF 2.1.0."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ftlint import __version__
from ftlint.check import Command
from ftlint.diagnostics import Applicability, Diagnostic, Fix, Location
from ftlint.fixer import applicable
from ftlint.input_checks import INPUT_CHECKS
from ftlint.sources import SourceFile

if TYPE_CHECKING:
    from ftlint.check import Check, CheckDocs

DOCS_URL = "https://github.com/ftlint/ftlint/blob/main/docs/rules.md"
FORMATS = ("text", "json", "github", "sarif")


def _catalog() -> Mapping[str, type[Check]]:
    # The rules import libcst (0.2-0.4 s): `check` imports them only to render a finding.
    from ftlint.catalog import CATALOG

    return CATALOG


@cache
def _documented() -> frozenset[str]:
    """The codes of the catalog, known without importing it (a finding of JSON, SARIF or GitHub
    output needs its URL, not libcst)."""
    from ftlint.cache import catalog_index

    return frozenset(catalog_index().codes) | {check.code for check in INPUT_CHECKS}


def rule_url(code: str) -> str | None:
    return f"{DOCS_URL}#{code.lower()}" if code in _documented() else None


def rule_name(code: str) -> str:
    rule = _catalog().get(code)
    return rule.name if rule is not None else code


def diagnostic_location(diagnostic: Diagnostic) -> str:
    cell = f"cell {diagnostic.cell}:" if diagnostic.cell is not None else ""
    return f"{diagnostic.filename}:{cell}{diagnostic.location.row}:{diagnostic.location.column}"


def _is_safe(fix: Fix | None) -> bool:
    return fix is not None and fix.applicability is Applicability.SAFE


def source_frame(diagnostic: Diagnostic, source: SourceFile | None, style: Callable[..., str]) -> list[str]:
    """Source lines around the finding with a caret underline, as ruff prints them."""
    if source is None or not 0 < diagnostic.noqa_row <= len(source.lines()):
        return []
    shown = source.context(diagnostic.noqa_row)
    width = len(str(shown[-1][0]))
    gutter = style(" " * width + " |", fg="blue", bold=True)
    out = [gutter]
    for number, text in shown:
        out.append(style(f"{number:>{width}} |", fg="blue", bold=True) + f" {text}".rstrip())
        if number == diagnostic.location.row:
            start = diagnostic.location.column - 1
            same_line = diagnostic.end_location.row == diagnostic.location.row
            end = diagnostic.end_location.column - 1 if same_line else len(text.rstrip())
            carets = "^" * max(end - start, 1)
            out.append(
                gutter + " " * (start + 1) + style(f"{carets} {diagnostic.code}", fg="red", bold=True)
            )
    out.append(gutter)
    if diagnostic.fix is not None and diagnostic.fix.message:
        out.append(" " * width + style(" = help: ", fg="cyan", bold=True) + diagnostic.fix.message)
    return out


def render_text(
    diagnostics: Sequence[Diagnostic],
    sources: dict[str, SourceFile],
    *,
    color: bool,
    show_frames: bool = True,
) -> str:
    def style(text: str, *, fg: str | None = None, bold: bool | None = None) -> str:
        return click.style(text, fg=fg, bold=bold) if color else text

    out: list[str] = []
    for diagnostic in diagnostics:
        marker = " [*]" if _is_safe(diagnostic.fix) else ""
        out.append(
            f"{style(diagnostic_location(diagnostic), bold=True)}: "
            f"{style(diagnostic.code, fg='red', bold=True)}{marker} {diagnostic.message}"
        )
        if show_frames:
            out.extend(source_frame(diagnostic, sources.get(diagnostic.filename), style))
            out.append("")
    return "\n".join(out)


def _plural(count: int, noun: str, suffix: str = "s") -> str:
    return f"{count} {noun}{suffix if count != 1 else ''}"


def _unsafe_hint(diagnostics: Sequence[Diagnostic], unsafe_fixes: bool) -> str:
    """How many more fixes `--unsafe-fixes` would apply, as ruff says it; "" when none."""
    hidden = sum(d.fix is not None and not applicable(d.fix, unsafe_fixes) for d in diagnostics)
    if not hidden:
        return ""
    return f" ({_plural(hidden, 'hidden fix', 'es')} can be enabled with the `--unsafe-fixes` option)"


def summary(diagnostics: Sequence[Diagnostic], *, fixed: int = 0, unsafe_fixes: bool = False) -> str:
    """ruff's closing lines: how many findings, fixed and remaining, and what more could be fixed."""
    count = len(diagnostics)
    if fixed:
        lines = [f"Found {_plural(count + fixed, 'error')} ({fixed} fixed, {count} remaining)."]
    elif count:
        lines = [f"Found {_plural(count, 'error')}."]
    else:
        return "All checks passed!"
    fixable = sum(applicable(d.fix, unsafe_fixes) for d in diagnostics)
    hint = _unsafe_hint(diagnostics, unsafe_fixes)
    if fixable:
        lines.append(f"[*] {fixable} fixable with the `--fix` option{hint}.")
    elif hint:
        lines.append(f"No fixes available{hint}.")
    return "\n".join(lines)


def diff_summary(diagnostics: Sequence[Diagnostic], *, fixed: int, unsafe_fixes: bool) -> str:
    """ruff's line after `--diff`; ``diagnostics`` are those the fixes would leave."""
    hint = _unsafe_hint(diagnostics, unsafe_fixes)
    return f"Would fix {_plural(fixed, 'error')}{hint}." if fixed else f"No errors would be fixed{hint}."


def render_statistics(diagnostics: Sequence[Diagnostic]) -> str:
    counts = Counter(d.code for d in diagnostics)
    fixable = {d.code for d in diagnostics if _is_safe(d.fix)}
    width = len(str(max(counts.values(), default=0)))
    return "\n".join(
        f"{count:>{width}}\t{code}\t{'[*]' if code in fixable else '[ ]'} {rule_name(code)}"
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )


_FIX_NOTE = {
    None: "No fix.",
    Applicability.SAFE: "Fix: safe (`--fix`).",
    Applicability.UNSAFE: "Fix: unsafe (`--unsafe-fixes`).",
}
_FOUND_BY = {
    Command.CHECK: "Found by `ftlint check` (and `ftlint verify`, which lints first).",
    Command.VERIFY: "Found by `ftlint verify`.",
    Command.ANY: "Reported by every command; it cannot be deselected or suppressed.",
}


def render_rule_markdown(docs: CheckDocs) -> str:
    """One rule's documentation, as `ftlint rule CODE` prints it."""
    return (
        f"# {docs.name} ({docs.code})\n\n{docs.summary}. {_FIX_NOTE[docs.fix]}"
        f" {_FOUND_BY[docs.command]}\n\n"
        f"{docs.body.replace('## ', '### ')}\n"
    )


def render_rules_markdown() -> str:
    """Every rule's documentation: the content of docs/rules.md."""
    header = (
        "<!-- Generated by `ftlint rules --output-format markdown`; do not edit by hand. -->\n\n"
    )
    return header + "\n".join(
        render_rule_markdown(entry.docs()).replace(
            f"# {entry.name} ({entry.code})", f'<a id="{entry.code.lower()}"></a>\n\n## {entry.code} {entry.name}', 1
        )
        for entry in _catalog().values()
    )


def _location_json(location: Location) -> dict[str, int]:
    return {"row": location.row, "column": location.column}


def diagnostic_json(diagnostic: Diagnostic) -> dict[str, object]:
    fix = diagnostic.fix
    return {
        "cell": diagnostic.cell,
        "code": diagnostic.code,
        "end_location": _location_json(diagnostic.end_location),
        "filename": os.path.abspath(diagnostic.filename),
        "fix": None
        if fix is None
        else {
            "applicability": fix.applicability.value,
            "edits": [
                {
                    "content": edit.content,
                    "end_location": _location_json(edit.end_location),
                    "location": _location_json(edit.location),
                }
                for edit in fix.edits
            ],
            "message": fix.message or None,
        },
        "location": _location_json(diagnostic.location),
        "message": diagnostic.message,
        "noqa_row": diagnostic.location.row,
        "url": rule_url(diagnostic.code),
    }


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps([diagnostic_json(d) for d in diagnostics], indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(title: str, filename: str, message: str, **position: int) -> str:
    """A GitHub Actions ``::error`` workflow command; ``position``: line, col, endLine, endColumn."""
    properties = ",".join(
        [
            f"title={_escape_property(title)}",
            f"file={_escape_property(filename)}",
            *(f"{name}={value}" for name, value in position.items()),
        ]
    )
    return f"::error {properties}::{_escape_data(message)}"


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    return "\n".join(
        github_annotation(
            f"ftlint ({d.code})",
            d.filename,
            f"{diagnostic_location(d)}: {d.code} {d.message}",
            line=d.location.row,
            col=d.location.column,
            endLine=d.end_location.row,
            endColumn=d.end_location.column,
        )
        for d in diagnostics
    )


def render_sarif(diagnostics: Sequence[Diagnostic]) -> str:
    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.docs().body},
            "help": {"text": rule.docs().body, "markdown": rule.docs().body},
            "helpUri": rule_url(rule.code),
            "properties": {"fix": rule.fix.value if rule.fix else None},
        }
        for rule in _catalog().values()
    ]
    index = {code: i for i, code in enumerate(_catalog())}
    results = []
    for d in diagnostics:
        result: dict[str, object] = {
            "ruleId": d.code,
            "level": "error",
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": Path(os.path.relpath(os.path.abspath(d.filename))).as_posix(),
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {
                            "startLine": d.location.row,
                            "startColumn": d.location.column,
                            "endLine": d.end_location.row,
                            "endColumn": d.end_location.column,
                        },
                    }
                }
            ],
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        if d.cell is not None:
            result["properties"] = {"cell": d.cell}
        results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ftlint",
                        "version": __version__,
                        "informationUri": DOCS_URL,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}},
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2)
