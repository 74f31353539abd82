from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from ftlint.analysis.collisions import (
    INDEX_PREFIX_END,
    SUBSTRING_METHODS,
    UNANCHORED_SEARCHES,
    literal_collides,
    names_many,
)
from ftlint.analysis.model_iterators import Kind
from ftlint.analysis.nodes import is_call, one_line
from ftlint.analysis.parts import (
    ModelLoop,
    ModelLoops,
    comprehension_clauses,
)
from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability
from ftlint.prefilters import ft007_name_substring_collision as ft007_prefilter
from ftlint.rules.base import Rule

if TYPE_CHECKING:
    from ftlint.analysis.file import FileAnalysis

StringNode = cst.SimpleString | cst.FormattedString
_CONSEQUENCES: dict[Kind, str] = {
    "parameter": "on a model with more than ten such blocks, their parameters pass the test too "
    "and are frozen or trained along with the one meant",
    "module": "on a model with more than ten such blocks, those modules pass the test too and "
    "are switched along with the one meant",
    "state": "on a checkpoint with more than ten such blocks, their tensors pass the test too "
    "and are kept, renamed or dropped along with the one meant",
}


def _string_nodes(node: cst.BaseExpression) -> list[cst.SimpleString]:
    """The string literals of ``'a'`` or of a list/tuple/set display of them."""
    if isinstance(node, cst.SimpleString):
        return [node]
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return [e.value for e in node.elements if isinstance(e.value, cst.SimpleString)]
    return []


def _is_range(node: cst.BaseExpression) -> bool:
    return is_call(node, "range")


def _ends_with_range_index(node: cst.FormattedString, ranges: set[str]) -> bool:
    """``f"encoder.layer.{i}"`` with ``i`` from ``range(...)``."""
    if len(node.parts) < 2:
        return False
    *_, text, index = node.parts
    return (
        isinstance(text, cst.FormattedStringText)
        and INDEX_PREFIX_END.search(text.value) is not None
        and isinstance(index, cst.FormattedStringExpression)
        and index.format_spec is None
        and index.conversion is None
        and isinstance(index.expression, cst.Name)
        and index.expression.value in ranges
    )


def _with_separator(node: StringNode, separator: str) -> str:
    quote = node.quote if isinstance(node, cst.SimpleString) else node.end
    code = cst.Module([]).code_for_node(node)
    return code[: -len(quote)] + separator + code[-len(quote) :]


