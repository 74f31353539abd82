"""Fixtures shared across test directories (verify/, checks/, lightning/, the top level).

Plain helpers live in tests/support.py (importable as `support` from any test directory)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import Workspace, code_text

from ftlint import runner
from ftlint.catalog import SELECTABLE
from ftlint.config import Settings

if TYPE_CHECKING:
    from ftlint.verify.pipeline import FileVerification


def _verify(
    path: Path, pins: dict | None = None, codes: set[str] | None = None
) -> FileVerification:
    # Imported here: the pipeline imports torch, which tests that never verify should not pay.
    from ftlint.verify.pipeline import verify_file

    enabled = set(SELECTABLE) if codes is None else set(codes)
    return verify_file(path, Settings(root=path.parent), enabled, pins or {})


@pytest.fixture
def verify_path():
    """Verify the file at a path in-process: ``verify_path(path, pins=None, codes=None)``."""
    return _verify


@pytest.fixture
def verify_code(tmp_path):
    """Verify ``code`` (dedented) written to ``tmp_path/script.py``."""

    def verify(
        code: str, pins: dict | None = None, codes: set[str] | None = None
    ) -> FileVerification:
        path = tmp_path / "script.py"
        path.write_text(code_text(code))
        return _verify(path, pins, codes)

    return verify


@pytest.fixture
def pool_for_any_number_of_files(monkeypatch, tmp_path):
    """Worker processes even for the few fixture files, each test with its own cache."""
    monkeypatch.setattr(runner, "POOL_MIN_FILES", 1)
    monkeypatch.setenv("FTLINT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A project to run ``ftlint verify`` in: :class:`support.Workspace`."""
    return Workspace(tmp_path)
