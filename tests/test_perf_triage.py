"""Triage must never hide a finding: every INVALID example passes every stage of its rule's
triage, and the code shapes accept whatever their rule can report, however it is written."""

from __future__ import annotations

import re
import subprocess
import sys

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import lint_text, python_source

from ftlint.analysis.file import FileAnalysis
from ftlint.analysis.optimizers import OPTIMIZER_CLASS
from ftlint.analysis.freeze_settings import FREEZE_SETTINGS
from ftlint.cache import CatalogIndex
from ftlint.catalog import CATALOG, CONFIG_RULES, RULES, SELECTABLE
from ftlint.check import Command
from ftlint.engine import analyze
from ftlint.tokenscan import TokenScan
from ftlint.triage import (
    GAP,
    SHAPES,
    FileText,
    RuleTriage,
    code_without_strings,
    has_mixed_and_or,
)

INVALID = [
    pytest.param(rule, example, id=f"{rule.code}-invalid-{index}")
    for rule in RULES + CONFIG_RULES
    for index, example in enumerate(rule.INVALID)
]


@pytest.mark.parametrize(("rule", "example"), INVALID)
def test_invalid_examples_pass_triage(rule, example):
    triage = RuleTriage.of(rule) if rule in RULES else RuleTriage.of_config(rule)
    assert TokenScan([triage]).passing(example.source.encode(), [triage]) == [triage]
    assert triage.admits(FileText(example.source)), f"{rule.code} triage hides:\n{example.source}"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_declarations_are_well_formed(rule):
    assert rule.candidate_shape is None or rule.candidate_shape in SHAPES
    if rule.candidate_pattern is not None:
        re.compile(rule.candidate_pattern)


def test_catalog_index_round_trips_and_matches_the_catalog():
    index = CatalogIndex.from_catalog()
    assert index == CatalogIndex(
        SELECTABLE,
        tuple(
            sorted(rule.code for rule in RULES + CONFIG_RULES if rule.code != "FT011")
        ),  # FT011: off
        (*(f"FT10{n}" for n in range(1, 9)), *(f"FT11{n}" for n in range(1, 7))),
        tuple(RuleTriage.of(rule) for rule in RULES)
        + tuple(RuleTriage.of_config(rule) for rule in CONFIG_RULES),
    )
    assert all(rule.command is Command.CHECK for rule in RULES)
    assert CatalogIndex.from_json(index.to_json()) == index


def test_shape_rejects_files_without_a_bare_mix():
    for text in (
        "if a or (b and c):\n    pass\n",
        "f(a or b, c and d)\n",
        "x = a or b\ny = c and d\n",
        "d = {a or b: c and d}\n",
        "s = 'a or b and c'  # or and\n",
        '"""\nfreeze a or b and c\n"""\n',
    ):
        assert not has_mixed_and_or(code_without_strings(text)), text


# Expressions written every way Python allows: brackets, line breaks and comments inside them,
# strings that hold keywords and brackets, calls, subscripts, lambdas, slices, dict displays.
_ATOMS = st.sampled_from(
    ["a", "b.c", "'x or y and (z'", '"]"', "f()", "1", "name", "not a", "'layer2' not in n"]
)


def _expressions(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    gap = st.sampled_from([" ", "  "])
    inside = st.sampled_from([" ", "\n    ", "  # and or (\n    ", " \\\n "])
    return st.one_of(
        st.tuples(inner, st.sampled_from(["or", "and"]), inner, gap).map(
            lambda p: f"{p[0]}{p[3]}{p[1]}{p[3]}{p[2]}"
        ),
        st.tuples(inside, inner, inside).map(lambda p: f"({p[0]}{p[1]}{p[2]})"),
        st.tuples(inner, inside, inner).map(lambda p: f"g({p[0]},{p[1]}{p[2]})"),
        st.tuples(inner, inner).map(lambda p: f"x[{p[0]}:{p[1]}]"),
        st.tuples(inner, inner).map(lambda p: f"{{{p[0]}: {p[1]}}}"),
        inner.map(lambda e: f"(lambda: {e})"),
    )


EXPRESSIONS = st.recursive(_ATOMS, _expressions, max_leaves=8)
# Three operands joined by `and`/`or`, on one line or broken inside brackets (as black does),
# then placed somewhere in a bigger expression.
_BREAKS = st.sampled_from([" ", "\n    ", "  # or (\n    ", " \\\n    "])
_OPERATORS = st.sampled_from(["or", "and"])


def _chain(
    first: str, operators: tuple[str, str], second: str, third: str, breaks: list[str]
) -> str:
    return f"({first}{breaks[0]}{operators[0]} {second}{breaks[1]}{operators[1]} {third})"


CHAINS = st.builds(
    _chain,
    EXPRESSIONS,
    st.tuples(_OPERATORS, _OPERATORS),
    EXPRESSIONS,
    EXPRESSIONS,
    st.lists(_BREAKS, min_size=2, max_size=2),
)


def _place(chain: str, where: str) -> str:
    if where == "{}" and "\n" not in chain:
        chain = chain[1:-1]  # bare at the top level, where it cannot span lines
    return where.format(chain)


PLACES = ["{}", "f(x, {})", "[{}]", "lambda: {}", "{{k: {}}}"]
PLACED = st.builds(_place, CHAINS, st.sampled_from(PLACES))


def _has_bare_and_in_or(code: str) -> bool:
    """The shape FT001 reports: an `or` whose operand is an unparenthesized `and`."""
    found = []

    class Finder(cst.CSTVisitor):
        def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
            if isinstance(node.operator, cst.Or):
                found.extend(
                    side
                    for side in (node.left, node.right)
                    if isinstance(side, cst.BooleanOperation)
                    and isinstance(side.operator, cst.And)
                    and not side.lpar
                )

    cst.parse_module(code).visit(Finder())
    return bool(found)


@settings(max_examples=300, deadline=None)
@given(PLACED, st.sampled_from(["x = {}\n", "if {}:\n    pass\n", "y = [p for p in q if {}]\n"]))
def test_mixed_and_or_shape_holds_for_every_bare_mix(expression, statement):
    code = statement.format(expression)
    try:
        reported = _has_bare_and_in_or(code)
    except cst.ParserSyntaxError:
        return  # a line break the generator put outside brackets
    if reported:
        assert has_mixed_and_or(code_without_strings(code)), code


# FT016's shape: keywords one or two edits off a freeze setting, written with every gap Python
# allows before the `=`, next to exact settings and unrelated long keywords.
_SETTING_EDITS = st.builds(
    lambda name, edits: _edit(name, edits),
    st.sampled_from(sorted(FREEZE_SETTINGS)),
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["", "_", "s", "x", "é"])), max_size=3),
)
_KEYWORDS = st.one_of(_SETTING_EDITS, st.sampled_from(["hidden_size", "num_hidden_layers"]))
_KEYWORD_GAPS = st.sampled_from(["", " ", "  # a #b = c\n    ", " \\\n    "])


