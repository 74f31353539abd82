"""Where the CPU of a cold `ftlint check` goes, stage by stage, in one process.

python benchmarks/profile_stages.py CORPUS   (with the ftlint to measure first on PYTHONPATH)

Stages: reading and the text triage (every file); CPython's parse and the rules' `may_report`
(files the text triage admits); libcst's parse and the traversal (files some rule may report in).
"""

from __future__ import annotations

import ast
import sys
import time
from collections import Counter
from pathlib import Path

import libcst as cst

from ftlint.catalog import RULES
from ftlint.engine import analyze, collector_paused
from ftlint.prefilter import PythonTree, python_parse
from ftlint.runner import UTF8
from ftlint.sources import read_bytes, source_of
from ftlint.tokenscan import TokenScan
from ftlint.triage import RuleTriage, admitted

DEFAULT = [rule for rule in RULES if rule.default]
TRIAGES = [RuleTriage.of(rule) for rule in DEFAULT]
SCAN = TokenScan(TRIAGES)
seconds: Counter[str] = Counter()
counts: Counter[str] = Counter()


def timed(stage: str, started: float) -> float:
    now = time.process_time()
    seconds[stage] += now - started
    return now


parse_module = cst.parse_module


def timed_parse(text: str) -> cst.Module:
    started = time.process_time()
    module = parse_module(text)
    timed("libcst parse", started)
    return module


cst.parse_module = timed_parse  # the engine calls it as `cst.parse_module`
for path in sorted(Path(sys.argv[1]).rglob("*.py")):
    started = time.process_time()  # as the runner does: tokens on the bytes, then the text
    raw = read_bytes(path)
    passing = SCAN.passing(raw, TRIAGES)
    source = source_of(path, str(path), raw) if passing else None
    found = source is not None and source.encoding in UTF8
    codes = set(admitted(source.text, passing, tokens_found=found)) if source is not None else set()
    rules = [rule for rule in DEFAULT if rule.code in codes]
    started = timed("read + text triage", started)
    if source is None or not rules:
        continue
    counts["text triage admits"] += 1
    with collector_paused():  # as `run_rules` does
        python = python_parse(source.text)
        started = timed("CPython parse", started)
        tree = PythonTree(python, source.text) if isinstance(python, ast.Module) else python
        if isinstance(tree, PythonTree):
            rules = [rule for rule in rules if rule.may_report(tree)]
        started = timed("may_report", started)
        if rules:
            counts["libcst parses"] += 1
            analyze(source, rules, tree)
            timed("libcst parse + traversal + rules", started)
print(dict(counts))
print({stage: round(value, 2) for stage, value in seconds.items()})
