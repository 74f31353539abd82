"""Turn a file on disk into the Python text ftlint lints.

A ``.py``/``.pyi`` file is decoded as Python itself decodes it (BOM, PEP 263 cookie). A notebook's
code cells are joined into one text, one cell after another, with IPython magics blanked out so
that libcst can parse them; ``cells`` maps rows of that text back to cells.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import re
import stat
import tokenize
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftlint.configfiles import CONFIG_SUFFIXES
from ftlint.diagnostics import Location

# A line of source as Python reads it: it ends at "\n", "\r\n" or "\r" only. str.splitlines also
# splits at form feeds, U+2028 and other separators, which Python reads as whitespace or as
# characters of a string.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def python_lines(text: str, *, keepends: bool = False) -> list[str]:
    """``text`` split into lines where Python splits it."""
    lines = _LINE.findall(text)
    return lines if keepends else [line.rstrip("\r\n") for line in lines]


class SourceError(Exception):
    """The file cannot be turned into Python text; the message says why."""


@dataclass(frozen=True)
class CellSpan:
    """A notebook code cell: its number among code cells (1-based) and its rows in the text."""

    number: int
    index: int  # position in the notebook's "cells" list
    first_row: int
    row_count: int
    # Rows (1-based, within the cell) that held magics and were blanked, with their original text.
    masked: dict[int, str] = field(default_factory=dict)


@dataclass
class SourceFile:
    path: Path
    display_path: str
    text: str
    raw: bytes
    encoding: str = "utf-8"
    cells: list[CellSpan] | None = None
    notebook: dict[str, Any] | None = None
    _line_starts: list[int] = field(default_factory=list, repr=False)

    @property
    def is_notebook(self) -> bool:
        return self.cells is not None

    def line_starts(self) -> list[int]:
        if not self._line_starts:
            starts = [0]
            for match in re.finditer("\r\n|\r|\n", self.text):
                starts.append(match.end())
            self._line_starts = starts
        return self._line_starts

    def offset(self, row: int, column: int) -> int:
        """Offset in ``text`` of a 1-based row and a 0-based column."""
        starts = self.line_starts()
        return starts[min(row, len(starts)) - 1] + column

    def lines(self) -> list[str]:
        return python_lines(self.text)

    def display(self, row: int, column: int) -> tuple[int | None, Location]:
        """Map a 1-based row and 0-based column of ``text`` to (cell, location users see)."""
        if self.cells is None:
            return None, Location(row, column + 1)
        cell_starts = [cell.first_row for cell in self.cells]
        cell = self.cells[max(bisect_right(cell_starts, row) - 1, 0)]
        return cell.number, Location(row - cell.first_row + 1, column + 1)

    def where(self, row: int) -> str:
        """A row of ``text`` as users see it: ``line 12``, in a notebook ``cell 2, line 3``."""
        cell, location = self.display(row, 0)
        return location_text(cell, location.row)

    def context(self, row: int, radius: int = 1) -> list[tuple[int, str]]:
        """Lines around text row ``row`` as users see them: (displayed number, original text),
        within the same notebook cell and with blanked magics restored."""
        lines = self.lines()
        first, last = max(row - radius, 1), min(row + radius, len(lines))
        if self.cells is None:
            return [(number, lines[number - 1]) for number in range(first, last + 1)]
        cell_starts = [cell.first_row for cell in self.cells]
        cell = self.cells[max(bisect_right(cell_starts, row) - 1, 0)]
        first = max(first, cell.first_row)
        last = min(last, cell.first_row + cell.row_count - 1)
        shown = []
        for number in range(first, last + 1):
            in_cell = number - cell.first_row + 1
            shown.append((in_cell, cell.masked.get(in_cell, lines[number - 1])))
        return shown


def location_text(cell: int | None, line: int) -> str:
    """``line 12``, or in a notebook ``cell 2, line 3``."""
    return f"line {line}" if cell is None else f"cell {cell}, line {line}"


_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def read_bytes(path: Path) -> bytes:
    """The bytes of the regular file at ``path``. Anything else is refused unread: reading a FIFO
    or a device would wait for a writer, or never end. Opened without blocking, then checked, so
    that nothing can swap the file in between. Read with the system's calls alone: a Python file
    object costs six more per file (its own `fstat`s, `isatty`, `lseek`s)."""
    try:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        descriptor = os.open(path, flags)  # O_BINARY: Windows would translate line breaks
    except OSError as error:
        raise SourceError(f"cannot read file: {error.strerror or error}") from error
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            kind = _KINDS.get(stat.S_IFMT(status.st_mode), "a special file")
            raise SourceError(f"cannot read file: it is {kind}, not a regular file")
        chunks = []
        # Its size and a byte more, then on to the end: it may have grown, or be a file of the
        # kernel's whose size says 0.
        wanted = status.st_size + 1
        while chunk := os.read(descriptor, wanted):
            chunks.append(chunk)
            wanted = max(wanted, 1 << 16)
        return b"".join(chunks)
    except OSError as error:
        raise SourceError(f"cannot read file: {error.strerror or error}") from error
    finally:
        os.close(descriptor)


def read_source(path: Path, display_path: str) -> SourceFile:
    return source_of(path, display_path, read_bytes(path))


def source_of(path: Path, display_path: str, raw: bytes) -> SourceFile:
    """The source in ``raw``, the bytes of ``path``, decoded as its kind of file is."""
    if path.suffix == ".ipynb":
        return _read_notebook(path, display_path, raw)
    if path.suffix.lower() in CONFIG_SUFFIXES:
        try:  # YAML and JSON configurations: UTF-8, with or without a byte order mark
            return SourceFile(path, display_path, raw.decode("utf-8-sig"), raw)
        except UnicodeDecodeError as error:
            raise SourceError(f"cannot decode file as UTF-8: {error}") from error
    encoding, text = decode_python(raw)
    return SourceFile(path, display_path, text, raw, encoding)


# UTF-16 and UTF-32 with a byte order mark, as Windows editors save "Unicode" text: the BOM leaves
# no doubt about the text, so it is read (the interpreter only reads ASCII-compatible encodings).
# UTF-32's marks first: UTF-32-LE's starts with UTF-16-LE's.
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def wide_bom(raw: bytes) -> tuple[bytes, str] | None:
    """The UTF-16 or UTF-32 byte order mark ``raw`` starts with and the codec of the bytes after
    it (fixes write both back, in that byte order), or None: in those encodings ASCII text is
    not ASCII bytes."""
    return next(((bom, codec) for bom, codec in _WIDE_BOMS if raw.startswith(bom)), None)


def decode_python(raw: bytes) -> tuple[str, str]:
    """Decode bytes as the interpreter would, or by their UTF-16/32 byte order mark; returns
    (encoding, text without BOM)."""
    wide = wide_bom(raw)
    if wide is not None:
        bom, codec = wide
        try:
            return codec, raw[len(bom) :].decode(codec)
        except UnicodeDecodeError as error:
            raise SourceError(f"cannot decode file as {codec}: {error}") from error
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as error:
        raise SourceError(f"cannot decode file: {error}") from error
    try:
        return encoding, raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise SourceError(f"cannot decode file as {encoding}: {error}") from error


# IPython syntax that is not Python: line magics, shell escapes, help queries, and the
# assignment forms `x = %time f()` / `files = !ls`.
_MAGIC_LINE = re.compile(r"^\s*([%!?]|\w+\s*=\s*[%!]|[\w.]+\?\??\s*$)")
# Cell magics whose body is still Python; any other cell magic (%%bash, %%html, ...) is skipped.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "cache"}


def _cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    if isinstance(source, str):
        return source
    raise SourceError("invalid notebook: a cell's `source` is neither a string nor a list of strings")


def _mask_magics(lines: list[str]) -> dict[int, str]:
    """Blank IPython-only lines in place (keeping rows); return {row: original line}."""
    masked: dict[int, str] = {}
    first = lines[0].strip() if lines else ""
    rows = [i for i, line in enumerate(lines) if _MAGIC_LINE.search(line)]
    if first.startswith("%%"):
        magic = first[2:].split(maxsplit=1)[0] if len(first) > 2 else ""
        if magic not in _PYTHON_CELL_MAGICS:
            rows = list(range(len(lines)))
    for i in rows:
        masked[i + 1] = lines[i]
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        # `pass` keeps an indented block valid when a magic was its only statement.
        lines[i] = f"{indent}pass" if lines[i].strip() else lines[i]
    return masked


def _field(table: dict[str, Any], key: str) -> dict[str, Any]:
    """``table[key]`` when it is a table, else an empty one: Jupyter's metadata is optional, and
    other tools write it as null or worse."""
    value = table.get(key)
    return value if isinstance(value, dict) else {}


def _read_notebook(path: Path, display_path: str, raw: bytes) -> SourceFile:
    try:
        notebook = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SourceError(f"invalid notebook: not valid JSON ({error})") from error
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise SourceError("invalid notebook: no `cells` list")
    language = _field(_field(notebook, "metadata"), "language_info").get("name", "python")
    cells: list[CellSpan] = []
    parts: list[str] = []
    row = 1
    if language == "python":
        for index, cell in enumerate(notebook["cells"]):
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            lines = python_lines(_cell_source(cell))
            masked = _mask_magics(lines)
            cells.append(CellSpan(len(cells) + 1, index, row, len(lines), masked))
            parts.extend(line + "\n" for line in lines)
            row += len(lines)
    return SourceFile(path, display_path, "".join(parts), raw, "utf-8", cells, notebook)
