"""The ast prefilter (``Rule.may_report``) never hides a finding: whenever it says a rule cannot
report in a file, the rule, run on libcst's tree, finds nothing there."""

from __future__ import annotations

import ast
import operator
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from support import python_source

import ftlint
from ftlint.analysis.file import FileAnalysis
from ftlint.catalog import CATALOG, RULES
from ftlint.engine import analyze
from ftlint.prefilter import PythonTree
from ftlint.rules.base import Rule
from ftlint.triage import SHAPES, FileText

PREFILTERED = [rule for rule in RULES if rule.prefilter is not None]


def findings(text: str, rule: type[Rule]) -> list[tuple[str, int]]:
    analysis = analyze(python_source(text), [rule])
    assert isinstance(analysis, FileAnalysis)
    return [(finding.code, finding.span.start.line) for finding in analysis.findings]


def may_report(text: str, rule: type[Rule]) -> bool:
    return rule.may_report(PythonTree(ast.parse(text), text))


# Pieces of freeze code, combined into a module with a model class, a builder and a function.
_RECEIVERS = st.sampled_from(
    ["p", "p.data", "p.data[:, :2]", "w", "t", "m", "self.head", "self.weight", "self.w",
     "model.backbone", "model.fc.weight", "sd[k]", "layer.weight.detach()", "block"]
)  # fmt: skip
_BINDINGS = st.sampled_from(
    ["w = layer.weight.data", "w = model.fc", "sd = model.state_dict()", "t = sd.get(k)",
     "m = build()", "block = model.blocks[0]", "w, t = layer.weight.data, 1", "p = get()",
     "names = ['blocks.1', 'blocks.2']", "self.w = layer.weight.data", "pass",
     "model = torchvision.models.resnet50()", "model.train()"]
)  # fmt: skip
_LOOPS = st.sampled_from(
    ["for p in model.parameters():", "for m in model.modules():", "for i in range(3):",
     "for k, t in model.state_dict().items():", "for name, p in model.named_parameters():",
     "for block in model.children():", "for t in sd.values():", "for name in names:"]
)  # fmt: skip
_BODIES = st.sampled_from(
    ["{r}.requires_grad = {v}", "{r}.requires_grad_({v})", "{r}.requires_grad_()",
     "{r}.requires_grd = {v}", "if 'blocks.1' in name: {r}.requires_grad = {v}",
     "if name.startswith(f'layer.{{i}}'): {r}.requires_grad = {v}",
     "if 'bn' in name: {r}.requires_grad = {v}",
     "if 'bn' in name or flag and 'fc' in name: {r}.requires_grad = {v}",
     "if 'bn' in name or flag and 'fc' in name: continue\n        {r}.requires_grad = {v}",
     "{r}.requires_grad_(k or flag and i)", "freeze_({r}, not flag or k and i)",
     "kept = [p for n, p in model.named_parameters() if 'a' in n or flag and i]",
     "kept = list(filter(lambda p: p.requires_grad or flag and i, model.parameters()))",
     "{r}.requires_grad = {v} if 'bn' in name or flag and i else {v}"]
)  # fmt: skip
# Calls of `freeze` (whose parameters the receivers may be): modules, tensors, unpacking.
_CALLS = st.sampled_from(
    ["pass", "freeze(torchvision.models.resnet50(), nn.Linear(2, 2), 0, True)",
     "freeze(build(), torchvision.models.resnet50().fc.weight, k=1, flag=False)",
     "freeze(*parts)", "freeze(model=Net(nn.Linear(2, 2)), layer=x, k=1, flag=1)",
     "freeze(m.weight.data, layer=net, **options)", "freeze(p, Net(p), 'k', flag)"]
)  # fmt: skip
_VALUES = st.sampled_from(["False", "True", "flag", "build()", "not flag or k and flag"])
_RETURNS = st.sampled_from(
    ["nn.Linear(2, 2)", "layer.weight.data", "model.state_dict()", "p", "k or flag and p"]
)


