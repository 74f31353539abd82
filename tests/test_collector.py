"""Linting a file runs with the cyclic garbage collector paused, so its analysis must not be held
in a reference cycle: once dropped, reference counting alone frees it (and its trees)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from support import python_source

import ftlint.engine
from ftlint.catalog import RULES
from ftlint.engine import analyze, run_rules
from ftlint.prefilter import PythonTree, python_parse
from ftlint.rules.base import Rule

EXAMPLES = [
    pytest.param(rule, example.source, id=f"{rule.code}-{kind}-{index}")
    for rule in RULES
    for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for index, example in enumerate(examples)
]


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _freed_when_dropped(source: str, rules: list[type[Rule]], *, tie: bool = False) -> bool:
    analysis = analyze(python_source(source), rules)
    if tie:
        analysis.tied = analysis  # type: ignore[union-attr]  # a cycle, on purpose
    freed = weakref.ref(analysis)
    del analysis
    return freed() is None


@pytest.mark.usefixtures("collector_off")
@pytest.mark.parametrize(("rule", "source"), EXAMPLES)
def test_an_analysis_is_freed_without_the_collector(rule, source):
    assert _freed_when_dropped(source, [rule])


@pytest.mark.usefixtures("collector_off")
@pytest.mark.parametrize(("rule", "source"), EXAMPLES)
def test_a_prefilter_tree_is_freed_without_the_collector(rule, source):
    tree = PythonTree(python_parse(source), source)
    rule.may_report(tree)
    freed = [weakref.ref(tree), weakref.ref(tree.tree), *map(weakref.ref, tree.statements[:1])]
    del tree
    assert [ref() for ref in freed] == [None] * len(freed)


@pytest.mark.usefixtures("collector_off")
def test_every_rule_at_once_leaves_no_cycle_but_one_made_on_purpose():
    source = "\n".join(example.source for rule in RULES for example in rule.INVALID[:1])
    assert python_parse(source) is not None
    assert _freed_when_dropped(source, list(RULES))
    assert not _freed_when_dropped(source, list(RULES), tie=True)


def test_linting_pauses_the_collector_and_restores_it():
    seen = []

    class Probe(Rule):
        code = "FT999"

        def visit_Module(self, node):
            seen.append(gc.isenabled())

    assert run_rules(python_source("x = 1\n"), [Probe], prefilter=False) == []
    assert (seen, gc.isenabled()) == ([False], True)
    gc.disable()
    try:
        run_rules(python_source("x = 1\n"), [Probe], prefilter=False)
        assert (seen, gc.isenabled()) == ([False, False], False)
    finally:
        gc.enable()


def test_the_collector_comes_back_when_linting_fails(monkeypatch):
    def failing_parse(text):
        raise MemoryError("injected")

    monkeypatch.setattr(ftlint.engine, "python_tree", failing_parse)
    with pytest.raises(MemoryError, match="injected"):
        run_rules(python_source("x = 1\n"), list(RULES))
    assert gc.isenabled()


def test_a_check_run_pauses_the_collector_to_parse_and_brings_it_back_on_failure(monkeypatch, tmp_path):
    import ftlint.runner
    from ftlint.config import Settings

    seen = []

    def failing_parse(text):
        seen.append(gc.isenabled())
        raise MemoryError("injected")

    (tmp_path / "train.py").write_text("if a or b and c:\n    p.requires_grad = False\n")
    monkeypatch.setattr(ftlint.runner, "python_tree", failing_parse)
    result = ftlint.runner.check_paths([tmp_path], Settings(root=tmp_path), {"FT001"}, jobs=1)
    assert [(d.code, d.message.split(";")[0]) for d in result.diagnostics] == [
        ("FT902", "internal error in ftlint while checking this file (MemoryError: injected)")
    ]
    assert (seen, gc.isenabled()) == ([False], True)
