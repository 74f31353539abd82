"""Bad input never produces a traceback: one diagnostic per file, the run goes on."""

from __future__ import annotations

import json
import os

import pytest
from support import run_ftlint

FREEZE = (
    "for name, p in model.named_parameters():\n"
    "    if not tune or 'fc' not in name and 'bn' not in name:\n"
    "        p.requires_grad = False\n"
)


def check_json(path):
    result = run_ftlint("check", "--output-format", "json", str(path))
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def by_file(findings):
    return {os.path.basename(f["filename"]): f for f in findings}


def test_syntax_error_is_one_diagnostic_and_the_run_continues(tmp_path):
    # Only files that can hold a finding are parsed (triage), so the broken file has freeze code.
    (tmp_path / "broken.py").write_text(
        "import torch\nfor p in model.parameters(:\n    p.requires_grad = a or b and c\n"
    )
    (tmp_path / "good.py").write_text(FREEZE)
    code, findings = check_json(tmp_path)
    assert code == 1
    files = by_file(findings)
    assert files["broken.py"]["code"] == "FT900"
    assert files["broken.py"]["location"]["row"] == 2
    assert "cannot parse" in files["broken.py"]["message"]
    assert files["good.py"]["code"] == "FT001"


def test_syntax_error_in_notebook_names_the_cell(tmp_path):
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": "import torch\n"},
            {"cell_type": "code", "metadata": {}, "outputs": [],
             "source": ["x = 1\n", "for p in m.parameters(:\n", "    p.requires_grad = False\n"]},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook))
    code, findings = check_json(tmp_path)
    (finding,) = findings
    assert finding["code"] == "FT900"
    assert finding["cell"] == 2 and finding["location"]["row"] == 2


def test_undecodable_bytes(tmp_path):
    (tmp_path / "latin.py").write_bytes(b"name = '\xe9t\xe9'\nmodel.requires_grad = False\n")
    code, findings = check_json(tmp_path)
    assert code == 2
    (finding,) = findings
    assert finding["code"] == "FT901"
    assert "cannot decode" in finding["message"]


def test_pep263_encoding_is_honoured(tmp_path):
    source = (
        "# -*- coding: latin-1 -*-\n"
        "# réglage fin\n" + FREEZE
    )
    (tmp_path / "latin.py").write_bytes(source.encode("latin-1"))
    code, findings = check_json(tmp_path)
    assert code == 1
    assert [f["code"] for f in findings] == ["FT001"]
    assert findings[0]["location"]["row"] == 4


def test_utf8_bom(tmp_path):
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf" + FREEZE.encode())
    code, findings = check_json(tmp_path)
    assert [(f["code"], f["location"]) for f in findings] == [("FT001", {"row": 2, "column": 8})]


def test_empty_files_and_notebooks(tmp_path):
    (tmp_path / "empty.py").write_text("")
    (tmp_path / "empty.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    code, findings = check_json(tmp_path)
    assert (code, findings) == (0, [])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"metadata": {}}', "no `cells` list"),
        ('{"cells": [{"cell_type": "code", "source": 3}]}', "neither a string nor a list"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
    ],
)
def test_invalid_notebooks(tmp_path, content, message):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, findings = check_json(tmp_path)
    assert code == 2
    (finding,) = findings
    assert finding["code"] == "FT901" and message in finding["message"]


def test_dangling_symlink_and_symlink_loop(tmp_path):
    (tmp_path / "good.py").write_text(FREEZE)
    (tmp_path / "dangling.py").symlink_to(tmp_path / "missing.py")
    (tmp_path / "loop_a.py").symlink_to(tmp_path / "loop_b.py")
    (tmp_path / "loop_b.py").symlink_to(tmp_path / "loop_a.py")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "back").symlink_to(tmp_path, target_is_directory=True)
    code, findings = check_json(tmp_path)
    assert code == 2
    files = by_file(findings)
    assert files["dangling.py"]["code"] == "FT901"
    assert files["loop_a.py"]["code"] == "FT901" and files["loop_b.py"]["code"] == "FT901"
    assert "cannot read file" in files["loop_a.py"]["message"]
    assert files["good.py"]["code"] == "FT001"
    # The directory symlink back to the root is not followed: good.py is reported once.
    assert sum(f["filename"].endswith("good.py") for f in findings) == 1


def test_directory_named_like_a_python_file(tmp_path):
    (tmp_path / "pkg.py").mkdir()
    (tmp_path / "pkg.py" / "inner.py").write_text(FREEZE)
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
