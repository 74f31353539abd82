"""FT901, a file that cannot be read: undecodable bytes, an invalid notebook, a dangling symlink
or a symlink loop; one finding each, exit 2, and the run goes on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import AMBIGUOUS_FREEZE, by_file, check_json

from ftlint.sources import read_bytes


def test_undecodable_bytes(tmp_path):
    (tmp_path / "latin.py").write_bytes(b"name = '\xe9t\xe9'\nmodel.requires_grad = False\n")
    code, findings = check_json(tmp_path)
    assert code == 2
    (finding,) = findings
    assert finding["code"] == "FT901"
    assert "cannot decode" in finding["message"]


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
    (tmp_path / "good.py").write_text(AMBIGUOUS_FREEZE)
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


@pytest.mark.parametrize("given", [False, True], ids=["found-in-a-directory", "given"])
def test_a_fifo_named_like_python_is_reported_not_read(tmp_path, given):
    # Reading a FIFO waits for a writer: the run would hang until the timeout.
    (tmp_path / "good.py").write_text(AMBIGUOUS_FREEZE)
    os.mkfifo(tmp_path / "pipe.py")
    targets = [tmp_path / "pipe.py", tmp_path / "good.py"] if given else [tmp_path]
    code, findings = check_json(*targets, timeout=60)
    assert (code, [(f["filename"], f["code"], f["message"]) for f in findings]) == (
        2,
        [
            (str(tmp_path / "good.py"), "FT001", findings[0]["message"]),
            (
                str(tmp_path / "pipe.py"),
                "FT901",
                "cannot read file: it is a FIFO, not a regular file",
            ),
        ],
    )


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
def test_a_file_that_fails_while_being_read(tmp_path):
    # A regular file that opens but cannot be read: the process's memory at address 0.
    (tmp_path / "good.py").write_text(AMBIGUOUS_FREEZE)
    code, findings = check_json("/proc/self/mem", tmp_path / "good.py")
    assert (code, [(f["filename"], f["code"], f["message"]) for f in findings]) == (
        2,
        [
            ("/proc/self/mem", "FT901", "cannot read file: Input/output error"),
            (str(tmp_path / "good.py"), "FT001", findings[1]["message"]),
        ],
    )


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_a_file_whose_size_says_zero_is_read_to_its_end():
    status = Path("/proc/self/status")
    assert status.stat().st_size == 0
    text = read_bytes(status).decode()
    assert text.startswith("Name:") and text.endswith("\n") and len(text) > 500
