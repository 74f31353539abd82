"""Tests generated from each rule's own VALID and INVALID examples (as Fixit 2 does)."""

from __future__ import annotations

import ast

import pytest
from support import lint_text

from ftlint.fixer import apply_fixes
from ftlint.rules import ALL_RULES

VALID = [
    pytest.param(rule, example, id=f"{rule.code}-valid-{i}")
    for rule in ALL_RULES
    for i, example in enumerate(rule.VALID)
]
INVALID = [
    pytest.param(rule, example, id=f"{rule.code}-invalid-{i}")
    for rule in ALL_RULES
    for i, example in enumerate(rule.INVALID)
]


@pytest.mark.parametrize(("rule", "example"), VALID)
def test_valid_example_has_no_finding(rule, example):
    assert lint_text(example.source, [rule]) == []


@pytest.mark.parametrize(("rule", "example"), INVALID)
def test_invalid_example_is_reported(rule, example):
    diagnostics = lint_text(example.source, [rule])
    assert diagnostics, f"{rule.code} did not report:\n{example.source}"
    assert {d.code for d in diagnostics} == {rule.code}
    if example.line is not None:
        assert example.line in {d.location.row for d in diagnostics}
    if example.message_contains is not None:
        assert any(example.message_contains in d.message for d in diagnostics), [
            d.message for d in diagnostics
        ]
    if example.replacement is not None:
        fixed, applied = apply_fixes(example.source, diagnostics, unsafe=True)
        assert applied
        assert fixed == example.replacement
        ast.parse(fixed)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_rule_has_docs_and_examples(rule):
    body = rule.docs().body
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
        assert section in body, f"{rule.code} docs lack {section}"
    assert rule.VALID and rule.INVALID
    assert rule.required_tokens
    # The prefilter must never hide a finding: every INVALID example holds a required token.
    for example in rule.INVALID:
        assert any(token in example.source for token in rule.required_tokens)


def test_codes_are_unique_and_stable():
    codes = [rule.code for rule in ALL_RULES]
    assert len(codes) == len(set(codes))
    assert codes == sorted(codes)
    assert codes[:2] == ["FT001", "FT002"]
