"""Worker processes: the same output in the same order for any --jobs, linted in workers. (A rule
or a worker that fails is FT902, tested in tests/checks/test_ft902_internal_error.py.)"""

from __future__ import annotations

import multiprocessing
import os
import time

import libcst as cst
import pytest
from support import TEST_PROCESS, check_fixtures

from ftlint import runner
from ftlint.config import Settings
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


def test_workers_start_on_the_first_files_while_the_rest_are_discovered(tmp_path, monkeypatch):
    """The pool forks once it has a chunk for each worker, and discovery goes on beside it."""
    project = tmp_path / "project"  # beside the cache directory
    project.mkdir()
    for index in range(100):
        (project / f"train_{index:03}.py").write_text("x = 1\n")
    workers_seen = []  # worker processes alive as discovery yields each file
    discover = runner.discover

    def watched(*args, **kwargs):
        for path in discover(*args, **kwargs):
            workers_seen.append(len(multiprocessing.active_children()))
            yield path

    monkeypatch.setattr(runner, "discover", watched)
    result = runner.check_paths([project], Settings(root=project), {"FT001"}, jobs=2)
    assert result.files == 100
    before_pool = 2 * runner._CHUNK_FILES
    assert workers_seen == [0] * before_pool + [2] * (100 - before_pool)


def test_no_file_is_checked_again_unless_a_worker_died(tmp_path, monkeypatch):
    """Every worker is idle while discovery goes on (slower than they are): the pool waits for
    the next files, and checks none of them again one process each (that is for the chunks of a
    worker that died)."""
    project = tmp_path / "project"  # beside the cache directory
    project.mkdir()
    for index in range(60):
        (project / f"train_{index:03}.py").write_text("x = 1\n")
    discover = runner.discover

    def slow(*args, **kwargs):
        for path in discover(*args, **kwargs):
            time.sleep(0.01)
            yield path

    def checked_again(*args, **kwargs):
        raise AssertionError("files checked again one process each, though no worker died")

    monkeypatch.setattr(runner, "discover", slow)
    monkeypatch.setattr(runner, "_CHUNK_FILES", 1)
    monkeypatch.setattr(runner, "_isolated", checked_again)
    result = runner.check_paths([project], Settings(root=project), {"FT001"}, jobs=2)
    assert (result.files, result.diagnostics) == (60, [])
