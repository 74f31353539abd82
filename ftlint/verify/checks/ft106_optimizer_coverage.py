"""FT106 optimizer-coverage: trainable parameters no optimizer updates, or frozen ones passed to
one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Finding
from ftlint.runtime.report import report
from ftlint.text import plural
from ftlint.verify.runtime_check import RuntimeCheck

if TYPE_CHECKING:
    from ftlint.verify.verified import VerifiedFile


class OptimizerCoverage(RuntimeCheck):
    """
    ## What it does
    Compares the parameters of each optimizer the file builds with the model's freeze state:
    reports trainable parameters that no optimizer will update, and frozen parameters passed
    to an optimizer.

    ## Why is this bad?
    An optimizer built before a head replacement holds the old head: the new one requires grad
    but never changes. One built before freezing holds frozen tensors; they are skipped while
    their `.grad` is None, but unfreezing them later trains them with the wrong settings, and
    it hides which parameters the run is meant to train.

    ## Example
    ```python
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    model.fc = nn.Linear(model.fc.in_features, 10)
    ```

    ## Fix
    Build the optimizer last, from the trainable parameters:
    `torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01)`.
    """

    code = "FT106"
    name = "optimizer-coverage"
    summary = "Trainable parameters no optimizer updates, or frozen ones passed to one"
    VALID = (
        Valid(
            """
            import torch
            from torch import nn

            model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
            for parameter in model[0].parameters():
                parameter.requires_grad = False
            model[1] = nn.Linear(4, 3)
            optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn

            model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
            for parameter in model[0].parameters():
                parameter.requires_grad = False
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            model[1] = nn.Linear(4, 3)
            """,
            line=7,
            message_contains="2 tensors (1: 2) trainable, in no optimizer: never updated",
        ),
    )

    @classmethod
    def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
        run = verified.run
        for key, target in run.targets.items():
            relevant = [
                (optimizer, span)
                for optimizer, span in verified.optimizers
                if any(target.owns(p) for group in optimizer.param_groups for p in group["params"])
            ]
            if not relevant:
                continue
            reports = [report(target.module, optimizer) for optimizer, _ in relevant]
            # Each report has its optimizer's coverage: report() was given the optimizer.
            coverages = [r.optimizer for r in reports if r.optimizer is not None]
            missing = set.intersection(*(set(c.trainable_missing) for c in coverages))
            frozen = set().union(*(c.frozen_included for c in coverages))
            order = [p.name for p in run.reports[key].parameters]
            facts = []
            if missing:
                facts.append(
                    f"{_grouped([n for n in order if n in missing])} trainable, in no optimizer:"
                    " never updated"
                )
            if frozen:
                facts.append(
                    f"{_grouped([n for n in order if n in frozen])} frozen, passed to the optimizer"
                )
            if facts:
                yield cls.finding(
                    verified.first_line(relevant[0][1]),
                    f"optimizer coverage{verified.whose(target)}: {'; '.join(facts)}. Build the"
                    " optimizer after freezing and replacing modules, from the parameters that"
                    " require grad",
                )


def _grouped(names: Sequence[str]) -> str:
    """``12 tensors (layer4: 10, fc: 2)``: names counted by top-level block."""
    blocks = Counter(name.split(".")[0] for name in names)
    shown = ", ".join(f"{block}: {count}" for block, count in list(blocks.items())[:6])
    more = f", +{len(blocks) - 6} more blocks" if len(blocks) > 6 else ""
    return f"{plural(len(names), 'tensor')} ({shown}{more})"
