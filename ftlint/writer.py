"""Fix files on disk: re-read each file that has an applicable fix, run the fix loop, and write the
result back as the file was (encoding, BOM, line breaks, mode; in a notebook, every byte outside
the fixed cells' sources), or show it as a diff. A file that changed since it was read is left
alone."""

from __future__ import annotations

import codecs
import difflib
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ftlint.config import Settings
from ftlint.engine import lint_source
from ftlint.fixer import applicable, dominant_newline, fix_source
from ftlint.input_checks import REPORT, InternalError
from ftlint.reporting import diagnostic_location
from ftlint.runner import CheckResult, about_file, rules_for
from ftlint.sources import SourceError, SourceFile, python_lines, read_source, wide_bom


class NotWritten(Exception):
    """The fixed file was not written; the message says why."""


_DECODER = json.JSONDecoder()
# Jupyter writes non-ASCII characters as they are; some tools escape them (`\u00e9`).
_ESCAPE = re.compile(r"(?<!\\)\\u[0-9a-fA-F]{4}")


def _skip_space(document: str, position: int) -> int:
    while position < len(document) and document[position] in " \t\n\r":
        position += 1
    return position


def _values(document: str, start: int) -> Iterator[tuple[object, int, int]]:
    """(key, start, end) of each value of the JSON object at ``start`` in ``document``, or
    (index, start, end) of each item of the array there."""
    is_object = document[start] == "{"
    position = _skip_space(document, start + 1)
    index = 0
    while document[position] not in "]}":
        key: object = index
        if is_object:
            key, position = _DECODER.raw_decode(document, position)
            position = _skip_space(document, _skip_space(document, position) + 1)  # past ":"
        _, end = _DECODER.raw_decode(document, position)
        yield key, position, end
        position = _skip_space(document, end)
        if document[position] == ",":
            position = _skip_space(document, position + 1)
        index += 1


def _value(document: str, start: int, key: object) -> tuple[int, int]:
    """Where the value of ``key`` is in the JSON object or array at ``start`` (the last one, as
    ``json.loads`` keeps the last of repeated keys)."""
    return [(first, end) for name, first, end in _values(document, start) if name == key][-1]


def _source_json(old: str, source: str | list[str], ascii_only: bool) -> str:
    """``source`` in JSON laid out as ``old``, the JSON of the source it replaces: a list keeps
    its brackets' spacing and separators, and each line it already had keeps its exact text."""
    items = list(_values(old, 0)) if isinstance(source, list) else []
    if not items:
        return json.dumps(source, ensure_ascii=ascii_only)
    written = {json.loads(old[start:end]): old[start:end] for _, start, end in reversed(items)}
    encoded = [
        written[line] if line in written else json.dumps(line, ensure_ascii=ascii_only)
        for line in source
    ]
    head, tail = old[1 : items[0][1]], old[items[-1][2] : -1]
    separator = old[items[0][2] : items[1][1]] if len(items) > 1 else "," + head
    return f"[{head}{separator.join(encoded)}{tail}]"


def _notebook_bytes(original: SourceFile, fixed: SourceFile) -> bytes:
    """The notebook's bytes with the sources of the fixed cells replaced in its JSON text, and
    every other byte as it was: layout, escapes, line breaks of the JSON and of other cells."""
    assert original.notebook is not None and original.cells and fixed.cells
    old_lines, new_lines = original.lines(), fixed.lines()
    bom = codecs.BOM_UTF8 if original.raw.startswith(codecs.BOM_UTF8) else b""
    document = original.raw[len(bom) :].decode("utf-8")
    ascii_only = document.isascii() and _ESCAPE.search(document) is not None
    cells_at = _value(document, _skip_space(document, 0), "cells")[0]
    replaced: list[tuple[int, int, str]] = []
    for old, new in zip(original.cells, fixed.cells):
        lines = new_lines[new.first_row - 1 : new.first_row - 1 + new.row_count]
        if lines == old_lines[old.first_row - 1 : old.first_row - 1 + old.row_count]:
            continue
        lines = [new.masked.get(row, line) for row, line in enumerate(lines, 1)]
        cell = original.notebook["cells"][new.index]
        was = "".join(cell["source"])  # `source`: a str or lines
        newline = dominant_newline(was)
        text = newline.join(lines) + (newline if was.endswith(("\n", "\r")) and lines else "")
        source = python_lines(text, keepends=True) if isinstance(cell["source"], list) else text
        start, end = _value(document, _value(document, cells_at, new.index)[0], "source")
        replaced.append((start, end, _source_json(document[start:end], source, ascii_only)))
    for start, end, json_text in reversed(replaced):  # from the end: offsets before stay valid
        document = document[:start] + json_text + document[end:]
    return bom + document.encode("utf-8")


def render(original: SourceFile, fixed: SourceFile) -> bytes:
    """The bytes to write for ``fixed``, a fixed version of ``original``."""
    if original.notebook is not None:
        return _notebook_bytes(original, fixed)
    wide = wide_bom(original.raw)
    try:
        # `utf-8-sig` writes its BOM back, a UTF-16/32 one is written here; line breaks were kept
        # in the text.
        return (wide[0] if wide else b"") + fixed.text.encode(original.encoding)
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
    old = python_lines(original.raw.decode(original.encoding), keepends=True)
    new = python_lines(content.decode(original.encoding), keepends=True)
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
        except Exception as error:  # noqa: BLE001 - an ftlint bug on one file must not end the run
            why = f"internal error while fixing this file ({type(error).__name__}: {error})"
            report.warnings.append(f"{filename}: {why}; not fixed")
            kept.extend(d for d in result.diagnostics if d.filename == filename)
            kept.append(about_file(InternalError.code, f"{why}; {REPORT}", filename))
            continue
        report.fixed += outcome.fixed
        report.result.sources[filename] = outcome.source
        kept.extend(outcome.remaining)
    report.result.diagnostics = sorted(kept, key=lambda d: d.sort_key)
    return report