@st.composite
def freeze_modules(draw: st.DrawFn) -> str:
    body = draw(_BODIES).format(r=draw(_RECEIVERS), v=draw(_VALUES))
    loop = draw(_LOOPS)
    lines = [
        "import torch.nn as nn",
        "import torchvision",
        "class Net(nn.Module):",
        "    def __init__(self, layer):",
        f"        {draw(_BINDINGS)}",
        "        self.head = nn.Linear(2, 2)",
        "def build():",
        f"    return {draw(_RETURNS)}",
        "def freeze(model, layer, k, flag):",
        f"    {draw(_BINDINGS)}",
        f"    {loop}",
        f"        {draw(_BINDINGS)}",
        f"        {body}",
        f"    {draw(_RECEIVERS)}.requires_grad = {draw(_VALUES)}",
        f"    {draw(_BINDINGS)}",
        draw(_CALLS),
    ]
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None)
@given(freeze_modules())
def test_a_rule_the_prefilter_rules_out_finds_nothing(text: str) -> None:
    for rule in PREFILTERED:
        if not may_report(text, rule):
            assert findings(text, rule) == [], f"{rule.code} prefilter hides a finding:\n{text}"


def test_the_rules_with_a_prefilter() -> None:
    assert [rule.code for rule in PREFILTERED] == [
        "FT001", "FT002", "FT003", "FT004", "FT006", "FT007", "FT008", "FT012", "FT013",
        "FT017", "FT215",
    ]  # fmt: skip


NAMELESS = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop)


# Syntax the package itself may not use: every field that holds a name, a flag or a constant
# (`PythonTree.nodes` skips them) beside the fields that hold nodes.
EVERY_SYNTAX = """
import a.b as c
from .. import d as e
global g
@deco(k=1)
async def f(x: int, /, y=2, *args: str, z, **kw) -> None:  # type: ignore
    nonlocal_ = lambda q, *, r=3: q
    async with a as (b, c):
        async for i in aiter():
            yield (await b)
    x += 1
    y: list[int] = [v async for v in w if v]
    print(f"{x!r:>{y}} {z=}", b"raw", ..., None, 1j, -x, not x, x if y else z)
    del x[1:2:3], y.attr
    match x:
        case {"k": [1, *rest]} | Point(x=0, y=_) as p if p:
            raise ValueError from None
        case [True, None, -1.5, "s", *_]:
            pass
    try:
        assert x, "message"
    except* (OSError, ValueError) as error:
        return {**kw, 1: 2} or {s for s in kw} and {k: v for k, v in kw.items()}
    finally:
        (n := 1)
class K(B, metaclass=M):
    def method(self):
        nonlocal_name = 1
        global g2
"""


@pytest.mark.parametrize("where", ["package", "every syntax"])
def test_the_prefilters_see_every_node_that_names_something_in_walk_order(where) -> None:
    sources = (
        [path.read_text(encoding="utf-8") for path in Path(ftlint.__file__).parent.rglob("*.py")]
        if where == "package"
        else [EVERY_SYNTAX]
    )
    seen = 0
    for text in sources:
        tree = ast.parse(text)
        python = PythonTree(tree, text)
        nodes = python.nodes
        walked = [node for node in ast.walk(tree) if not isinstance(node, NAMELESS)]
        assert len(nodes) == len(walked), text[:200]
        assert all(map(operator.is_, nodes, walked)), text[:200]
        kinds = set(map(type, walked)) | {ast.Interactive}  # never inside a module
        grouped = {kind: [node for node in walked if isinstance(node, kind)] for kind in kinds}
        assert {kind: python.of_kind(kind) for kind in kinds} == grouped
        seen += len(nodes)
    assert seen > (50_000 if where == "package" else 150)


LOOP_VARIABLE = """
def freeze(model):
    for p in model.backbone.parameters():
        p.requires_grad = False
"""
MODULE_LOOP_VARIABLE = """
def freeze(model):
    for p in model.backbone.modules():
        p.requires_grad = False
"""
PARAMETER_LOOP = """
for p in model.parameters():
    w = p.data
    w.requires_grad = False
"""
PARAMETER_LOOP_CLEAN = """
for p in model.parameters():
    w = p
    w.requires_grad = False
"""


def test_verdicts_on_a_loop_variable_and_their_twins() -> None:
    ft004, ft006 = CATALOG["FT004"], CATALOG["FT006"]
    assert issubclass(ft004, Rule) and issubclass(ft006, Rule)
    assert (may_report(LOOP_VARIABLE, ft004), findings(LOOP_VARIABLE, ft004)) == (False, [])
    assert (may_report(MODULE_LOOP_VARIABLE, ft004), findings(MODULE_LOOP_VARIABLE, ft004)) == (
        True,
        [("FT004", 4)],
    )
    assert (may_report(PARAMETER_LOOP_CLEAN, ft006), findings(PARAMETER_LOOP_CLEAN, ft006)) == (
        False,
        [],
    )
    assert (may_report(PARAMETER_LOOP, ft006), findings(PARAMETER_LOOP, ft006)) == (
        True,
        [("FT006", 4)],
    )


