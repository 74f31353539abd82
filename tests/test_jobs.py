"""Worker processes: the same output in the same order for any --jobs, linted in workers. (A rule
or a worker that fails is FT902, tested in tests/checks/test_ft902_internal_error.py.)"""

from __future__ import annotations

import os

import libcst as cst
import pytest
from support import TEST_PROCESS, check_fixtures

from ftlint.rules.base import Rule

pytestmark = pytest.mark.usefixtures("pool_for_any_number_of_files")


class WorkerRule(Rule):
    """Reports the process that linted each file."""

    code, name, summary = "FT991", "worker", "Names the process"
    required_tokens = ("",)
    VALID, INVALID = [], []

    def visit_Module(self, node: cst.Module) -> None:
        self.report(node, str(os.getpid()))


def test_output_is_the_same_for_any_number_of_jobs():
    results = [check_fixtures(jobs) for jobs in (1, 2, 3)]
    first = results[0]
    assert {d.code for d in first.diagnostics} >= {"FT001", "FT002"}
    for result in results[1:]:
        assert result.diagnostics == first.diagnostics
        assert [d.noqa_row for d in result.diagnostics] == [d.noqa_row for d in first.diagnostics]
        assert result.sources.keys() == first.sources.keys()
        assert result.files == first.files


def test_files_are_linted_in_worker_processes():
    result = check_fixtures(2, rules=[WorkerRule], enabled={"FT991"})
    processes = {int(d.message) for d in result.diagnostics}
    assert processes and TEST_PROCESS not in processes
