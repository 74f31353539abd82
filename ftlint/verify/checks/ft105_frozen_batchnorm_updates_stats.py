"""FT105 frozen-batchnorm-updates-stats: frozen BatchNorm modules still update their running
statistics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Finding
from ftlint.text import format_names, plural
from ftlint.verify.runtime_check import RuntimeCheck

if TYPE_CHECKING:
    from ftlint.verify.verified import VerifiedFile


class FrozenBatchNormUpdatesStats(RuntimeCheck):
    """
    ## What it does
    Reports BatchNorm modules whose affine parameters are all frozen but which are in training
    mode in the state the file leaves the model in, so that they still update their running
    mean and variance with every batch.

    ## Why is this bad?
    Freezing a pretrained block usually means keeping it exactly as it was. `requires_grad_`
    does not stop BatchNorm from re-estimating its statistics from the new data: the frozen
    block drifts, and a model that looked fine in training changes at evaluation time.

    ## Example
    ```python
    model = resnet50(weights=ResNet50_Weights.DEFAULT)
    for parameter in model.layer1.parameters():
        parameter.requires_grad = False
    model.train()
    ```

    ## Fix
    Put the frozen BatchNorm modules in eval mode after every `model.train()` (for example in
    an overridden `train()`), or replace them with `torchvision.ops.FrozenBatchNorm2d`.
    """

    code = "FT105"
    name = "frozen-batchnorm-updates-stats"
    summary = "Frozen BatchNorm modules still update their running statistics"
    VALID = (
        Valid(
            """
            from torch import nn

            model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 2, 1))
            for parameter in model[:2].parameters():
                parameter.requires_grad = False
            model.train()
            model[1].eval()
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            from torch import nn

            model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 2, 1))
            for parameter in model[:2].parameters():
                parameter.requires_grad = False
            model.train()
            """,
            line=4,
            message_contains="1 BatchNorm module with every affine parameter frozen, yet in train mode",
        ),
    )

    @classmethod
    def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
        run = verified.run
        for key, target in run.targets.items():
            updating = [bn.name for bn in run.reports[key].batchnorms if bn.frozen_but_updating]
            if updating:
                yield cls.finding(
                    verified.anchor(target),
                    f"{plural(len(updating), 'BatchNorm module')}{verified.whose(target)} with"
                    " every affine parameter frozen, yet in train mode: their running statistics"
                    f" still change with every batch ({format_names(updating)}). Call .eval() on"
                    " them after model.train(), or use torchvision.ops.FrozenBatchNorm2d",
                )
