"""`ftlint check --fix / --unsafe-fixes / --diff` end to end: real runs on copies of files."""

from __future__ import annotations

import ast
import codecs
import json
import os
import shutil
import stat

import pytest
from support import FIXTURES, run_ftlint

from ftlint.sources import read_source

FREEZE = (
    "for name, p in model.named_parameters():\n"
    "    if not tune or 'fc' not in name and 'bn' not in name:\n"
    "        p.requires_grad = False\n"
)
FIXED_CONDITION = "if not tune or ('fc' not in name and 'bn' not in name):"
SEED_FIXED_LINE = (
    "    if not train_backbone or ('layer2' not in name and 'layer3' not in name and "
    "'layer4' not in name):\n"
)


def snapshot(folder):
    return {path: path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def parses(path) -> bool:
    try:
        ast.parse(read_source(path, str(path)).text)
    except SyntaxError:
        return False
    return True


def findings(path):
    result = run_ftlint("check", "--output-format", "json", str(path))
    return json.loads(result.stdout)


@pytest.fixture
def fixtures_copy(tmp_path):
    return shutil.copytree(FIXTURES, tmp_path / "fixtures")


def test_fix_applies_every_safe_fix_and_a_second_run_changes_nothing(fixtures_copy):
    safe_before = [
        f for f in findings(fixtures_copy) if f["fix"] and f["fix"]["applicability"] == "safe"
    ]
    assert safe_before

    first = run_ftlint("check", "--fix", str(fixtures_copy))
    remaining = findings(fixtures_copy)
    assert f"Found {len(safe_before) + len(remaining)} errors " in first.stdout
    assert f"({len(safe_before)} fixed, {len(remaining)} remaining)." in first.stdout
    assert first.returncode == (1 if remaining else 0), first.stderr
    assert not [f for f in remaining if f["fix"] and f["fix"]["applicability"] == "safe"]
    assert all(parses(path) for path in fixtures_copy.rglob("*.py*"))

    fixed = snapshot(fixtures_copy)
    second = run_ftlint("check", "--fix", str(fixtures_copy))
    assert "remaining)." not in second.stdout  # no "(N fixed, M remaining)."
    assert snapshot(fixtures_copy) == fixed


def test_diff_prints_a_unified_diff_and_writes_nothing(fixtures_copy):
    before = snapshot(fixtures_copy)
    result = run_ftlint("check", "--diff", str(fixtures_copy))
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("--- ")
    assert "-    if not train_backbone or 'layer2' not in name and" in result.stdout
    assert "+    if not train_backbone or ('layer2' not in name and" in result.stdout
    assert "Would fix" in result.stderr
    assert snapshot(fixtures_copy) == before

    run_ftlint("check", "--fix", str(fixtures_copy))
    nothing_left = run_ftlint("check", "--diff", str(fixtures_copy))
    assert (nothing_left.returncode, nothing_left.stdout) == (0, "")


def test_unsafe_fixes_are_applied_only_when_asked(tmp_path):
    path = tmp_path / "callback.py"
    shutil.copy(FIXTURES / "lightning_custom_finetuning.py", path)
    original = path.read_bytes()

    safe_only = run_ftlint("check", "--select", "FT002", "--fix", str(path))
    assert path.read_bytes() == original
    assert "No fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option)." in (
        safe_only.stdout
    )
    unsafe = run_ftlint("check", "--select", "FT002", "--fix", "--unsafe-fixes", str(path))
    assert (unsafe.returncode, unsafe.stdout.strip()) == (
        0,
        "Found 1 error (1 fixed, 0 remaining).",
    )
    assert "self.freeze(pl_module.backbone, train_bn=self.train_bn)" in path.read_text()


def test_crlf_stays_crlf_and_mixed_line_endings_are_kept(tmp_path):
    path = tmp_path / "crlf.py"
    path.write_bytes(("import torch\r\n" + FREEZE.replace("\n", "\r\n") + "x = 1\n").encode())
    run_ftlint("check", "--fix", str(path))
    lines = path.read_bytes().decode().splitlines(keepends=True)
    assert FIXED_CONDITION in lines[2]
    assert [line[-2:] == "\r\n" for line in lines] == [True] * 4 + [False]


def test_bom_and_latin1_cookie_are_kept(tmp_path):
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbf# caf\xc3\xa9\n" + FREEZE.encode())
    latin1 = tmp_path / "latin1.py"
    latin1.write_bytes(b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + FREEZE.encode())
    run_ftlint("check", "--fix", str(tmp_path))
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf# caf\xc3\xa9\n")
    assert FIXED_CONDITION in bom.read_bytes().decode("utf-8-sig")
    assert latin1.read_bytes().startswith(b"# -*- coding: latin-1 -*-\n# caf\xe9\n")
    assert FIXED_CONDITION in latin1.read_bytes().decode("latin-1")


def test_file_mode_is_kept_and_a_symlink_stays_a_link(tmp_path):
    target = tmp_path / "freeze.py"
    target.write_text(FREEZE)
    target.chmod(0o751)
    link = tmp_path / "link" / "freeze.py"
    link.parent.mkdir()
    link.symlink_to(target)
    run_ftlint("check", "--fix", str(link))
    assert stat.S_IMODE(target.stat().st_mode) == 0o751
    assert link.is_symlink()
    assert FIXED_CONDITION in target.read_text()
    assert sorted(os.listdir(tmp_path)) == ["freeze.py", "link"]  # no temporary file left


def test_notebook_is_fixed_in_place_with_everything_else_preserved(tmp_path):
    path = tmp_path / "seed.ipynb"
    shutil.copy(FIXTURES / "seed_backbone_freezing.ipynb", path)
    original_text = path.read_text(encoding="utf-8")
    original = json.loads(original_text)
    # The fixture is Jupyter's own layout; writing it back must reproduce it byte for byte.
    assert json.dumps(original, indent=1, ensure_ascii=False) == original_text

    result = run_ftlint("check", "--fix", str(path))
    assert "remaining)." in result.stdout, result.stdout
    fixed_text = path.read_text(encoding="utf-8")
    fixed = json.loads(fixed_text)
    assert json.dumps(fixed, indent=1, ensure_ascii=False) == fixed_text

    def without_sources(notebook):
        return {**notebook, "cells": [{**c, "source": None} for c in notebook["cells"]]}

    assert without_sources(fixed) == without_sources(original)
    assert SEED_FIXED_LINE in fixed["cells"][1]["source"]  # still a list of lines
    assert fixed["cells"][3] == original["cells"][3]


WEIGHTS_CLASS = "model = resnet50(weights=ResNet50_Weights)"  # FT009's safe fix adds the member
WEIGHTS_MEMBER = "model = resnet50(weights=ResNet50_Weights.IMAGENET1K_V1)"


def odd_notebook(fixed_cell: str) -> str:
    """A notebook no json.dumps call writes: CRLF between its lines, compact separators, tabs,
    `\\u00e9` escapes, a cell with CRLF line breaks; ``fixed_cell`` is the JSON of the cell
    sources that FT009's fix edits."""
    return (
        '{"cells":[\r\n'
        '\t{"cell_type":"code","metadata":{},"outputs":[],"execution_count":null,\r\n'
        '\t "source":["# r\\u00e9glage\\r\\n","x = 1\\r\\n"]},\r\n'
        '\t{"cell_type":"code","metadata":{},"outputs":[],"execution_count":null,\r\n'
        f'\t "source":{fixed_cell}}}\r\n'
        '],"metadata":{"language_info":{"name":"python"}},"nbformat":4,"nbformat_minor":5}\r\n'
    )


@pytest.mark.parametrize(
    "cell",
    [
        (
            '[ "from torchvision.models import resnet50, ResNet50_Weights\\r\\n",'
            '   "{model}\\r\\n",   "# caf\\u00e9" ]'
        ),
        '["from torchvision.models import resnet50, ResNet50_Weights\\n", "{model}"]',
        '"from torchvision.models import resnet50, ResNet50_Weights\\r\\n{model}\\r\\n"',
        # Python reads U+2028 in a string and a form feed as no line break: FT009 is on row 4.
        (
            '["from torchvision.models import resnet50, ResNet50_Weights\\n", '
            '"NOTE = \\"a\\u2028b\\"\\n", "\\f\\n", "{model}\\n"]'
        ),
    ],
    ids=["crlf-lines", "lf-lines", "one-string", "u2028-and-form-feed"],
)
def test_notebook_fix_changes_only_the_fixed_source_bytes(tmp_path, cell):
    path = tmp_path / "odd.ipynb"
    path.write_bytes(odd_notebook(cell.format(model=WEIGHTS_CLASS)).encode())
    result = run_ftlint("check", "--fix", str(path))
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "Found 1 error (1 fixed, 0 remaining).\n",
        "",
    )
    assert path.read_bytes() == odd_notebook(cell.format(model=WEIGHTS_MEMBER)).encode()


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
     (codecs.BOM_UTF32_BE, "utf-32-be")],
)  # fmt: skip
def test_a_wide_file_is_fixed_in_its_own_encoding_and_byte_order(tmp_path, bom, codec):
    path = tmp_path / "wide.py"
    path.write_bytes(bom + FREEZE.replace("\n", "\r\n").encode(codec))
    result = run_ftlint("check", "--fix", str(path))
    fixed = FREEZE.replace("if not tune or 'fc' not in name and 'bn' not in name:", FIXED_CONDITION)
    assert (result.returncode, path.read_bytes()) == (
        0,
        bom + fixed.replace("\n", "\r\n").encode(codec),
    )
