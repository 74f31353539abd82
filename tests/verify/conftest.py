"""Verify files in-process: the whole pipeline on real torchvision models, no subprocess."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ftlint.config import Settings
from ftlint.rules import DOCUMENTED
from ftlint.verify.pipeline import FileVerification, verify_file


def _verify(
    path: Path, pins: dict | None = None, codes: set[str] | None = None
) -> FileVerification:
    enabled = set(DOCUMENTED) if codes is None else set(codes)
    return verify_file(path, Settings(root=path.parent), enabled, pins or {})


@pytest.fixture
def verify_path():
    """Verify the file at a path: ``verify_path(path, pins=None, codes=None)``."""
    return _verify


@pytest.fixture
def verify_code(tmp_path):
    """Verify ``code`` (dedented) written to ``tmp_path/script.py``."""

    def verify(
        code: str, pins: dict | None = None, codes: set[str] | None = None
    ) -> FileVerification:
        path = tmp_path / "script.py"
        path.write_text(textwrap.dedent(code).lstrip("\n"))
        return _verify(path, pins, codes)

    return verify