def _edit(name: str, edits: list[tuple[int, str]]) -> str:
    """``name`` with each (position, text) edit: text replaces the character there ("" deletes)."""
    for position, text in edits:
        at = position % len(name)
        name = name[:at] + text + name[at + 1 :]
    return name or "x"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_KEYWORDS, _KEYWORD_GAPS), min_size=1, max_size=3))
def test_misspelt_keyword_shape_clears_only_files_without_ft016_findings(keywords):
    arguments = ", ".join(f"{keyword}{gap}=1" for keyword, gap in keywords)
    text = f"from transformers import LlamaConfig\nconfig = LlamaConfig(\n    {arguments}\n)\n"
    analysis = analyze(python_source(text), [CATALOG["FT016"]])
    if isinstance(analysis, FileAnalysis) and analysis.findings:
        assert SHAPES["misspelt-freeze-keyword"](FileText(text)), text


def test_misspelt_keyword_shape_verdicts_and_their_twins():
    shape = SHAPES["misspelt-freeze-keyword"]
    ft016 = [CATALOG["FT016"]]
    misspelt = (
        "from transformers import AutoConfig\n"
        "c = AutoConfig.from_pretrained('g', tie_word_embedding  # off\n = False)\n"
    )
    exact = misspelt.replace("tie_word_embedding ", "tie_word_embeddings ")
    assert shape(FileText(misspelt)) and [d.code for d in lint_text(misspelt, ft016)] == ["FT016"]
    assert not shape(FileText(exact)) and lint_text(exact, ft016) == []


GAP_CASES = [
    ".requires_grad # why\n  ) \\\n = False",
    ".requires_grad ##### banner #####\n = False",
    ".requires_grad # = False only in a comment\n",
    ".requires_grad == False",
]


def test_a_gap_reads_comments_to_their_line_end_whatever_they_hold():
    attribute = re.compile(rf"\.requires_grad{GAP}=(?!=)")
    assert [bool(attribute.search(text)) for text in GAP_CASES] == [True, True, False, False]


# A comment of 64 `#` after the attribute and no `=`: read in 2**64 ways when a comment could end
# anywhere, so the search never ends; a child process with a deadline keeps the suite alive.
HASH_BANNER = """
import re, sys
from ftlint.analysis.receivers import GAP
sys.exit(bool(re.search(rf"\\.requires_grad{GAP}=(?!=)", ".requires_grad " + "#" * 64 + "\\nx")))
"""


def test_a_gap_fails_without_backtracking_through_a_banner_comment():
    done = subprocess.run([sys.executable, "-c", HASH_BANNER], timeout=60, check=False)
    assert done.returncode == 0


