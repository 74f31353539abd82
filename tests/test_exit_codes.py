"""The exit codes are a contract: 0 clean, 1 findings, 2 anything that prevents a trustworthy
answer. An internal error exits 2 with a message saying what failed and where to report it, never
a traceback (Python's exit 1). Faults are injected where ftlint would fail."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from support import AMBIGUOUS_FREEZE, FIXTURES

from ftlint import cli, writer
from ftlint.input_checks import ISSUES_URL, REPORT


def invoke(*args: str):
    return CliRunner().invoke(cli.main, list(args))


def broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("injected")


@pytest.mark.parametrize(
    ("paths", "code"), [(FIXTURES / "clean", 0), (FIXTURES / "seed_backbone_freezing.py", 1)]
)
def test_clean_is_0_and_findings_are_1(paths, code):
    assert invoke("check", "--no-cache", str(paths)).exit_code == code


def test_an_internal_error_in_a_command_exits_2_with_a_report_link(monkeypatch):
    monkeypatch.setattr(cli, "check_paths", broken)
    monkeypatch.setattr("sys.argv", ["ftlint", "check", "x.py"])
    result = invoke("check", str(FIXTURES / "clean"))
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        (
            "ftlint: internal error in `ftlint check x.py` (RuntimeError: injected); please report it "
            f"with the command and its files at {ISSUES_URL}\n"
        ),
    )


def test_an_internal_error_fixing_one_file_fixes_the_others_and_exits_2(tmp_path, monkeypatch):
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(AMBIGUOUS_FREEZE)
    render = writer.render

    def render_all_but_a(original, fixed):
        if original.path.name == "a.py":
            broken()
        return render(original, fixed)

    monkeypatch.setattr(writer, "render", render_all_but_a)
    monkeypatch.chdir(tmp_path)
    result = invoke("check", "--no-cache", "--fix", "a.py", "b.py")
    why = "internal error while fixing this file (RuntimeError: injected)"
    assert (result.exit_code, result.stderr) == (2, f"warning: a.py: {why}; not fixed\n")
    assert result.stdout.splitlines()[0] == f"a.py:1:1: FT902 {why}; {REPORT}"
    assert (tmp_path / "a.py").read_text() == AMBIGUOUS_FREEZE
    assert (tmp_path / "b.py").read_text() == AMBIGUOUS_FREEZE.replace(
        "'fc' not in name and 'bn' not in name", "('fc' not in name and 'bn' not in name)"
    )


_TYPO = "for p in model.parameters():\n    p.require_grad = False\n"  # FT003, 2 lines


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "ftlint"],
        [
            sys.executable,
            "-c",
            "import sys; from ftlint.cli import run; sys.argv[0] = 'ftlint'; run()",
        ],
    ],
    ids=["python -m ftlint", "console script"],
)
@pytest.mark.parametrize(("lines", "code"), [(4_000, 1), (0, 0)])
def test_check_ends_at_once_with_its_whole_output(tmp_path, command, lines, code):
    # `check` ends without the interpreter's teardown: its output must still arrive whole, more
    # than a pipe holds (~1 MB of JSON here), with its exit code and nothing on stderr.
    (tmp_path / "typos.py").write_text(_TYPO * (lines // 2) + "x = 1\n")
    args = ["check", "--no-cache", "--output-format", "json", str(tmp_path)]
    result = subprocess.run([*command, *args], capture_output=True, text=True, timeout=300)
    found = json.loads(result.stdout)
    assert (result.returncode, len(found), result.stderr) == (code, lines // 2, "")
    assert {finding["code"] for finding in found} == ({"FT003"} if lines else set())
