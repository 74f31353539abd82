"""ftlint never crashes: over every .py of this interpreter's standard library (test data with
bad syntax and odd encodings included), unparsable files are diagnostics, never exceptions or
FT902; and a tree thousands of levels deep is linted. (Code nested deeper than Python accepts is
FT900, tested in tests/checks/test_ft900_syntax_error.py.)"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest
from support import ALL_CODES, lint_with_a_finding_after

from ftlint.catalog import RULES
from ftlint.config import Settings
from ftlint.input_checks import InternalError, UnparsableFile, UnreadableFile
from ftlint.runner import check_paths

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Every rule, stripped of its triage, so that it runs on every file it is given.
UNTRIAGED = {"required_tokens": ("",), "candidate_pattern": None, "candidate_shape": None}
EVERYWHERE = [type(rule.__name__, (rule,), UNTRIAGED) for rule in RULES]


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("FTLINT_CACHE_DIR", str(tmp_path))


def test_check_never_fails_on_the_standard_library():
    result = check_paths([STDLIB], Settings(root=STDLIB), ALL_CODES)
    assert result.files > 1000
    assert [d for d in result.diagnostics if d.code == InternalError.code] == []


def test_a_tree_thousands_of_levels_deep_is_linted():
    # An implicit concatenation of 3,000 strings, as in pydoc_data/topics.py: libcst nests it.
    strings = " ".join(["'x'"] * 3000)
    diagnostics = lint_with_a_finding_after(f"DOC = ({strings})")
    assert [d.code for d in diagnostics] == ["FT001"]


def test_every_rule_runs_on_a_sample_of_it_without_raising():
    # Parsing the whole library with every rule takes minutes: one file in 25, spread over it.
    files = [path for path in sorted(STDLIB.rglob("*.py")) if "site-packages" not in path.parts]
    files = files[::25]
    result = check_paths(files, Settings(root=STDLIB), ALL_CODES, jobs=1, rules=EVERYWHERE)
    assert result.files == len(files)
    assert [d for d in result.diagnostics if d.code == InternalError.code] == []
    assert {d.code for d in result.diagnostics} <= ALL_CODES | {UnparsableFile.code, UnreadableFile.code}
