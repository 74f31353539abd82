"""The fix loop and the writer at the unit level: bad fixes are rejected, notebook cells keep
their rows, and a file changed on disk is not overwritten. (FT001's own fix keeping the AST is
tested in checks/test_ft001_ambiguous_freeze_condition.py.)"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from support import python_source

from ftlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location
from ftlint.fixer import MAX_PASSES, apply_fixes, fix_source
from ftlint.sources import SourceFile, read_source
from ftlint.writer import NotWritten, render, write_back


def replacing(text: str, old: str, new: str) -> Diagnostic:
    """A finding at the first ``old`` in ``text`` whose safe fix writes ``new`` there."""
    start = text.index(old)
    here = Location(1, 1)
    edit = Edit(new, start, start + len(old), here, here)
    return Diagnostic(
        "FT999", f"replace {old!r}", "example", here, here, Fix(Applicability.SAFE, "", (edit,))
    )


def offering(*replacements: tuple[str, str]):
    """A lint that offers each (old, new) replacement while ``old`` is in the text."""

    def lint(source: SourceFile) -> list[Diagnostic]:
        return [replacing(source.text, old, new) for old, new in replacements if old in source.text]

    return lint


# --- the loop ---


def test_a_fix_that_would_not_parse_is_rejected_and_the_others_applied():
    def lint(source: SourceFile) -> list[Diagnostic]:
        unfixable = replace(replacing(source.text, "", ""), message="no fix", fix=None)
        return [unfixable, *offering(("x = 1", "x = ("), ("y = 2", "y = 3"))(source)]

    outcome = fix_source(python_source("x = 1\ny = 2\n"), lint, unsafe=False)
    assert outcome.source.text == "x = 1\ny = 3\n"
    assert [(r.diagnostic.message, "would not parse" in r.reason) for r in outcome.rejected] == [
        ("replace 'x = 1'", True)
    ]
    assert [d.message for d in outcome.remaining] == ["no fix", "replace 'x = 1'"]


def test_the_loop_stops_after_max_passes():
    # Each pass's fix makes the next one: "x" -> "xx" -> "xxx" ...
    outcome = fix_source(python_source("x = 1\n"), offering(("x", "xx")), unsafe=False)
    assert outcome.fixed == MAX_PASSES
    assert outcome.source.text == "x" * (MAX_PASSES + 1) + " = 1\n"


def test_overlapping_fixes_wait_for_the_next_pass():
    text = "x = 1\n"
    same_spot = [replacing(text, "", "import os\n"), replacing(text, "", "import os\n")]
    assert apply_fixes(text, same_spot, unsafe=False) == ("import os\nx = 1\n", 1)
    overlapping = [replacing(text, "x = 1", "x = 2"), replacing(text, "1", "3")]
    assert apply_fixes(text, overlapping, unsafe=False) == ("x = 2\n", 1)


def test_unsafe_fixes_wait_for_unsafe():
    finding = replacing("x = 1\n", "1", "2")
    unsafe = replace(finding, fix=Fix(Applicability.UNSAFE, "", finding.fix.edits))
    assert apply_fixes("x = 1\n", [unsafe], unsafe=False) == ("x = 1\n", 0)
    assert apply_fixes("x = 1\n", [unsafe], unsafe=True) == ("x = 2\n", 1)


def test_inserted_lines_follow_the_file_line_breaks():
    text = "import torch\r\nx = 1\r\n"
    fixed, _ = apply_fixes(text, [replacing(text, "x = 1", "import os\nx = 1")], unsafe=False)
    assert fixed == "import torch\r\nimport os\r\nx = 1\r\n"


# --- notebooks: fixes are applied cell by cell ---


def write_notebook(path: Path, sources: list[str | list[str]]) -> None:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Title"]}]
    cells += [
        {
            "cell_type": "code",
            "execution_count": 3,
            "metadata": {"tags": ["é"]},
            "outputs": [],
            "source": s,
        }
        for s in sources
    ]
    notebook = {"cells": cells, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4}
    path.write_text(json.dumps(notebook, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def test_notebook_cells_keep_their_rows_magics_and_layout(tmp_path):
    path = tmp_path / "nb.ipynb"
    write_notebook(path, [["%matplotlib inline\n", "import torch\n", "x = 1"], "y = 2\n"])
    original = read_source(path, "nb.ipynb")

    def lint(source: SourceFile) -> list[Diagnostic]:
        # A line inserted above the magic (blanked to `pass` in the linted text) moves it down.
        insertion = (
            [] if "import os" in source.text else [replacing(source.text, "", "import os\n")]
        )
        return insertion + offering(("y = 2", "y = 3"))(source)

    outcome = fix_source(original, lint, unsafe=False)
    assert outcome.fixed == 2

    content = render(original, outcome.source)
    write_back(original, content)
    expected = json.loads(original.raw)
    expected["cells"][1]["source"] = [
        "import os\n",
        "%matplotlib inline\n",
        "import torch\n",
        "x = 1",
    ]
    expected["cells"][2]["source"] = "y = 3\n"
    assert (
        path.read_text(encoding="utf-8")
        == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
    )
    reread = read_source(path, "nb.ipynb")
    assert (reread.text, reread.cells) == (outcome.source.text, outcome.source.cells)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("pass\nimport", "import", "it edits a line holding an IPython magic"),
        ("x = 1\ny", "x = 1; y", "it spans two notebook cells"),
        ("x = 1\n", "x = 1", "it joins two notebook cells"),
    ],
)
def test_notebook_fixes_that_do_not_fit_the_cells_are_rejected(tmp_path, old, new, reason):
    path = tmp_path / "nb.ipynb"
    write_notebook(path, [["%matplotlib inline\n", "import torch\n", "x = 1"], "y = 2\n"])
    outcome = fix_source(read_source(path, "nb.ipynb"), offering((old, new)), unsafe=False)
    assert [r.reason for r in outcome.rejected] == [reason]
    assert not outcome.fixed


# --- writing back ---


def test_a_file_changed_on_disk_is_not_overwritten(tmp_path):
    path = tmp_path / "freeze.py"
    path.write_text("x = 1\n")
    original = read_source(path, "freeze.py")
    path.write_text("x = 2\n")
    with pytest.raises(NotWritten, match="changed on disk"):
        write_back(original, b"x = 3\n")
    assert path.read_text() == "x = 2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["freeze.py"]
