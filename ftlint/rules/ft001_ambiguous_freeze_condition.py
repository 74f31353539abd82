from __future__ import annotations

from functools import cached_property

import libcst as cst

from ftlint.analysis.boolean import is_bare, or_operands, parenthesize_and_operands
from ftlint.analysis.file import FileAnalysis
from ftlint.analysis.freeze import (
    find_freeze_action,
    is_freeze_call,
    is_requires_grad_target,
    iterates_parameters,
)
from ftlint.analysis.nodes import find_all, one_line
from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability
from ftlint.prefilters import ft001_ambiguous_freeze_condition as ft001_prefilter
from ftlint.rules.base import Rule


def _defines_helper(node: cst.CSTNode) -> bool:
    """A ``def``, or ``name = lambda ...``."""
    return isinstance(node, cst.FunctionDef) or (
        isinstance(node, cst.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0].target, cst.Name)
        and isinstance(node.value, cst.Lambda)
    )


class _AmbiguousChains(cst.CSTVisitor):
    """Outermost ``or`` chains that hold a bare ``and`` operand."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[cst.BooleanOperation] = []

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> bool:
        if isinstance(node.operator, cst.Or) and any(
            is_bare(operand, cst.And) for operand in or_operands(node)
        ):
            self.found.append(node)
            return False
        return True

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False  # a lambda's body is judged where the lambda is used


class AmbiguousFreezeCondition(Rule):
    """
    ## What it does
    Flags a condition that mixes `or` and `and` without parentheses where it decides freezing:
    the test of an `if`/`elif`/ternary whose branch changes `requires_grad` (or calls `.eval()`,
    `.train()`, `requires_grad_()` or a freeze helper), the value given to `requires_grad`, and
    the filter of a comprehension or `filter(lambda ...)` that selects parameters or their names;
    also what a helper of this file returns (a lambda, a function defined once) when its result
    is given to `requires_grad` (`p.requires_grad = trainable(name)`).

    ## Why is this bad?
    `and` binds tighter than `or`, and `not` tighter than both: `not a or b and c` is
    `(not a) or (b and c)`, not `not (a or b and c)` nor `(not a or b) and c`. In freeze code the
    misreading trains the wrong parameters and nothing crashes. The DETR-style backbone loop

    ```python
    if not train_backbone or 'layer2' not in name and 'layer3' not in name and 'layer4' not in name:
        parameter.requires_grad_(False)
    ```

    freezes everything when `train_backbone` is false, and otherwise freezes `conv1`, `bn1` and
    `layer1` (126 trainable / 35 frozen tensors on a ResNet-50). Readers, and reviewers, often
    read it left to right as `(not train_backbone or 'layer2' not in name) and ...`, which trains
    87 tensors when `train_backbone` is false. `ftlint verify` shows both readings on the real model.

    ## Example
    ```python
    for name, parameter in backbone.named_parameters():
        if not train_backbone or 'layer2' not in name and 'layer3' not in name:
            parameter.requires_grad_(False)
    ```

    ## Fix
    Add the parentheses Python already implies (a safe fix: behaviour is unchanged), or the ones
    you meant:

    ```python
    for name, parameter in backbone.named_parameters():
        if not train_backbone or ('layer2' not in name and 'layer3' not in name):
            parameter.requires_grad_(False)
    ```
    """

    code = "FT001"
    name = "ambiguous-freeze-condition"
    summary = "Freeze condition mixes `or` and `and` without parentheses"
    fix = Applicability.SAFE
    required_tokens = (
        "requires_grad",
        "freez",
        ".eval(",
        ".train(",
        "parameters(",
        "modules(",
        "children(",
        "state_dict(",
    )
    candidate_shape = "mixed-and-or"

    VALID = [
        Valid(
            """
            for name, p in model.named_parameters():
                if not train_backbone or ('layer2' not in name and 'layer3' not in name):
                    p.requires_grad_(False)
            """
        ),
        # Mixed and/or that decides nothing about freezing is ruff's RUF021, not FT001.
        Valid(
            """
            if use_amp or device == "cuda" and fp16:
                scaler = torch.cuda.amp.GradScaler()
            """
        ),
        Valid(
            """
            for name, p in model.named_parameters():
                if "head" in name or "norm" in name:
                    p.requires_grad = True
            """
        ),
        Valid(
            """
            names = [n for n in layer_names if a or b and c]
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            for name, parameter in backbone.named_parameters():
                if not train_backbone or 'layer2' not in name and 'layer3' not in name and 'layer4' not in name:
                    parameter.requires_grad_(False)
            """,
            line=2,
            message_contains=(
                "not train_backbone or ('layer2' not in name and 'layer3' not in name and "
                "'layer4' not in name)"
            ),
            expected_replacement="""
            for name, parameter in backbone.named_parameters():
                if not train_backbone or ('layer2' not in name and 'layer3' not in name and 'layer4' not in name):
                    parameter.requires_grad_(False)
            """,
        ),
        Invalid(
            """
            for name, p in model.named_parameters():
                if "head" in name:
                    p.requires_grad = True
                elif "norm" in name and finetune_norm or "bias" in name:
                    p.requires_grad = True
                else:
                    p.requires_grad = False
            """,
            line=4,
        ),
        Invalid(
            """
            params = [p for n, p in model.named_parameters() if "lora" in n or "bias" in n and train_bias]
            """,
            message_contains="a parameter is selected whenever",
        ),
        Invalid(
            """
            optimizer = SGD(filter(lambda p: p.requires_grad or tune_all and p.dim() > 1, model.parameters()), lr=0.1)
            """
        ),
        Invalid(
            """
            for name, p in model.named_parameters():
                p.requires_grad = "head" in name or train_all and "layer4" in name
            """,
            expected_replacement="""
            for name, p in model.named_parameters():
                p.requires_grad = "head" in name or (train_all and "layer4" in name)
            """,
        ),
        Invalid(
            """
            for name, p in model.named_parameters():
                if name.startswith("fc") or keep_bn and "bn" in name:
                    continue
                p.requires_grad = False
            """,
            line=2,
        ),
    ]

    prefilter = staticmethod(ft001_prefilter.may_report)

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        self._reported: set[int] = set()
        self._loops: list[cst.For | cst.While] = []

    def _check(self, condition: cst.CSTNode | None, consequence: str) -> None:
        if condition is None:
            return
        chains = _AmbiguousChains()
        condition.visit(chains)
        for chain in chains.found:
            if id(chain) in self._reported:
                continue
            self._reported.add(id(chain))
            operands = or_operands(chain)
            alone = next((op for op in operands if not is_bare(op, cst.And)), operands[0])
            fixed = parenthesize_and_operands(chain)
            code = self.file.module.code_for_node
            self.report(
                chain,
                "freeze condition mixes `or` and `and` without parentheses; Python reads it as "
                f"`{one_line(code(fixed))}`, so {consequence} whenever "
                f"`{one_line(code(alone), 60)}` alone is true",
                replacement=fixed,
                fix_message="Add the parentheses Python already implies",
            )

    def _action_consequence(self, *branches: cst.CSTNode | None) -> str | None:
        action = find_freeze_action(self.file.module, *branches)
        return None if action is None else f"`{one_line(action, 60)}` runs"

    def visit_For(self, node: cst.For) -> None:
        self._loops.append(node)

    def leave_For(self, original_node: cst.For) -> None:
        self._loops.pop()

    def visit_While(self, node: cst.While) -> None:
        self._loops.append(node)

    def leave_While(self, original_node: cst.While) -> None:
        self._loops.pop()

    def visit_If(self, node: cst.If) -> None:
        consequence = self._action_consequence(node.body, node.orelse)
        skips_rest = isinstance(node.body, cst.IndentedBlock) and any(
            isinstance(small, (cst.Continue, cst.Break))
            for statement in node.body.body
            if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body
        )
        if consequence is None and skips_rest and self._loops:
            # `if cond: continue` followed by freeze code: the condition picks what is skipped.
            action = find_freeze_action(self.file.module, self._loops[-1].body)
            consequence = None if action is None else f"`{one_line(action, 60)}` is skipped"
        if consequence is not None:
            self._check(node.test, consequence)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        consequence = self._action_consequence(node.body, node.orelse)
        if consequence is not None:
            self._check(node.test, consequence)

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(is_requires_grad_target(target.target) for target in node.targets):
            self._check(node.value, "`requires_grad` is set to True")
            value = node.value
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
                # One indirection: `p.requires_grad = trainable(name)`, a helper of this file.
                call = one_line(self.file.module.code_for_node(value), 60)
                for result in self._helper_results.get(value.func.value, []):
                    self._check(result, f"`requires_grad` is set to True through `{call}`")

    @cached_property
    def _helper_results(self) -> dict[str, list[cst.BaseExpression]]:
        """What each function of this file defined once returns (a lambda's body, a ``def``'s
        ``return`` values), by name."""
        definitions: dict[str, list[list[cst.BaseExpression]]] = {}
        for node in find_all(self.file.module, _defines_helper):
            if isinstance(node, cst.FunctionDef):
                returns = find_all(node.body, lambda n: isinstance(n, cst.Return))
                results = [r.value for r in returns if isinstance(r, cst.Return) and r.value]
                definitions.setdefault(node.name.value, []).append(results)
            else:
                assert isinstance(node, cst.Assign) and isinstance(node.value, cst.Lambda)
                name = node.targets[0].target
                assert isinstance(name, cst.Name)
                definitions.setdefault(name.value, []).append([node.value.body])
        return {name: found[0] for name, found in definitions.items() if len(found) == 1}

    def visit_Call(self, node: cst.Call) -> None:
        if is_freeze_call(node):
            for arg in node.args:
                self._check(arg.value, "the call receives True")
        elif (
            isinstance(node.func, cst.Name)
            and node.func.value == "filter"
            and len(node.args) == 2
            and isinstance(node.args[0].value, cst.Lambda)
            and iterates_parameters(node.args[1].value)
        ):
            self._check(node.args[0].value.body, "a parameter is selected")

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if iterates_parameters(node.iter):
            for condition in node.ifs:
                self._check(condition.test, "a parameter is selected")
