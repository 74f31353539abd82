"""FT902, an internal error: a rule that raises, in a worker or not, or a worker process that
dies, is reported at each file it hit, naming the rule, while the run goes on (exit 2)."""

from __future__ import annotations

import os
from pathlib import Path

import libcst as cst
import pytest
from support import FIXTURES, TEST_PROCESS, check_fixtures

from ftlint import runner
from ftlint.catalog import CATALOG
from ftlint.cli import EXIT_ERROR, exit_code
from ftlint.config import Settings
from ftlint.engine import lint_source
from ftlint.input_checks import InternalError
from ftlint.rules.base import Rule
from ftlint.sources import read_source

pytestmark = pytest.mark.usefixtures("pool_for_any_number_of_files")


class RaisingRule(Rule):
    """Fails on every file: stands for a rule with a bug."""

    code, name, summary = "FT990", "raising", "Raises"
    required_tokens = ("",)  # every file
    VALID, INVALID = [], []

    def visit_Module(self, node: cst.Module) -> None:
        raise ValueError("broken on purpose")


class DyingRule(Rule):
    """Kills the worker process that runs it, as a crash in native code would."""

    code, name, summary = "FT992", "dying", "Dies"
    required_tokens = ("",)
    VALID, INVALID = [], []

    def visit_Module(self, node: cst.Module) -> None:
        if os.getpid() != TEST_PROCESS:
            os._exit(3)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_raising_rule_is_reported_and_the_run_goes_on(jobs):
    rules = [RaisingRule, CATALOG["FT001"]]
    result = check_fixtures(jobs, rules=rules, enabled={"FT990", "FT001"})
    errors = [d for d in result.diagnostics if d.code == InternalError.code]
    assert {d.filename for d in errors} == {
        runner.display_path(path) for path in runner.discover([FIXTURES], Settings(FIXTURES.parent))
    }
    assert all("internal error in rule FT990" in d.message for d in errors)
    assert all("ValueError: broken on purpose" in d.message for d in errors)
    assert any(d.code == "FT001" for d in result.diagnostics)
    assert exit_code(result.diagnostics, exit_zero=True) == EXIT_ERROR


def test_lint_source_reports_the_raising_rule_next_to_the_others():
    path = FIXTURES / "seed_backbone_freezing.py"
    diagnostics = lint_source(read_source(path, "seed.py"), [RaisingRule, CATALOG["FT001"]])
    assert [d.code for d in diagnostics if d.code != "FT001"] == [InternalError.code]
    assert diagnostics[0].filename == "seed.py" and "FT990" in diagnostics[0].message
    assert "FT001" in {d.code for d in diagnostics}


def test_a_worker_that_dies_is_an_internal_error_not_a_crash():
    result = check_fixtures(2, rules=[DyingRule], enabled={"FT992"})
    assert result.files > 0
    assert {d.code for d in result.diagnostics} == {InternalError.code}
    assert all("worker process" in d.message for d in result.diagnostics)
    assert len({Path(d.filename) for d in result.diagnostics}) == result.files
