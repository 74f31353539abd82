"""Worker processes: same output in the same order for any --jobs, and a rule that raises, in a
worker or not, yields FT902 naming the rule and the file while the run goes on (exit 2)."""

from __future__ import annotations

import os
from pathlib import Path

import libcst as cst
import pytest
from support import FIXTURES

from ftlint import runner
from ftlint.cli import EXIT_ERROR, exit_code
from ftlint.config import Settings
from ftlint.diagnostics import INTERNAL_ERROR
from ftlint.engine import lint_source
from ftlint.rules import ALL_RULES, RULES_BY_CODE
from ftlint.rules.base import Rule
from ftlint.sources import read_source

TEST_PROCESS = os.getpid()
ALL_CODES = {rule.code for rule in ALL_RULES}


class RaisingRule(Rule):
    """Fails on every file: stands for a rule with a bug."""

    code, name, summary = "FT990", "raising", "Raises"
    required_tokens = ("",)  # every file
    VALID, INVALID = [], []

    def visit_Module(self, node: cst.Module) -> None:
        raise ValueError("broken on purpose")


class WorkerRule(Rule):
    """Reports the process that linted each file."""

    code, name, summary = "FT991", "worker", "Names the process"
    required_tokens = ("",)
    VALID, INVALID = [], []

    def visit_Module(self, node: cst.Module) -> None:
        self.report(node, str(os.getpid()))


class DyingRule(Rule):
    """Kills the worker process that runs it, as a crash in native code would."""

    code, name, summary = "FT992", "dying", "Dies"
    required_tokens = ("",)
    VALID, INVALID = [], []

    def visit_Module(self, node: cst.Module) -> None:
        if os.getpid() != TEST_PROCESS:
            os._exit(3)


@pytest.fixture(autouse=True)
def _pool_for_any_number_of_files(monkeypatch, tmp_path):
    monkeypatch.setattr(runner, "POOL_MIN_FILES", 1)
    monkeypatch.setenv("FTLINT_CACHE_DIR", str(tmp_path / "cache"))


def check(jobs: int, rules=None, enabled=ALL_CODES):
    settings = Settings(root=FIXTURES.parent)
    return runner.check_paths([FIXTURES], settings, set(enabled), jobs=jobs, rules=rules)


def test_output_is_the_same_for_any_number_of_jobs():
    results = [check(jobs) for jobs in (1, 2, 3)]
    first = results[0]
    assert {d.code for d in first.diagnostics} >= {"FT001", "FT002"}
    for result in results[1:]:
        assert result.diagnostics == first.diagnostics
        assert [d.noqa_row for d in result.diagnostics] == [d.noqa_row for d in first.diagnostics]
        assert result.sources.keys() == first.sources.keys()
        assert result.files == first.files


def test_files_are_linted_in_worker_processes():
    result = check(2, rules=[WorkerRule], enabled={"FT991"})
    processes = {int(d.message) for d in result.diagnostics}
    assert processes and TEST_PROCESS not in processes


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_raising_rule_is_reported_and_the_run_goes_on(jobs):
    rules = [RaisingRule, RULES_BY_CODE["FT001"]]
    result = check(jobs, rules=rules, enabled={"FT990", "FT001"})
    errors = [d for d in result.diagnostics if d.code == INTERNAL_ERROR]
    assert {d.filename for d in errors} == {
        runner.display_path(path) for path in runner.discover([FIXTURES], Settings(FIXTURES.parent))
    }
    assert all("internal error in rule FT990" in d.message for d in errors)
    assert all("ValueError: broken on purpose" in d.message for d in errors)
    assert any(d.code == "FT001" for d in result.diagnostics)
    assert exit_code(result.diagnostics, exit_zero=True) == EXIT_ERROR


def test_lint_source_reports_the_raising_rule_next_to_the_others():
    path = FIXTURES / "seed_backbone_freezing.py"
    diagnostics = lint_source(read_source(path, "seed.py"), [RaisingRule, RULES_BY_CODE["FT001"]])
    assert [d.code for d in diagnostics if d.code != "FT001"] == [INTERNAL_ERROR]
    assert diagnostics[0].filename == "seed.py" and "FT990" in diagnostics[0].message
    assert "FT001" in {d.code for d in diagnostics}


def test_a_worker_that_dies_is_an_internal_error_not_a_crash():
    result = check(2, rules=[DyingRule], enabled={"FT992"})
    assert result.files > 0
    assert {d.code for d in result.diagnostics} == {INTERNAL_ERROR}
    assert all("worker process" in d.message for d in result.diagnostics)
    assert len({Path(d.filename) for d in result.diagnostics}) == result.files