# Pieces of transformers and peft training scripts for FT012 and FT017: imports (absolute,
# relative, inside a function), configs, checkpointing calls and Trainers, in any order.
_SCRIPT_LINES = st.sampled_from(
    ["from transformers import Trainer, TrainingArguments", "import transformers as tf",
     "from .training_args import TrainingArguments", "from peft import LoraConfig",
     "from peft.tuners import lora", "def load():\n    from peft import LoraConfig as C",
     "config = LoraConfig(target_modules='q_proj,v_proj')",
     "config = lora.LoraConfig(target_modules=['.*q_proj'])", "config = C(target_modules='q v')",
     "config = LoraConfig(r=8)",
     "model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={'use_reentrant': False})",
     "model.activation_checkpointing_enable(activation_checkpointing_kwargs={'a': 1})",
     "model.gradient_checkpointing_enable()",
     "args = TrainingArguments('out', gradient_checkpointing=True)",
     "args = tf.TrainingArguments('out', activation_checkpointing=True)",
     "args = TrainingArguments('out', gradient_checkpointing=False)",
     "Trainer(model=model, args=args).train()", "tf.Trainer(model, args).train()",
     "Trainer(model=model, args=TrainingArguments('o', gradient_checkpointing=True)).train()"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_SCRIPT_LINES, min_size=1, max_size=8))
