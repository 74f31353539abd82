from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from ftlint.analysis.nodes import is_attribute
from ftlint.analysis.receivers import GAP
from ftlint.analysis.tensors import consequence, literal_bool
from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability
from ftlint.rules.base import Rule

if TYPE_CHECKING:
    from ftlint.analysis.file import FileAnalysis

_NEGATING = (cst.NotEqual, cst.IsNot)


class NoOpRequiresGrad(Rule):
    """
    ## What it does
    Flags a statement that only looks like it sets `requires_grad`: a comparison thrown away
    (`p.requires_grad == False`, `p.requires_grad is False`, `p.requires_grad != True`) and the
    method named without being called (`p.requires_grad_`). Comparisons in `assert`, `if`,
    `filter` or comprehensions are what they look like and are not reported, nor is the last
    top-level line of a notebook cell, which Jupyter displays.

    ## Why is this bad?
    The statement computes a value and drops it: the parameter keeps training. A `==` typed for
    `=` is the usual cause.

    ## Example
    ```python
    for param in model.features.parameters():
        param.requires_grad == False
    ```

    ## Fix
    Assign (an unsafe fix, offered for `==`, whose intent is plain; `is` and `!=` may be a
    condition left half-written, so they get no fix), or call the method:

    ```python
    for param in model.features.parameters():
        param.requires_grad = False
    model.classifier.weight.requires_grad_(True)
    ```
    """

    code = "FT005"
    name = "no-op-requires-grad"
    summary = "Statement compares or names `requires_grad` instead of setting it"
    fix = Applicability.UNSAFE
    required_tokens = (".requires_grad",)
    # A comparison of `requires_grad`, or the method named and not called.
    candidate_pattern = rf"\.[\s\\]*requires_grad(?:{GAP}(?:[=!]=|is\b)|_(?![ \t]*\())"

    VALID = [
        Valid(
            """
            for param in model.features.parameters():
                assert param.requires_grad == False
                if param.requires_grad is True:
                    param.requires_grad = False
            trainable = [p for p in model.parameters() if p.requires_grad == True]
            frozen = list(filter(lambda p: p.requires_grad == False, model.parameters()))
            flags = p.requires_grad == False
            """
        ),
        Valid(
            """
            model.classifier.weight.requires_grad_(True)
            print(model.classifier.weight.requires_grad == True)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            for param in model.features.parameters():
                param.requires_grad == False
            """,
            line=2,
            message_contains="nothing is frozen: `param.requires_grad == False` compares",
            expected_replacement="""
            for param in model.features.parameters():
                param.requires_grad = False
            """,
        ),
        Invalid(
            """
            for name, param in model.named_parameters():
                if name.startswith("classifier"):
                    param.requires_grad is True
            """,
            line=3,
            message_contains="nothing is unfrozen",
        ),
        Invalid(
            """
            for param in model.encoder.parameters():
                param.requires_grad != True
            """,
            message_contains="nothing is frozen",
        ),
        Invalid(
            """
            model.classifier.weight.requires_grad_
            """,
            message_contains="names the method without calling it",
        ),
    ]

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        self._depth = 0  # indented blocks around the current statement

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._depth += 1

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self._depth -= 1

    def visit_Expr(self, node: cst.Expr) -> None:
        expression = node.value
        if isinstance(expression, cst.Attribute) and expression.attr.value == "requires_grad_":
            if not self._displayed(node):
                method = self.file.module.code_for_node(expression)
                self.report(
                    node,
                    f"{consequence(None)}: `{method}` names the method without calling it; "
                    f"call `{method}(False)` to freeze",
                )
        elif (
            isinstance(expression, cst.Comparison)
            and len(expression.comparisons) == 1
            and isinstance(expression.comparisons[0].operator, (cst.Equal, cst.Is, *_NEGATING))
            and is_attribute(expression.left, "requires_grad")
            and not self._displayed(node)
        ):
            self._report_comparison(node, expression)

    def _report_comparison(self, node: cst.Expr, comparison: cst.Comparison) -> None:
        target = comparison.comparisons[0]
        requested = literal_bool(target.comparator)
        if requested is not None and isinstance(target.operator, _NEGATING):
            requested = not requested
        code = self.file.module.code_for_node
        if isinstance(target.operator, cst.Equal):  # `=` mistyped: the plain intent
            assert isinstance(comparison.left, cst.Attribute)  # the caller checked: `x.requires_grad`
            assignment = cst.Assign(
                targets=[cst.AssignTarget(comparison.left)],
                value=target.comparator,
                semicolon=node.semicolon,
            )
            self.report(
                node,
                f"{consequence(requested)}: `{code(comparison)}` compares and throws the result "
                f"away; `{code(comparison.left)} = {code(target.comparator)}` sets the flag",
                replacement=assignment,
                fix_message="Replace `==` with `=`",
            )
        else:
            self.report(
                node,
                f"{consequence(requested)}: `{code(comparison)}` compares and throws the result "
                "away; assign `requires_grad` to set the flag",
            )

    def _displayed(self, node: cst.Expr) -> bool:
        """A notebook cell's last top-level expression is shown by Jupyter: a deliberate look."""
        cells = self.file.source.cells
        if cells is None or self._depth:
            return False
        end = self.position(node).end.line
        lines = self.file.source.lines()
        for cell in cells:
            last = cell.first_row + cell.row_count - 1
            if cell.first_row <= end <= last:
                rest = lines[end:last]
                return all(not line.strip() or line.lstrip().startswith("#") for line in rest)
        return False
