"""FT107 freeze-had-no-effect: freeze code ran, but nothing or everything is frozen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Finding
from ftlint.verify.runtime_check import RuntimeCheck

if TYPE_CHECKING:
    from ftlint.verify.verified import VerifiedFile


class FreezeHadNoEffect(RuntimeCheck):
    """
    ## What it does
    Reports a model on which freeze code ran but, as the file is written, nothing is frozen
    (the code asked for `requires_grad=False` somewhere), or everything is while no other model
    of the file trains (a frozen teacher or feature extractor next to a trained model is meant).

    ## Why is this bad?
    Both are almost always bugs: setting `requires_grad` on a module instead of its
    parameters, freezing a copy, or replacing the head before the freeze loop so that it is
    frozen too. Training then either updates the whole pretrained network or nothing at all.

    ## Example
    ```python
    model = resnet50(weights=ResNet50_Weights.DEFAULT)
    model.fc = nn.Linear(model.fc.in_features, 10)
    for parameter in model.parameters():
        parameter.requires_grad = False
    ```

    ## Fix
    Freeze parameters (`module.requires_grad_(False)` or a loop over `parameters()`), and
    replace the head after freezing the backbone, or unfreeze it explicitly.
    """

    code = "FT107"
    name = "freeze-had-no-effect"
    summary = "Freeze code ran, but nothing or everything is frozen"
    VALID = (
        Valid(
            """
            from torch import nn

            model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
            for parameter in model.parameters():
                parameter.requires_grad = False
            model[1] = nn.Linear(4, 3)
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            from torch import nn

            model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
            model[1] = nn.Linear(4, 3)
            for parameter in model.parameters():
                parameter.requires_grad = False
            """,
            line=5,
            message_contains="froze all of its 4 tensors: nothing will train",
        ),
    )

    @classmethod
    def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
        run = verified.run
        trained = {key for key, state in run.reports.items() if state.trainable_tensors}
        for key, target in run.targets.items():
            if not target.freeze_statements:
                continue
            state = run.reports[key]
            if state.trainable_tensors == 0 and not trained:  # else: a teacher, a feature extractor
                message = (
                    f"freeze code ran on {target.variable} and froze all of its"
                    f" {state.total_tensors} tensors: nothing will train. Replace or unfreeze the"
                    " head after freezing"
                )
            elif state.frozen_tensors == 0 and target.requested_freeze:
                message = (
                    f"freeze code ran on {target.variable} and set requires_grad to False, yet all"
                    f" {state.total_tensors} tensors still train: it set the flag on modules or"
                    " copies, not on the model's parameters"
                )
            else:
                continue
            yield cls.finding(verified.anchor(target), message)