class NameSubstringCollision(Rule):
    """
    ## What it does
    Flags a test of a parameter, module or state-dict name against a string that ends in a
    block index from 1 to 9 without a separator after it: `'encoder.layer.1' in name`,
    `'encoder_layer_1' in name` (blocks numbered with `_` when named layers or blocks),
    `name.startswith('blocks.1')`, `name.find('h.1')`, `re.search(r'layers\\.1', name)`, an
    f-string such as `f'encoder.layer.{i}' in name` with `i` from `range(...)`, or a loop over a
    list of such strings. Only names that come from `named_parameters()`, `named_modules()`,
    `named_children()` or a state dict are checked.

    ## Why is this bad?
    Sub-modules of a `ModuleList` are named by their index, and `'encoder.layer.1'` is a prefix
    of `'encoder.layer.10'` and `'encoder.layer.11'`. On a 12-layer BERT, "freeze layer 1"
    also freezes layers 10 and 11, and "train only layer 1" trains three layers. Nothing fails:
    the wrong parameters quietly train. `ftlint verify` shows which names collide on the real
    model.

    ## Example
    ```python
    for name, param in model.named_parameters():
        if 'encoder.layer.1' in name:
            param.requires_grad = False
    ```

    ## Fix
    End the prefix with the separator (an unsafe fix: it changes which names match, which is the
    point):

    ```python
    for name, param in model.named_parameters():
        if 'encoder.layer.1.' in name:
            param.requires_grad = False
    ```
    Module names have no trailing separator (`encoder.layer.1` itself), so for
    `named_modules()` test `name == 'encoder.layer.1' or name.startswith('encoder.layer.1.')`.
    """

    code = "FT007"
    name = "name-substring-collision"
    summary = "Name test on block 1 also matches blocks 10 to 19"
    fix = Applicability.UNSAFE
    required_tokens = ("named_parameters", "named_modules", "named_children", "state_dict")
    # A string that ends in `.1`-`.9` (or an f-string in `.{i}`), tested with `in`, passed to a
    # call, or in a list or tuple.
    candidate_shape = "colliding-name"

    VALID = [
        Valid(
            """
            for name, param in model.named_parameters():
                if 'encoder.layer.1.' in name:
                    param.requires_grad = False
            """
        ),
        # ResNet stages are `layer1`..`layer4`: the digit is part of the name, not an index.
        Valid(
            """
            for name, param in model.named_parameters():
                if 'layer4' not in name:
                    param.requires_grad = False
            """
        ),
        # No index starts with 0: `blocks.0` only matches block 0.
        Valid(
            """
            for name, param in model.named_parameters():
                param.requires_grad = 'blocks.0' in name
            """
        ),
        # A list of names, not a parameter name: membership is exact.
        Valid(
            """
            frozen = ['encoder.layer.1', 'encoder.layer.2']
            if 'encoder.layer.1' in frozen:
                print('frozen')
            """
        ),
        # Backbones have four or five stages: `stage.1` never meets a `stage.10`.
        Valid(
            """
            for name, parameter in backbone.named_parameters():
                if "stage.1" not in name and "stage.2" not in name and "stage.3" not in name:
                    parameter.requires_grad_(False)
            """
        ),
        Valid(
            """
            for name, module in model.named_modules():
                if name == 'encoder.layer.1' or name.startswith('encoder.layer.1.'):
                    module.eval()
            """
        ),
        Valid(
            """
            import re
            for name, param in model.named_parameters():
                if re.search(r'blocks\\.1\\.', name):
                    param.requires_grad = True
            """
        ),
    ]
    INVALID = [
        # The last element of a tuple written without parentheses ends the `for` header.
        Invalid(
            """
            for name, param in model.named_parameters():
                for block in 'stage', 'blocks.2':
                    if block in name:
                        param.requires_grad = False
            """,
            line=2,
            message_contains="with `block = 'blocks.2'` may also match `blocks.20`",
        ),
        # An escape spells the separator: the name is still `blocks.1`.
        Invalid(
            """
            for name, param in model.named_parameters():
                if name.startswith('blocks\\x2e1'):
                    param.requires_grad = False
            """,
            line=2,
            message_contains="may also match `blocks.10`",
        ),
        Invalid(
            """
            for name, param in model.named_parameters():
                if 'encoder.layer.1' in name:
                    param.requires_grad = False
            """,
            line=2,
            message_contains="may also match `encoder.layer.10`",
            expected_replacement="""
            for name, param in model.named_parameters():
                if 'encoder.layer.1.' in name:
                    param.requires_grad = False
            """,
        ),
        Invalid(
            """
            trainable = [p for n, p in model.named_parameters() if n.startswith("blocks.1")]
            """,
            expected_replacement="""
            trainable = [p for n, p in model.named_parameters() if n.startswith("blocks.1.")]
            """,
        ),
        Invalid(
            """
            for i in range(num_frozen_layers):
                for name, param in bert.named_parameters():
                    if f"encoder.layer.{i}" in name:
                        param.requires_grad = False
            """,
            line=3,
            expected_replacement="""
            for i in range(num_frozen_layers):
                for name, param in bert.named_parameters():
                    if f"encoder.layer.{i}." in name:
                        param.requires_grad = False
            """,
        ),
        Invalid(
            """
            for name, param in vit.named_parameters():
                param.requires_grad = any(block in name for block in ("blocks.1", "blocks.11"))
            """,
            expected_replacement="""
            for name, param in vit.named_parameters():
                param.requires_grad = any(block in name for block in ("blocks.1.", "blocks.11"))
            """,
        ),
        Invalid(
            """
            import re
            state_dict = torch.load(path)
            for key in list(state_dict.keys()):
                if re.search(r"layers\\.2", key):
                    del state_dict[key]
            """,
            line=4,
            expected_replacement="""
            import re
            state_dict = torch.load(path)
            for key in list(state_dict.keys()):
                if re.search(r"layers\\.2\\.", key):
                    del state_dict[key]
            """,
        ),
        # Module names: no fix, since `encoder.layer.1` itself has no trailing dot.
        Invalid(
            """
            for name, module in model.named_modules():
                if 'encoder.layer.1' in name:
                    module.eval()
            """,
            message_contains="name == 'encoder.layer.1' or name.startswith('encoder.layer.1.')",
        ),
    ]

    prefilter = staticmethod(ft007_prefilter.may_report)

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        self._loops = ModelLoops()
        # Loop variables over string literals (`for block in ("blocks.1", ...)`), innermost last.
        self._literal_loops: list[tuple[str, list[cst.SimpleString]]] = []
        self._ranges: list[str] = []  # loop variables over `range(...)`
        self._string_lists: dict[str, list[cst.SimpleString]] = {}  # `FROZEN = ["blocks.1"]`
        self._reported: set[int] = set()

    # Loops: what names and strings each variable holds.

    def _enter(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> None:
        self._loops.enter(target, iterable)
        variable = target.value if isinstance(target, cst.Name) else ""
        literals = _string_nodes(iterable)
        if isinstance(iterable, cst.Name):
            literals = self._string_lists.get(iterable.value, [])
        self._literal_loops.append((variable, literals))
        self._ranges.append(variable if _is_range(iterable) else "")

    def _leave(self) -> None:
        self._loops.leave()
        self._literal_loops.pop()
        self._ranges.pop()

    def visit_For(self, node: cst.For) -> None:
        self._enter(node.target, node.iter)

    def leave_For(self, original_node: cst.For) -> None:
        self._leave()

    def _enter_comprehension(self, node: cst.BaseComp | cst.DictComp) -> None:
        for clause in comprehension_clauses(node):
            self._enter(clause.target, clause.iter)

    def _leave_comprehension(self, node: cst.BaseComp | cst.DictComp) -> None:
        for _ in comprehension_clauses(node):
            self._leave()

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _enter_comprehension
    leave_ListComp = leave_SetComp = leave_GeneratorExp = leave_DictComp = _leave_comprehension

    def visit_Assign(self, node: cst.Assign) -> None:
        literals = _string_nodes(node.value)
        if literals and not isinstance(node.value, cst.SimpleString):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self._string_lists[target.target.value] = literals

    # Tests of a name.

    def _name_loop(self, node: cst.BaseExpression) -> ModelLoop | None:
        """The model loop that binds ``node`` to a parameter, module or state-dict name."""
        if not isinstance(node, cst.Name):
            return None
        loop = self._loops.bound(node.value)
        return loop if loop is not None and loop.name == node.value else None

    def _tested_strings(self, node: cst.BaseExpression) -> list[StringNode]:
        """The strings a test of ``node`` can compare with: itself, or a loop variable's values."""
        if isinstance(node, (cst.SimpleString, cst.FormattedString)):
            return [node]
        if isinstance(node, cst.Name):
            for variable, literals in reversed(self._literal_loops):
                if variable == node.value:
                    return list(literals)
        return []

    def visit_Comparison(self, node: cst.Comparison) -> None:
        left = node.left
        for target in node.comparisons:
            loop = self._name_loop(target.comparator)
            if loop is not None and isinstance(target.operator, (cst.In, cst.NotIn)):
                variable = left.value if isinstance(left, cst.Name) else None
                for string in self._tested_strings(left):
                    self._check(string, node, loop, regex=False, variable=variable)
            left = target.comparator

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not node.args:
            return
        if isinstance(func, cst.Attribute) and func.attr.value in SUBSTRING_METHODS:
            loop = self._name_loop(func.value)
            if loop is not None:
                for string in _string_nodes(node.args[0].value):
                    self._check(string, node, loop, regex=False)
        elif len(node.args) >= 2 and self.file.imports.qualify(func) in UNANCHORED_SEARCHES:
            loop = self._name_loop(node.args[1].value)
            if loop is not None:
                for string in _string_nodes(node.args[0].value):
                    self._check(string, node, loop, regex=True)

    def _collides(self, string: StringNode, regex: bool) -> bool:
        if isinstance(string, cst.SimpleString):
            value = string.evaluated_value
            return isinstance(value, str) and literal_collides(value, regex)
        if regex or not _ends_with_range_index(string, set(filter(None, self._ranges))):
            return False
        text = string.parts[-2]
        assert isinstance(text, cst.FormattedStringText)  # _ends_with_range_index checked it
        return names_many(text.value)

    def _check(
        self,
        string: StringNode,
        test: cst.CSTNode,
        loop: ModelLoop,
        regex: bool,
        variable: str | None = None,  # the loop variable that holds `string`, if any
    ) -> None:
        if id(string) in self._reported or not self._collides(string, regex):
            return
        self._reported.add(id(string))
        code = self.file.module.code_for_node
        test_code = one_line(code(test), None)
        if variable is not None:
            test_code += f"` with `{variable} = {code(string)}"
        if isinstance(string, cst.SimpleString):
            colliding, when = str(string.evaluated_value).replace("\\.", "."), ""
        else:
            *text, index = string.parts
            assert isinstance(index, cst.FormattedStringExpression)  # _collides checked `{i}`
            colliding = "".join(code(part) for part in text) + "1"
            when = f" (when `{code(index.expression)}` is 1)"
        self._report(string, loop, regex, f"`{test_code}` may also match `{colliding}0`, "
                     f"`{colliding}1`, …{when}: {_CONSEQUENCES[loop.kind]}")  # fmt: skip

    def _report(self, string: StringNode, loop: ModelLoop, regex: bool, message: str) -> None:
        if loop.kind == "module":
            code = self.file.module.code_for_node
            self.report(
                string,
                f"{message}. Module names have no trailing separator: test `{loop.name} == "
                f"{code(string)} or {loop.name}.startswith({_with_separator(string, '.')})`",
            )
            return
        separator = ("\\." if "r" in string.prefix.lower() else "\\\\.") if regex else "."
        fixed = _with_separator(string, separator)
        self.report(
            string,
            f"{message}. End the prefix with its separator: `{fixed}`",
            edits=[self.replace(string, fixed)],
            fix_message=f"Use {fixed}",
        )