def test_peft_and_trainer_prefilters_hide_no_finding(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    for code in ("FT012", "FT017"):
        rule = CATALOG[code]
        assert issubclass(rule, Rule)
        if not may_report(text, rule):
            assert findings(text, rule) == [], f"{code} prefilter hides a finding:\n{text}"


FT003_TYPO = """
for p in model.parameters():
    p.require_grad = False
"""
FT012_STRING = """
from peft import LoraConfig
config = LoraConfig(target_modules="q_proj,v_proj")
"""
FT017_OVERRIDDEN = """
from transformers import Trainer, TrainingArguments
model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
args = TrainingArguments("out", gradient_checkpointing=True)
Trainer(model=model, args=args).train()
"""


FT001_TEST = """
for name, p in model.named_parameters():
    if not train_backbone or "layer2" not in name and "layer3" not in name:
        p.requires_grad_(False)
"""
FT001_HELPER = """
trainable = lambda name: "head" in name or train_all and "layer4" in name
for name, p in model.named_parameters():
    p.requires_grad = trainable(name)
"""
FT002_CALLBACK = """
from lightning.pytorch.callbacks import BackboneFinetuning
callback = BackboneFinetuning(unfreeze_backbone_at_epoch=5, train_bn=False)
"""
FT215_LAZY = """
from detectron2.config import LazyCall as L
from detectron2.modeling.backbone import ResNet
backbone = L(ResNet)(stem=None, stages=None, freeze_at=-1)
"""


FT004_THROUGH_CALLS = """
import torchvision
def freeze_head(flag, m):
    m.fc.requires_grad = flag
def freeze_model(flag, model):
    freeze_head(flag, m=model)
freeze_model(False, torchvision.models.resnet50())
"""


@pytest.mark.parametrize(
    ("code", "reported", "cleared"),
    [
        # Followed through two calls: a module, then a tensor (`fc.weight`), as the rule reads it.
        (
            "FT004",
            FT004_THROUGH_CALLS,
            FT004_THROUGH_CALLS.replace("m.fc.requires_grad", "m.requires_grad").replace(
                "resnet50()", "resnet50().fc.weight"
            ),
        ),
        # The mix decides nothing once the branch freezes nothing.
        ("FT001", FT001_TEST, FT001_TEST.replace("p.requires_grad_(False)", "print(p)")),
        ("FT001", FT001_HELPER, FT001_HELPER.replace("or train_all and", "or")),
        # Lightning's class named only in a comment and a string.
        (
            "FT002",
            FT002_CALLBACK,
            FT002_CALLBACK.replace("import BackboneFinetuning", "import BF  # BackboneFinetuning")
            .replace("BackboneFinetuning(", "BF(")
            .replace("callback =", "'BackboneFinetuning'\ncallback ="),
        ),
        ("FT215", FT215_LAZY, FT215_LAZY.replace("L(ResNet)", "L(ResNetish)")),
        (
            "FT215",
            FT215_LAZY.replace("L(ResNet)", "L(backbone=ResNet)"),
            FT215_LAZY.replace("freeze_at=", "freeze="),
        ),
        ("FT003", FT003_TYPO, FT003_TYPO.replace("require_grad", "requires_grad")),
        ("FT012", FT012_STRING, FT012_STRING.replace("from peft", "from .peft")),
        ("FT017", FT017_OVERRIDDEN, FT017_OVERRIDDEN.replace("=True", "=False")),
    ],
)
def test_new_prefilter_verdicts_and_their_twins(code: str, reported: str, cleared: str) -> None:
    rule = CATALOG[code]
    assert issubclass(rule, Rule)
    assert may_report(reported, rule) and [c for c, _ in findings(reported, rule)] == [code]
    assert not may_report(cleared, rule) and findings(cleared, rule) == []


@pytest.mark.parametrize(
    ("code", "shape"), [("FT006", "detached-copy"), ("FT004", "module-receiver")]
)
@settings(max_examples=300, deadline=None)
@given(text=freeze_modules())
def test_a_receiver_shape_admits_whatever_its_rule_reports(
    code: str, shape: str, text: str
) -> None:
    rule = CATALOG[code]
    assert issubclass(rule, Rule) and rule.candidate_shape == shape
    assert SHAPES[shape](FileText(text)) or findings(text, rule) == [], text


LOOP_VARIABLES = """
class Encoder(nn.Module):
    def freeze(self):
        # the weights
        for name, param in self.named_parameters():
            param.requires_grad = False
"""


@pytest.mark.parametrize(
    "cleared",
    [LOOP_VARIABLES, LOOP_VARIABLES.replace("param.requires_grad", "param . requires_grad")],
)
@pytest.mark.parametrize(
    "admitted",
    [
        # A module iterator, a module-only method, a parameter, another binding, a misspelling
        # on `self`, a name spelt with a character CPython normalises, an unread receiver.
        ("self.named_parameters()", "self.named_modules()"),
        ("= False", "= False\n            param.eval()"),
        ("def freeze(self):", "def freeze(self, param=None):"),
        ("# the weights", "param = self.head"),
        ("self.named_parameters():", "self.blocks[1:\n        ].modules():"),
        ("self.named_parameters():", "self.named_parameters():  # all"),
        ("= False", "= False\n        self.require_grad = 1"),
        ("class Encoder", "ﬁ = 1\nclass Encoder"),
        ("            param", "            (param)"),
    ],
)
def test_the_module_receiver_shape_verdicts(cleared: str, admitted: tuple[str, str]) -> None:
    shape = SHAPES["module-receiver"]
    assert not shape(FileText(cleared))
    assert shape(FileText(cleared.replace(*admitted))), admitted


def test_the_module_elements_cover_the_rules_iterators() -> None:
    from ftlint.analysis.model_iterators import DICT_VALUES
    from ftlint.analysis.receivers import MODULE_ELEMENT_ATTRIBUTES
    from ftlint.rules.ft004_module_requires_grad_attribute import _MODULE_ITERATORS

    assert MODULE_ELEMENT_ATTRIBUTES == {*_MODULE_ITERATORS, *DICT_VALUES, "_modules"}


@pytest.mark.parametrize(
    ("text", "called"),
    [
        ("f(x)", True),
        ("y = (f)(x)", True),
        ("f \\\n  (x)", True),
        ("g(f  # why\n  (x))", True),
        ("def  f(x): pass", True),  # not settled: a `def` spaced otherwise is read as a call
        ("ﬁ = 1\ndef f(x): pass", True),  # a name CPython normalises settles nothing
        ("def f(x): pass", False),
        ("async def f(x): pass", False),
        ("x.f(1)", False),
        ("ff(1) + f_(2)", False),
        ("f = 1", False),
    ],
)
def test_what_the_text_says_of_calls_of_a_name(text: str, called: bool) -> None:
    from ftlint.analysis.receivers import TextNames

    assert TextNames(text).may_call("f") is called


@pytest.mark.parametrize(
    ("text", "called"),
    [
        ("m.eval()", True),
        ("(m).train(False)", True),
        ("g(m  # why\n  .\\\n  parameters())", True),
        ("m.evaluate()", False),
        ("x.m.eval()", False),
        ("mm.eval()", False),
        ("m.to(0)", False),
    ],
)
def test_what_the_text_says_of_methods_called_on_a_name(text: str, called: bool) -> None:
    from ftlint.analysis.receivers import TextNames

    assert TextNames(text).may_call_method("m", {"eval", "train", "parameters"}) is called


_CALL_PIECES = st.sampled_from(
    ["f", "m", "x", "(", ")", ".", " ", "\\\n", "  # c\n", "eval", "train", "def ", "=", "1",
     ",", "\n"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_CALL_PIECES, min_size=1, max_size=12).map("".join))
def test_the_text_holds_every_call_the_tree_holds(text: str) -> None:
    from ftlint.analysis.receivers import TextNames

    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = None
    assume(tree is not None)
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    names = TextNames(text)
    for call in calls:
        if isinstance(call.func, ast.Name):
            assert names.may_call(call.func.id), text
        if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
            assert names.may_call_method(call.func.value.id, {call.func.attr}), text


HIDDEN_STATES = """
import torch.nn as nn
class Encoder(nn.Module):
    def forward(self, hidden_states):
        hidden_states = self.conv(hidden_states)
        if self.training:
            hidden_states.requires_grad = True
        return hidden_states
"""


@pytest.mark.parametrize(
    ("text", "module", "walked"),
    [
        (HIDDEN_STATES, False, False),
        # A module-only method called on the name, or a call of the function taking it: only
        # the calls in the tree tell what they make of it.
        (HIDDEN_STATES.replace("return hidden_states", "hidden_states.eval()"), True, True),
        (HIDDEN_STATES + "forward(None, 1)\n", False, True),
        (HIDDEN_STATES + "forward(None, nn.Linear(1, 1))\n", True, True),
    ],
)
def test_the_module_receiver_prefilter_walks_the_calls_only_when_the_text_holds_one(
    text: str, module: bool, walked: bool
) -> None:
    tree = PythonTree(ast.parse(text), text)
    assert CATALOG["FT004"].may_report(tree) is module  # type: ignore[attr-defined]
    assert ("nodes" in vars(tree)) is walked


@pytest.mark.parametrize(
    ("text", "defined"),
    [
        ("w = torch.zeros(2, requires_grad=True)\nm.requires_grad = False", False),
        ("x.requires_grad = False\nrequires_grad_ = 1", False),
        ("class M(nn.Module):\n    @property\n    def requires_grad(self): ...", True),
        ("class M(nn.Module):\n    async def requires_grad(self): ...", True),
        ("class M(nn.Module):\n    def f(self):\n        a = requires_grad = 1", True),
    ],
)
def test_what_cpython_tree_says_of_a_class_defining_requires_grad(text: str, defined: bool) -> None:
    from ftlint.rules.ft004_module_requires_grad_attribute import _may_define_requires_grad

    assert _may_define_requires_grad(PythonTree(ast.parse(text), text)) is defined


STATEMENTS = """
import os
async def main(x):
    async with x as (a, b):
        async for i in x:
            a.b = b[0] = c = 1
        else:
            pass
    try:
        (d, *e), f.g = x
    except* ValueError as err:
        h: int = 2
    else:
        while (n := x):
            break
        else:
            continue
    finally:
        match x:
            case [1, *rest] if rest:
                class K:
                    def f(self): return self
            case _:
                lambda: 1
"""


def _placed_by_fields(tree: ast.Module) -> list[tuple[ast.stmt, ast.AST | None]]:
    """Every statement with its innermost `def` or class, read through every field of every
    node: what `PythonTree.statements` finds by the fields that hold statements alone."""
    found: list[tuple[ast.stmt, ast.AST | None]] = []

    def visit(node: ast.AST, scope: ast.AST | None) -> None:
        if isinstance(node, ast.stmt):
            found.append((node, scope))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope = node
        for _, value in ast.iter_fields(node):
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
                    visit(child, scope)

    for statement in tree.body:
        visit(statement, None)
    return found


def test_the_statements_are_every_statement_in_source_order_with_its_scope() -> None:
    tree = ast.parse(STATEMENTS)
    placed = [(p.statement, p.scope) for p in PythonTree(tree, STATEMENTS).statements]
    assert placed == _placed_by_fields(tree)
    assert len(placed) == 17


def test_bindings_follow_every_stored_name_and_attribute_of_a_target() -> None:
    tree = PythonTree(ast.parse(STATEMENTS), STATEMENTS)
    bound = {
        name: [ast.unparse(value) for value in values]
        for name, values in tree.bindings.values.items()
    }
    assert bound == {"c": ["1"], "d": ["x"], "e": ["x"], "h": ["2"], "n": ["x"]}
    attributes = {
        name: [ast.unparse(value) for value in values]
        for name, values in tree.bindings.attributes.items()
    }
    assert attributes == {"b": ["1"], "g": ["x"]}
