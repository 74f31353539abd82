"""Odd but valid input is read as Python reads it: encodings, BOM, empty files, directories named
like Python files, notebook magics. (Input that cannot be read or parsed is FT900/FT901, tested in
tests/checks/.)"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from support import (
    AMBIGUOUS_FREEZE,
    FIXTURES,
    ODD_METADATA,
    check_json,
    seed_notebook_with_metadata,
)


def test_pep263_encoding_is_honoured(tmp_path):
    source = (
        "# -*- coding: latin-1 -*-\n"
        "# réglage fin\n" + AMBIGUOUS_FREEZE
    )
    (tmp_path / "latin.py").write_bytes(source.encode("latin-1"))
    code, findings = check_json(tmp_path)
    assert code == 1
    assert [f["code"] for f in findings] == ["FT001"]
    assert findings[0]["location"]["row"] == 4


def test_utf8_bom(tmp_path):
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf" + AMBIGUOUS_FREEZE.encode())
    code, findings = check_json(tmp_path)
    assert [(f["code"], f["location"]) for f in findings] == [("FT001", {"row": 2, "column": 8})]


def test_empty_files_and_notebooks(tmp_path):
    (tmp_path / "empty.py").write_text("")
    (tmp_path / "empty.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    code, findings = check_json(tmp_path)
    assert (code, findings) == (0, [])


def test_directory_named_like_a_python_file(tmp_path):
    (tmp_path / "pkg.py").mkdir()
    (tmp_path / "pkg.py" / "inner.py").write_text(AMBIGUOUS_FREEZE)
    code, findings = check_json(tmp_path)
    assert [f["code"] for f in findings] == ["FT001"]


def test_notebook_magics_do_not_break_parsing(tmp_path):
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [],
             "source": ["%matplotlib inline\n", "!pip install timm\n", "files = !ls\n",
                        "model?\n", "%time x = 1\n"]},
            {"cell_type": "markdown", "metadata": {}, "source": "# not code: if a or b and c:"},
            {"cell_type": "code", "metadata": {}, "outputs": [],
             "source": ["%%bash\n", "for f in *; do echo $f; done\n"]},
            {"cell_type": "code", "metadata": {}, "outputs": [],
             "source": ["%%time\n", "for name, p in model.named_parameters():\n",
                        "    if a or b and 'fc' in name:\n", "        %time p.requires_grad_(False)\n",
                        "        p.requires_grad_(False)\n"]},
        ],
        "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    (tmp_path / "magic.ipynb").write_text(json.dumps(notebook))
    code, findings = check_json(tmp_path)
    assert [(f["code"], f["cell"], f["location"]["row"]) for f in findings] == [("FT001", 3, 3)]


@pytest.mark.parametrize("metadata", ODD_METADATA)
def test_notebook_metadata_of_any_shape_is_read_as_absent(tmp_path, metadata):
    def named(run: tuple[int, list[dict]]) -> tuple[int, list[dict]]:
        code, findings = run
        return code, [{**f, "filename": Path(f["filename"]).name} for f in findings]

    expected = named(check_json(FIXTURES / "seed_backbone_freezing.ipynb"))
    assert named(check_json(seed_notebook_with_metadata(tmp_path, metadata))) == expected
    assert expected[0] == 1


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_a_bom_are_analysed(tmp_path, encoding):
    bom = {"utf-16": b"", "utf-16-be": codecs.BOM_UTF16_BE, "utf-32": b""}[encoding]
    (tmp_path / "wide.py").write_bytes(bom + ("# réglage\n" + AMBIGUOUS_FREEZE).encode(encoding))
    code, findings = check_json(tmp_path)
    assert (code, [(f["code"], f["location"]) for f in findings]) == (
        1,
        [("FT001", {"row": 3, "column": 8})],
    )


def test_utf16_without_a_bom_is_not_python_text(tmp_path):
    (tmp_path / "wide.py").write_bytes(AMBIGUOUS_FREEZE.encode("utf-16-le"))
    assert check_json(tmp_path) == (0, [])
