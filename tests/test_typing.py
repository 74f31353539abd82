"""ftlint's annotations are public and checked: the wheel carries the PEP 561 ``py.typed``
marker, and ``mypy --strict`` (configured in pyproject.toml) passes on the package."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support import REPO


def test_wheel_ships_py_typed(tmp_path: Path) -> None:
    # Build from a copy, so that the in-tree build leaves no build/ or egg-info in the checkout.
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(
        REPO / "ftlint", source / "ftlint", ignore=shutil.ignore_patterns("__pycache__")
    )
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(source)],
        check=False, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("ftlint-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "ftlint/py.typed" in archive.namelist()


def test_mypy_strict_passes() -> None:
    # ftlint's runtime, verify and lightning code is checked against the real packages.
    missing = [name for name in ("torch", "lightning") if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: pip install -e '.[test,lightning]'")
    # The configuration ([tool.mypy]: strict, files, overrides) is read from pyproject.toml; the
    # cache stays in .mypy_cache, so a re-run checks only what changed.
    checked = subprocess.run(
        [sys.executable, "-m", "mypy"],
        check=False, cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert checked.returncode == 0, f"mypy found errors:\n{checked.stdout}{checked.stderr}"
