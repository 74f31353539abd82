"""Fix files on disk: re-read each file that has an applicable fix, run the fix loop, and write the
result back as the file was (encoding, BOM, line breaks, mode; a notebook's JSON layout), or
show it as a diff. A file that changed since it was read is left alone."""

from __future__ import annotations

import codecs
import difflib
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ftlint.config import Settings
from ftlint.engine import lint_source
from ftlint.fixer import applicable, fix_source
from ftlint.reporting import diagnostic_location
from ftlint.runner import CheckResult, rules_for
from ftlint.sources import SourceError, SourceFile, read_source


class NotWritten(Exception):
    """The fixed file was not written; the message says why."""


def _notebook_bytes(original: SourceFile, fixed: SourceFile) -> bytes:
    """The notebook with the fixed cells' sources; every other byte as Jupyter wrote it (same
    indentation, key order, trailing newline), so only the changed source lines differ."""
    assert original.notebook is not None and original.cells and fixed.cells
    old_lines, new_lines = original.text.splitlines(), fixed.text.splitlines()
    cells = list(original.notebook["cells"])
    for old, new in zip(original.cells, fixed.cells):
        lines = new_lines[new.first_row - 1 : new.first_row - 1 + new.row_count]
        if lines == old_lines[old.first_row - 1 : old.first_row - 1 + old.row_count]:
            continue
        lines = [new.masked.get(row, line) for row, line in enumerate(lines, 1)]
        cell = cells[new.index]
        ends_with_newline = "".join(cell["source"]).endswith("\n")  # `source`: a str or lines
        source = "\n".join(lines) + ("\n" if ends_with_newline and lines else "")
        lines_kept = isinstance(cell["source"], list)
        cells[new.index] = {**cell, "source": source.splitlines(True) if lines_kept else source}
    document = original.raw.decode("utf-8-sig")
    indent = re.match(r"\{\r?\n([ \t]+)\S", document)
    text = json.dumps(
        {**original.notebook, "cells": cells},
        indent=indent.group(1) if indent else None,
        ensure_ascii=False,
    )
    bom = codecs.BOM_UTF8 if original.raw.startswith(codecs.BOM_UTF8) else b""
    return bom + (text + "\n" if document.endswith("\n") else text).encode("utf-8")


def render(original: SourceFile, fixed: SourceFile) -> bytes:
    """The bytes to write for ``fixed``, a fixed version of ``original``."""
    if original.notebook is not None:
        return _notebook_bytes(original, fixed)
    try:
        # `utf-8-sig` writes the BOM back; line breaks were kept in the text.
        return fixed.text.encode(original.encoding)
    except UnicodeEncodeError as error:
        raise NotWritten(f"the fix needs characters {original.encoding} cannot encode") from error


def write_back(original: SourceFile, content: bytes) -> None:
    """Replace the file atomically with ``content``, keeping its mode; raises NotWritten if the
    file changed on disk since ``original`` was read, or cannot be written."""
    target = Path(os.path.realpath(original.path))  # replace a symlink's target, not the link
    try:
        if target.read_bytes() != original.raw:
            raise NotWritten("changed on disk since it was read")
        mode = stat.S_IMODE(target.stat().st_mode)
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    except OSError as error:
        raise NotWritten(f"cannot write: {error.strerror or error}") from error
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as error:
        os.unlink(temporary)
        raise NotWritten(f"cannot write: {error.strerror or error}") from error


def unified_diff(original: SourceFile, content: bytes) -> str:
    old = original.raw.decode(original.encoding).splitlines(True)
    new = content.decode(original.encoding).splitlines(True)
    lines = difflib.unified_diff(old, new, original.display_path, original.display_path)
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


@dataclass
class FixReport:
    result: CheckResult  # findings left after fixing, and the sources they refer to
    fixed: int = 0
    diffs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def fix_files(
    result: CheckResult, settings: Settings, enabled: set[str], *, unsafe: bool, diff: bool
) -> FixReport:
    """Fix (or, with ``diff``, show the fixes of) every file in ``result`` with an applicable fix.

    Each such file is re-read and re-linted here, in this process, whatever linted it before."""
    report = FixReport(CheckResult(files=result.files, sources=dict(result.sources)))
    to_fix = {d.filename for d in result.diagnostics if applicable(d.fix, unsafe)}
    kept = [d for d in result.diagnostics if d.filename not in to_fix]
    for filename in sorted(to_fix):
        path = Path(filename)
        rules = rules_for(path, settings, enabled)
        try:
            original = read_source(path, filename)
            outcome = fix_source(original, partial(lint_source, rules=rules), unsafe=unsafe)
            report.warnings.extend(
                f"{diagnostic_location(r.diagnostic)}: {r.diagnostic.code} fix not applied: {r.reason}"
                for r in outcome.rejected
            )
            if outcome.source.text != original.text:
                content = render(original, outcome.source)
                if diff:
                    report.diffs.append(unified_diff(original, content))
                else:
                    write_back(original, content)
        except (SourceError, NotWritten) as error:
            report.warnings.append(f"{filename}: {error}; not fixed")
            kept.extend(d for d in result.diagnostics if d.filename == filename)
            continue
        report.fixed += outcome.fixed
        report.result.sources[filename] = outcome.source
        kept.extend(outcome.remaining)
    report.result.diagnostics = sorted(kept, key=lambda d: d.sort_key)
    return report