# `requires_grad` set on detached copies, written every way Python allows, each a FT006 finding.
DETACHED_LAYOUTS = [
    "model.fc.weight.data.requires_grad = False\n",
    "model.fc.weight . data . requires_grad = False\n",
    "(model.fc.weight\n    .data).requires_grad = False\n",
    "w = (model.fc.weight.  # the tensor\n    data)\nw.requires_grad = False\n",
    "layer.weight.detach().requires_grad_(False)\n",
    "(layer.weight.detach()  # a copy\n ).requires_grad_(False)\n",
    "layer.weight.clone()[0].requires_grad_(False)\n",
    "layer.weight.detach() \\\n    .requires_grad_(False)\n",
    "for t in model.state_dict().values():\n    t.requires_grad = False\n",
    "sd = model.state_dict (  # all of it\n)\nt = sd.get('w')\nt.requires_grad = False\n",
    "w = layer.weight.data  # a copy\nw.requires_grad_(False)\n",
    "layer.weight.data .requires_grad = False\n",
]
# Their twins: the parameters themselves (`.database` is not `.data`).
PARAMETER_LAYOUTS = [
    "model.fc.weight.requires_grad = False\n",
    "w = model.fc.weight\nw.database = 1\nw.requires_grad = False\n",
    "for p in model.parameters():\n    p.requires_grad_(False)\n",
    "def load(state_dict):\n    state_dict.pop('x')\nmodel.fc.weight.requires_grad = False\n",
    "model.fc.weight.data.normal_()\nw = model.fc.weight.data[0]\nw.requires_grad = False\n",
]


@pytest.mark.parametrize("text", DETACHED_LAYOUTS)
def test_detached_copy_shape_admits_every_layout_ft006_reports(text):
    analysis = analyze(python_source(text), [CATALOG["FT006"]])
    assert isinstance(analysis, FileAnalysis)
    assert [finding.code for finding in analysis.findings] == ["FT006"]
    assert SHAPES["detached-copy"](FileText(text)), text


@pytest.mark.parametrize("text", PARAMETER_LAYOUTS)
def test_detached_copy_shape_clears_parameters(text):
    assert lint_text(text, [CATALOG["FT006"]]) == []
    assert not SHAPES["detached-copy"](FileText(text)), text


_OPTIMIZER_PIECES = st.sampled_from(
    ["optimizer", "OPTIMIZER", "Optim", "izer", "optımizer", "OPTİMIZER", "ſgd", "SGD", "ASGD", "NAdam",
     "Adam", "Lamb", "LAMB", "Trainer", "Callback", "W8bit", "(", " ", "\\\n", "x", "é"]
)  # fmt: skip


# What FT010's shape searches in pieces, as one regex: a call whose name starts with an optimizer
# class or `optimizer` (any case), or a transformers callback.
BUILT = re.compile(
    rf"(?:{OPTIMIZER_CLASS.pattern[2:-1]}|(?i:optimizer))\w*[\s\\]*\(|TrainerCallback"
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_OPTIMIZER_PIECES, max_size=8).map("".join))
def test_optimizer_shape_is_its_regex_whatever_the_case(text):
    assert SHAPES["optimizer-built"](FileText(text)) is (BUILT.search(text) is not None)


def test_lowercasing_keeps_what_the_optimizer_shape_reads():
    # Over every character: `(?i:optimizer)` matches no other character than a letter's cases
    # and the two Turkish i; lowercasing keeps one character (but the dotted İ), and keeps word
    # characters, spaces, backslashes and brackets what they are.
    letter, word, kept = re.compile("(?i:[optimzer])"), re.compile(r"\w"), re.compile(r"[\s\\(]")
    folded, lengthened, changed = set(), set(), set()
    for code in range(sys.maxunicode + 1):
        char, lower = chr(code), chr(code).lower()
        if letter.fullmatch(char) and lower not in "optimzer":
            folded.add(char)
        if len(lower) != 1:
            lengthened.add(char)
        elif (word.fullmatch(char) and not word.fullmatch(lower)) or (
            bool(kept.fullmatch(char)) is not bool(kept.fullmatch(lower))
        ):
            changed.add(char)
    assert (folded, lengthened, changed) == ({"\u0130", "\u0131"}, {"\u0130"}, set())


@pytest.mark.parametrize(
    ("text", "admitted"),
    [
        ("opt = torch.optim.AdamW(params)\n", True),
        ("opt = build_OPTIMIZER (params)\n", True),
        ("opt = make_optımizer(params)\n", True),  # a dotless i: `(?i)` matches it, lower() not
        ("opt = MAKE_OPTİMIZER(params)\n", True),  # a dotted İ: lower() makes it two characters
        ("class C(TrainerCallback): pass\n", True),
        ("opt = torch.optim.AdamW\n", False),
        ("optimizers = []\n", False),
    ],
)
def test_optimizer_shape_verdicts(text, admitted):
    assert SHAPES["optimizer-built"](FileText(text)) is admitted


# `and`/`or` as keywords, as one regex says it (the look-behind: no letter or `_` before them).
KEYWORDS = re.compile(r"(?:a(?<![^\W\d]a)nd|o(?<![^\W\d]o)r)\b")


@settings(max_examples=500, deadline=None)
# Letters, `_`, an ASCII and an Arabic-Indic digit (decimal: a keyword may follow them), a Roman
# numeral (a word character that is no digit) and separators.
@given(st.text("andor_xé1٣ⅷ (\n", max_size=40))
def test_boolean_operators_are_the_keywords_one_regex_finds(code):
    from ftlint.analysis.and_or import boolean_operators

    assert boolean_operators(code) == [(m.start(), m.group()) for m in KEYWORDS.finditer(code)]
