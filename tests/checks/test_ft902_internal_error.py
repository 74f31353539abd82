"""FT902, an internal error: a rule that raises, in a worker or not, or a worker process that
dies, is reported at each file it hit, naming the rule, while the run goes on (exit 2)."""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import signal
import time
from pathlib import Path

import libcst as cst
import pytest
from support import (
    AMBIGUOUS_FREEZE,
    FIXTURES,
    TEST_PROCESS,
    check_fixtures,
    check_json,
    lint_with_a_finding_after,
)

from ftlint import runner
from ftlint.catalog import CATALOG
from ftlint.cli import EXIT_ERROR, exit_code
from ftlint.config import Settings
from ftlint.engine import lint_source
from ftlint.input_checks import REPORT, InternalError
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


class SegfaultingRule(Rule):
    """Reports every file, and crashes the worker process on the seed, as libcst's native parser
    did on a long `and`/`or` chain."""

    code, name, summary = "FT993", "segfaulting", "Segfaults on one file"
    required_tokens = ("",)
    VALID, INVALID = [], []

    def visit_Module(self, node: cst.Module) -> None:
        if os.getpid() != TEST_PROCESS and self.file.source.path.name == CULPRIT.name:
            faulthandler.disable()  # pytest's, inherited: no dump of the stack on the terminal
            os.kill(os.getpid(), signal.SIGSEGV)
        self.report(node, "checked")


CULPRIT = FIXTURES / "seed_backbone_freezing.py"


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
    assert {d.message for d in result.diagnostics} == {
        (
            "internal error: the process checking this file stopped (exit code 3); no rule ran on "
            f"this file; {REPORT}"
        )
    }
    assert len({Path(d.filename) for d in result.diagnostics}) == result.files


@pytest.mark.parametrize("chunk_files", [1, 16])
def test_a_worker_crash_loses_only_the_file_that_caused_it(monkeypatch, chunk_files):
    # With chunks of 16, the culprit's chunk-mates and every chunk still pending fail with it.
    monkeypatch.setattr(runner, "_CHUNK_FILES", chunk_files)
    result = check_fixtures(2, rules=[SegfaultingRule], enabled={"FT993"})
    culprit = runner.display_path(CULPRIT)
    assert [(d.filename, d.code, d.message) for d in result.diagnostics if d.code != "FT993"] == [
        (
            culprit,
            InternalError.code,
            (
                "internal error: the process checking this file stopped (killed by SIGSEGV); no rule "
                f"ran on this file; {REPORT}"
            ),
        )
    ]
    checked = {d.filename for d in result.diagnostics if d.code == "FT993"}
    assert len(checked) == result.files - 1 and culprit not in checked


def _chain(pairs: int) -> str:
    return " or ".join(["a and b"] * pairs)


def _concatenation(strings: int) -> str:
    return "(" + " ".join(["'x'"] * strings) + ")"


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        # libcst's native parser segfaulted from ~8,000 pairs; its traversal raised from ~3,600.
        (
            _chain(8_000),
            (
                "libcst, the parser ftlint uses, would nest the `and`/`or` chain here 8,003 levels "
                "deep; ftlint stops at 3,000, as deeper ones crash it"
            ),
        ),
        (
            _chain(3_600),
            (
                "libcst, the parser ftlint uses, would nest the `and`/`or` chain here 3,603 levels "
                "deep; ftlint stops at 3,000, as deeper ones crash it"
            ),
        ),
        # libcst refuses it as a syntax error, which CPython does not agree with.
        (
            _concatenation(20_000),
            (
                "an implicit concatenation of 20,000 strings; libcst, the parser ftlint uses, parses "
                "at most 3,000"
            ),
        ),
    ],
)
def test_code_python_accepts_past_libcst_limits_is_one_diagnostic_naming_the_limit(expression, why):
    [diagnostic] = lint_with_a_finding_after(f"y = {expression}")
    assert (diagnostic.code, diagnostic.location.row, diagnostic.message) == (
        InternalError.code,
        1,
        (
            f"ftlint cannot check this file, which Python accepts: {why}; no rule ran on it. If it "
            f"is real code, {REPORT}"
        ),
    )


@pytest.mark.parametrize("expression", [_chain(2_900), _concatenation(3_000)])
def test_code_within_libcst_limits_is_linted(expression):
    assert [d.code for d in lint_with_a_finding_after(f"y = {expression}")] == ["FT001"]


def test_a_file_past_libcst_limits_costs_no_other_file_and_exits_2(tmp_path):
    (tmp_path / "deep.py").write_text(f"y = {_chain(8_000)}\n{AMBIGUOUS_FREEZE}")
    (tmp_path / "good.py").write_text(AMBIGUOUS_FREEZE)
    code, findings = check_json(tmp_path, "--jobs", "2")
    assert (code, [(f["filename"], f["code"]) for f in findings]) == (
        2,
        [(str(tmp_path / "deep.py"), "FT902"), (str(tmp_path / "good.py"), "FT001")],
    )


def test_a_worker_crash_while_files_are_still_being_discovered(tmp_path, monkeypatch):
    """The pool breaks while discovery still yields files: those are checked one process each,
    like the chunks the crash took down."""
    (tmp_path / CULPRIT.name).write_bytes(CULPRIT.read_bytes())  # sorted first
    for index in range(6):
        (tmp_path / f"train_{index}.py").write_text("x = 1\n")
    monkeypatch.setattr(runner, "_CHUNK_FILES", 1)  # the pool starts on the first two files
    discover = runner.discover

    def discovered_after_the_crash(*args, **kwargs):
        for index, path in enumerate(discover(*args, **kwargs)):
            if index == 2:  # both workers are running: wait until the culprit's has died
                deadline = time.monotonic() + 60
                while len(multiprocessing.active_children()) == 2 and time.monotonic() < deadline:
                    time.sleep(0.05)
                time.sleep(1)  # and until the pool has seen it
            yield path

    monkeypatch.setattr(runner, "discover", discovered_after_the_crash)
    result = runner.check_paths(
        [tmp_path], Settings(root=tmp_path), {"FT993"}, jobs=2, rules=[SegfaultingRule]
    )
    assert sorted((Path(d.filename).name, d.code) for d in result.diagnostics) == [
        (CULPRIT.name, InternalError.code),
        *((f"train_{index}.py", "FT993") for index in range(6)),
    ]
