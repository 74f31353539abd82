"""FT001 beyond its own examples: the real CLI on the seed, script and notebook, next to its twin
with the parentheses written out; and its fix, which adds the parentheses Python already implies,
never changes the AST."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import FIXTURES, check_json, code_text, python_source

from ftlint.diagnostics import Diagnostic
from ftlint.engine import lint_source
from ftlint.fixer import fix_source
from ftlint.rules.ft001_ambiguous_freeze_condition import AmbiguousFreezeCondition
from ftlint.sources import SourceFile, read_source

FT001 = AmbiguousFreezeCondition

# The seed's freeze condition as written, and as Python reads it.
SEED_CONDITION = (
    "not train_backbone or 'layer2' not in name and 'layer3' not in name and 'layer4' not in name"
)
PYTHON_READING = (
    "not train_backbone or ('layer2' not in name and 'layer3' not in name and 'layer4' not in name)"
)
# Where FT001 reports it: (cell, row) in the script and in the notebook.
SEEDS = {"seed_backbone_freezing.py": (None, 11), "seed_backbone_freezing.ipynb": (1, 10)}


def lint_ft001(source: SourceFile) -> list[Diagnostic]:
    return lint_source(source, [FT001])


def assert_same_ast(before: str, after: str) -> None:
    assert ast.dump(ast.parse(after)) == ast.dump(ast.parse(before)), after


# --- the real CLI on the seed ----------------------------------------------------------------


def seed_finding(filename: str, cell: int | None, row: int) -> dict:
    """FT001's JSON finding on the seed's condition, at ``row`` (of ``cell``) of ``filename``."""
    start, end = {"row": row, "column": 8}, {"row": row, "column": 100}
    return {
        "cell": cell,
        "code": "FT001",
        "end_location": end,
        "filename": filename,
        "fix": {
            "applicability": "safe",
            "edits": [{"content": PYTHON_READING, "end_location": end, "location": start}],
            "message": "Add the parentheses Python already implies",
        },
        "location": start,
        "message": (
            "freeze condition mixes `or` and `and` without parentheses; Python reads it as"
            f" `{PYTHON_READING}`, so `parameter.requires_grad_(False)` runs whenever"
            " `not train_backbone` alone is true"
        ),
        "noqa_row": row,
        "url": "https://github.com/ftlint/ftlint/blob/main/docs/rules.md#ft001",
    }


@pytest.mark.parametrize("name", SEEDS)
def test_cli_reports_the_seed_condition(name):
    path = str(FIXTURES / name)
    assert check_json("--select", "FT001", path) == (1, [seed_finding(path, *SEEDS[name])])


@pytest.mark.parametrize("name", SEEDS)
def test_cli_passes_the_seed_with_the_parentheses_written_out(tmp_path, name):
    # The twin differs from the seed only by the parentheses Python already implies.
    text = (FIXTURES / name).read_text()
    assert text.count(SEED_CONDITION) == 1
    twin = tmp_path / name
    twin.write_text(text.replace(SEED_CONDITION, PYTHON_READING))
    assert check_json("--select", "FT001", str(twin)) == (0, [])


# --- the fix adds the parentheses Python already implies, so the AST cannot change ---------

NAMES = st.sampled_from(["a", "b", "tune", "name", "p.requires_grad", "model.training"])
ATOMS = st.one_of(
    NAMES,
    st.builds(
        "{} {} {}".format, NAMES, st.sampled_from(["==", "<", "in", "not in", "is not"]), NAMES
    ),
    st.builds("{}({})".format, st.sampled_from(["f", "name.startswith", "any"]), NAMES),
)


def _compose(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds("{} {} {}".format, children, st.sampled_from(["and", "or"]), children),
        children.map("not {}".format),
        children.map("({})".format),
        st.builds("f({}, key={})".format, children, children),
    )


EXPRESSIONS = st.recursive(ATOMS, _compose, max_leaves=8)
# Mostly conditions that mix `or` and `and` at the top, where FT001 reports; any other, sometimes.
CONDITIONS = st.one_of(
    st.builds("{} or {} and {}".format, EXPRESSIONS, EXPRESSIONS, EXPRESSIONS), EXPRESSIONS
)
FREEZE_CONTEXTS = st.sampled_from(
    [
        "for name, p in model.named_parameters():\n    if {}:\n        p.requires_grad = False\n",
        "for name, p in model.named_parameters():\n    p.requires_grad = {}\n",
        "params = [p for name, p in model.named_parameters() if {}]\n",
        "model.eval() if {} else model.train()\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(FREEZE_CONTEXTS, CONDITIONS)
def test_ft001_fix_keeps_the_ast_and_leaves_nothing_to_fix(context, condition):
    text = context.format(condition)
    outcome = fix_source(python_source(text), lint_ft001, unsafe=False)
    assert_same_ast(text, outcome.source.text)
    assert not outcome.remaining and not outcome.rejected


FT001_FILES = [path for path in sorted(FIXTURES.rglob("*")) if path.suffix in (".py", ".ipynb")]


@pytest.mark.parametrize("path", FT001_FILES, ids=lambda path: path.name)
def test_ft001_fix_keeps_the_ast_of_every_fixture(path):
    source = read_source(path, path.name)
    outcome = fix_source(source, lint_ft001, unsafe=False)
    assert_same_ast(source.text, outcome.source.text)
    assert outcome.fixed == len(lint_ft001(source))
    assert not outcome.remaining


@pytest.mark.parametrize("example", FT001.INVALID, ids=lambda example: example.source[:40])
def test_ft001_fix_keeps_the_ast_of_every_rule_example(example):
    outcome = fix_source(python_source(example.source), lint_ft001, unsafe=False)
    assert outcome.fixed
    assert_same_ast(example.source, outcome.source.text)


def test_condition_of_a_helper_whose_result_sets_requires_grad_is_reported_in_the_helper():
    code = """
        trainable = lambda n: "head" in n or train_all and "layer4" in n

        def describe(name):
            return "fc" in name or verbose and "x" in name

        def twice(name):
            return "a" in name or b and c

        def twice(name):
            return True

        for name, p in model.named_parameters():
            p.requires_grad = trainable(name)
            p.requires_grad = twice(name)
        print(describe("fc"))
        """
    found = lint_ft001(python_source(code_text(code)))
    assert [(d.location.row, d.message) for d in found] == [(1, (
        "freeze condition mixes `or` and `and` without parentheses; Python reads it as "
        '`"head" in n or (train_all and "layer4" in n)`, so `requires_grad` is set to True '
        'through `trainable(name)` whenever `"head" in n` alone is true'
    ))]  # fmt: skip
