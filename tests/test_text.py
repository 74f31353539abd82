"""ftlint.text: the shared text helpers and the one colour policy, in-process and through the
real CLI (on a pipe, and on a pseudo-terminal for the TTY cases)."""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import FIXTURES, REPO

from ftlint.text import format_names, human_count, plural, use_color

ANSI = "\x1b["
COLOR_VARIABLES = ("NO_COLOR", "FORCE_COLOR")


@dataclass(frozen=True)
class ColorCase:
    name: str
    env: dict[str, str]  # NO_COLOR / FORCE_COLOR as set; a variable not named here is unset
    tty: bool
    color: bool

    def __str__(self) -> str:
        return self.name


NO, FORCE = {"NO_COLOR": "1"}, {"FORCE_COLOR": "1"}
COLOR_POLICY = [
    ColorCase("NO_COLOR beats FORCE_COLOR on a TTY", {**NO, **FORCE}, tty=True, color=False),
    ColorCase("NO_COLOR beats FORCE_COLOR off a TTY", {**NO, **FORCE}, tty=False, color=False),
    ColorCase("NO_COLOR on a TTY", NO, tty=True, color=False),
    ColorCase("FORCE_COLOR off a TTY", FORCE, tty=False, color=True),
    ColorCase("FORCE_COLOR on a TTY", FORCE, tty=True, color=True),
    ColorCase("TTY alone", {}, tty=True, color=True),
    ColorCase("neither", {}, tty=False, color=False),
    # no-color.org and force-color.org: an empty value counts as unset.
    ColorCase("empty NO_COLOR, FORCE_COLOR", {"NO_COLOR": "", **FORCE}, tty=False, color=True),
    ColorCase("empty NO_COLOR on a TTY", {"NO_COLOR": ""}, tty=True, color=True),
    ColorCase("empty FORCE_COLOR off a TTY", {"FORCE_COLOR": ""}, tty=False, color=False),
]
CASES = {case.name: case for case in COLOR_POLICY}


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def set_color_env(monkeypatch: pytest.MonkeyPatch, case: ColorCase) -> None:
    for variable in COLOR_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    for variable, value in case.env.items():
        monkeypatch.setenv(variable, value)


def subprocess_env(case: ColorCase) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k not in COLOR_VARIABLES}
    return {**inherited, **case.env}


def run_python(args: list[str], env: dict[str, str], *, tty: bool, cwd: Path = REPO) -> str:
    """stdout of ``python *args``: a pipe, or the pseudo-terminal a TTY case needs."""
    if not tty:
        result = subprocess.run(
            [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode in (0, 1), result.stderr
        return result.stdout
    import pty

    controller, terminal = pty.openpty()
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [sys.executable, *args], cwd=cwd, env=env, stdout=terminal, stderr=stderr
        )
        os.close(terminal)  # the child holds it now: reading sees EOF (EIO) when it exits
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # Linux: EIO once the child's end is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(controller)
        returncode = process.wait(timeout=300)
        stderr.seek(0)
        assert returncode in (0, 1), stderr.read().decode()
    return b"".join(chunks).decode()


# --- the policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", COLOR_POLICY, ids=str)
def test_use_color_policy(monkeypatch: pytest.MonkeyPatch, case: ColorCase) -> None:
    set_color_env(monkeypatch, case)
    assert use_color(Stream(case.tty)) is case.color
    monkeypatch.setattr(sys, "stdout", Stream(case.tty))
    assert use_color() is case.color  # the default stream is stdout


def test_use_color_without_a_usable_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    set_color_env(monkeypatch, CASES["neither"])
    closed = io.StringIO()
    closed.close()
    assert not use_color(closed)
    monkeypatch.setattr(sys, "stdout", None)  # pythonw, or a daemon with stdout closed
    assert not use_color()


@pytest.mark.parametrize("case", COLOR_POLICY, ids=str)
def test_check_cli_follows_the_policy(case: ColorCase) -> None:
    if case.tty and sys.platform == "win32":
        pytest.skip("pseudo-terminals are POSIX only")
    args = ["-m", "ftlint", "check", "--no-cache", str(FIXTURES / "seed_backbone_freezing.py")]
    stdout = run_python(args, subprocess_env(case), tty=case.tty)
    assert "FT001" in stdout
    assert (ANSI in stdout) is case.color, stdout


# --- the runtime report -------------------------------------------------------------------------


@pytest.mark.parametrize("case", COLOR_POLICY, ids=str)
def test_freeze_report_render_follows_the_policy(
    monkeypatch: pytest.MonkeyPatch, case: ColorCase
) -> None:
    torch = pytest.importorskip("torch")
    import ftlint

    set_color_env(monkeypatch, case)
    monkeypatch.setattr(sys, "stdout", Stream(case.tty))
    text = ftlint.report(torch.nn.Linear(2, 2)).render()
    assert (ANSI in text) is case.color
    assert ANSI not in str(ftlint.report(torch.nn.Linear(2, 2)))  # str() is always plain


def test_printed_freeze_report_is_colored_when_forced_on_a_pipe() -> None:
    pytest.importorskip("torch")
    program = "import torch, ftlint; print(ftlint.report(torch.nn.Linear(2, 2)).render())"
    forced = subprocess_env(CASES["FORCE_COLOR off a TTY"])
    assert ANSI in run_python(["-c", program], forced, tty=False)
    assert ANSI not in run_python(["-c", program], subprocess_env(CASES["neither"]), tty=False)


@pytest.mark.parametrize(
    "name", ["FORCE_COLOR off a TTY", "NO_COLOR beats FORCE_COLOR off a TTY", "neither"]
)
def test_inspect_cli_follows_the_policy(tmp_path: Path, name: str) -> None:
    pytest.importorskip("torch")
    case = CASES[name]
    # `python -m` puts the working directory on sys.path: inspect finds the factory there.
    (tmp_path / "tiny_model.py").write_text(
        "import torch\n\n\ndef build():\n    return torch.nn.Linear(2, 2)\n"
    )
    args = ["-m", "ftlint", "inspect", "tiny_model:build"]
    stdout = run_python(args, subprocess_env(case), tty=False, cwd=tmp_path)
    assert "Linear: 2 of 2 tensors trainable" in stdout
    assert (ANSI in stdout) is case.color, stdout


# --- the helpers --------------------------------------------------------------------------------


def test_text_imports_the_standard_library_only() -> None:
    tree = ast.parse((REPO / "ftlint" / "text.py").read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module if node.module and not node.level else ".")
    assert {name.split(".")[0] for name in imported} <= {*sys.stdlib_module_names, "__future__"}


def test_plural() -> None:
    assert plural(1, "tensor") == "1 tensor"
    assert plural(0, "tensor") == "0 tensors"
    assert plural(1234, "tensor") == "1,234 tensors"


def test_format_names() -> None:
    assert format_names(["a", "b", "c"]) == "a, b, c"
    assert format_names(["a", "b", "c", "d", "e"]) == "a, b, c (+2 more)"
    assert format_names(["a", "b", "c"], limit=1) == "a (+2 more)"
    assert format_names([]) == ""


def test_human_count() -> None:
    assert [human_count(n) for n in (999, 1_000, 590_592, 14_200_000, 3 * 10**9)] == [
        "999", "1.0K", "590.6K", "14.2M", "3.0B",
    ]  # fmt: skip
