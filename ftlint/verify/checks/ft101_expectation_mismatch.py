"""FT101 expectation-mismatch: the model's freeze state differs from its `# ftlint: expect` pragma."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Finding
from ftlint.runtime.expect import FreezeError, expect
from ftlint.verify.pragmas import find_pragmas
from ftlint.verify.runtime_check import RuntimeCheck

if TYPE_CHECKING:
    from libcst.metadata import CodeRange

    from ftlint.verify.targets import Target
    from ftlint.verify.verified import VerifiedFile


class ExpectationMismatch(RuntimeCheck):
    """
    ## What it does
    Compares the model, built and frozen as the file leaves it, with an expectation pragma on or
    just above its construction or its freeze code:

    ```python
    # ftlint: expect trainable=126 frozen=35
    # ftlint: expect trainable=layer2,layer3,layer4
    ```

    Integers count parameter tensors (`trainable_numel=`/`frozen_numel=` count elements);
    patterns are dotted-name prefixes or globs, as in `ftlint.expect`, and name exactly the
    trainable (or frozen) parameters. A pragma that sits on no model is reported too.

    ## Why is this bad?
    Freeze code that trains the wrong parameters does not crash: the run only converges to a
    worse model. A pragma turns the intent into a check that runs on every `ftlint verify`,
    without a GPU or the pretrained weights.

    ## Example
    ```python
    backbone = resnet50(weights=ResNet50_Weights.DEFAULT)
    # ftlint: expect trainable=layer3,layer4,fc
    for name, parameter in backbone.named_parameters():
        if "layer4" not in name:
            parameter.requires_grad_(False)
    ```

    ## Fix
    Change the freeze code, or the pragma when the intent changed. The freeze map printed by
    `ftlint verify` shows which blocks train.
    """

    code = "FT101"
    name = "expectation-mismatch"
    summary = "The model's freeze state differs from its `# ftlint: expect` pragma"
    VALID = (
        Valid(
            """
            from torch import nn

            model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
            # ftlint: expect trainable=2
            for parameter in model[0].parameters():
                parameter.requires_grad = False
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            from torch import nn

            model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
            # ftlint: expect trainable=1
            for parameter in model[0].parameters():
                parameter.requires_grad = False
            """,
            line=4,
            message_contains="model does not match the pragma: expected 1 trainable tensors, found 2 (+1)",
        ),
    )

    @classmethod
    def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
        lines = verified.source.lines()
        for pragma in find_pragmas(verified.source.text):
            if pragma.error is not None:
                yield cls.finding(pragma.span, f"invalid expect pragma: {pragma.error}")
                continue
            row = pragma.applies_to(verified.program.statement_rows, lines)
            targets = [
                target
                for target in verified.run.targets.values()
                if row in target.construction_rows
                or row in {statement.start.line for statement in target.freeze_statements}
            ]
            if not targets:
                yield cls.finding(
                    pragma.span,
                    "this expect pragma is not on or just above the construction or the freeze code"
                    " of a model verify built, so it checks nothing",
                )
            for target in targets:
                yield from cls._expect(target, pragma.span, pragma.expectations)

    @classmethod
    def _expect(
        cls, target: Target, span: CodeRange, expectations: dict[str, int | str]
    ) -> Iterator[Finding]:
        try:
            expect(target.module, frozen_batchnorm="ignore", **expectations)  # type: ignore[arg-type]  # user input: expect() raises TypeError/ValueError on a bad key or value, reported below
        except FreezeError as error:
            facts = "; ".join(mismatch.text for mismatch in error.mismatches)
            yield cls.finding(span, f"{target.variable} does not match the pragma: {facts}")
        except (TypeError, ValueError) as error:
            yield cls.finding(span, f"invalid expect pragma: {error}")
