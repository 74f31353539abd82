"""FT007's text shape (``ftlint.analysis.collisions``) never hides a finding: whenever the rule
reports a literal, the rule's pattern and shape admit its file; and the shape clears the
literals the rule cannot report (version strings, `stage.1`, f-strings it never reads)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import python_source

from ftlint.analysis.file import FileAnalysis
from ftlint.catalog import CATALOG
from ftlint.engine import analyze
from ftlint.triage import SHAPES, FileText

RULE = CATALOG["FT007"]
SHAPE = SHAPES["colliding-name"]


def reported(text: str) -> list[int]:
    analysis = analyze(python_source(text), [RULE])
    assert isinstance(analysis, FileAnalysis)
    return [finding.span.start.line for finding in analysis.findings]


def admitted(text: str) -> bool:
    return SHAPE(FileText(text))


_NAMES = st.sampled_from(
    ["blocks.1", "stage.1", "2.1", "encoder.layer.2", "encoder_layer_3", "conv_1", "h.9",
     "blocks.1.", "blocks.0", "layers\\.1", "blocks\\x2e1", "blocks.\\061", "blocks.\\\n1",
     "layer\\N{LOW LINE}2", "it's.1"]
)  # fmt: skip
_PREFIXES = st.sampled_from(["", "r", "u", "R", "b", "rb"])
_FORMATTED = st.sampled_from(
    ['f"blocks.{i}"', "f'stage.{i}'", 'f"layer_{i}"', 'f"h.{j}"', 'f"x.{i!r}"', 'f"x.{ i }"',
     'f"x.{(i)}"', 'f"x.{i=}"', 'F"x.{i}"', 'rf"x.{i}"', 'f"x.{{{i}"', 'f"x.{i}.1"']
)  # fmt: skip
# Where a literal `{s}` sits in a loop over a model's names `n`, a loop over `range` binding `i`
# around it; each ends with the line the block's body follows.
_CONTEXTS = st.sampled_from(
    ["if {s} in n:", "if ({s}) in n:", "if {s} not in n:", "if x < {s} in n:",
     "if n.startswith({s}):", "if n.startswith(\n            {s}):", "if n.find({s}, 0) >= 0:",
     "if n.startswith(({s}, 'x')):", "if re.search({s}, n):", "if search({s}, n):",
     "if find_it({s}, n):", "for b in {s}, 'x':\n            if b in n:",
     "for b in 'x', {s}:\n            if b in n:", "for b in [  # c\n            {s}]:\n            if b in n:", "for b in NAMES:\n            if b in n:",
     "if version.parse({s}) >= v:", "if v >= {s}:", "if f({s}) in n:", "if g(x, {s}):",
     "if n == {s}:", "if (s := {s}) in n:", "if {s} \\\n            in n:",
     "if ({s}  # c\n            ) in n:"]
)  # fmt: skip
_ASSIGNED = st.sampled_from(
    ["NAMES = {s}, 'x'", "NAMES = ['x', {s}]", "NAMES = ({s},)", "NAMES = {{{s}}}",
     "NAMES = [\n    {s}  # c\n]", "NAMES = []"]
)  # fmt: skip


@st.composite
def literals(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(_FORMATTED)
    quote = draw(st.sampled_from(["'", '"']))
    name = draw(_NAMES).replace("'", "\\'" if quote == "'" else "'")
    return f"{draw(_PREFIXES)}{quote}{name}{quote}"


@st.composite
def collision_modules(draw: st.DrawFn) -> str:
    context = draw(_CONTEXTS).format(s=draw(literals()))
    lines = [
        "import re",
        draw(st.sampled_from(["from re import search", "from re import search as find_it"])),
        draw(_ASSIGNED).format(s=draw(literals())),
        "for i in range(12):",
        "    for n, p in model.named_parameters():",
        f"        {context} p.requires_grad = False",
    ]
    return "\n".join(lines) + "\n"


@settings(max_examples=1500, deadline=None)
@given(collision_modules())
def test_the_shape_admits_whatever_the_rule_reports(text: str) -> None:
    assert admitted(text) or reported(text) == [], text


LOOP = """
import re
for i in range(12):
    for n, p in model.named_parameters():
        if {test}:
            p.requires_grad = False
"""


@pytest.mark.parametrize(
    ("cleared", "kept"),
    [
        # Versions, comparisons, other calls' arguments: never read as a block's name.
        ("version.parse('2.1') >= v", "n.startswith('2.1')"),
        ("v >= '2.1'", "'2.1' in n"),
        ("check('blocks.1')", "re.search('blocks.1', n)"),
        # A container with few children; a separator already there.
        ("'stage.1' in n", "'stages_x.1' in n"),
        ("'blocks.1.' in n", "'blocks.1' in n"),
        # f-strings: read only tested with `in`, their index a `range` variable.
        ("n.startswith(f'blocks.{i}')", "f'blocks.{i}' in n"),
        ("f'blocks.{j}' in n", "f'blocks.{i}' in n"),
        ("f'blocks.{i!r}' in n", "f'blocks.{ i }' in n"),
    ],
)
def test_cleared_literals_and_their_reported_twins(cleared: str, kept: str) -> None:
    cleared_text, kept_text = LOOP.format(test=cleared), LOOP.format(test=kept)
    assert reported(cleared_text) == [] and not admitted(cleared_text)
    assert reported(kept_text) == [5] and admitted(kept_text)


@pytest.mark.parametrize(
    "unread",
    [
        "'blocks\\x2e1' in n",  # an escape: the value is not the text
        "'''blocks.1''' in n",  # a triple quote
        "'blocks' '.1' in n",  # a concatenation: the literal's start is not its value's
    ],
)
def test_literals_the_shape_cannot_read_keep_the_file(unread: str) -> None:
    assert admitted(LOOP.format(test=unread))


def test_an_unparenthesised_tuple_ends_where_its_statement_does() -> None:
    # `'blocks.2'` ends the `for` header: before this shape, the pattern missed it.
    text = """
for n, p in model.named_parameters():
    for b in 'stage', 'blocks.2':
        if b in n:
            p.requires_grad = False
"""
    assert reported(text) == [3] and admitted(text)
