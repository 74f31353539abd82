"""FT102 other-reading-differs: reading an ambiguous freeze condition left to right trains other
parameters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Finding
from ftlint.text import format_names
from ftlint.verify.runtime_check import RuntimeCheck

if TYPE_CHECKING:
    from ftlint.verify.verified import VerifiedFile


class OtherReadingDiffers(RuntimeCheck):
    """
    ## What it does
    For each freeze condition FT001 flags (`or` and `and` mixed without parentheses), runs the
    model's freeze code twice per scenario of the file's flags: once as Python reads the
    condition, once read left to right (`(not train_backbone or 'layer2' not in name) and ...`,
    the usual misreading), and reports the scenarios in which the two readings train different
    parameters, with both counts and example names.

    ## Why is this bad?
    FT001 says a condition is easy to misread; this says what the misreading costs. When the
    readings agree in every scenario, adding parentheses is cosmetic. When they differ, one of
    them is not what the author meant, and only one of them is what runs. For the DETR-style
    backbone loop on a ResNet-50 they agree when `train_backbone` is true and differ when it is
    false: 0 trainable / 161 frozen tensors as written, 87 / 74 read left to right.

    ## Example
    ```python
    train_backbone = True
    for name, parameter in backbone.named_parameters():
        if not train_backbone or 'layer2' not in name and 'layer3' not in name and 'layer4' not in name:
            parameter.requires_grad_(False)
    ```

    ## Fix
    Parenthesize the condition the way it is meant (`ftlint check --fix` adds the grouping
    Python already uses), then check the scenario counts `ftlint verify` prints.
    """

    code = "FT102"
    name = "other-reading-differs"
    summary = "Reading an ambiguous freeze condition left to right trains other parameters"
    VALID = (
        Valid(
            """
            from torch import nn

            model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 2))
            train_all = True
            for name, parameter in model.named_parameters():
                if not train_all or ("0." in name and "1." not in name):
                    parameter.requires_grad = False
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            from torch import nn

            model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 2))
            train_all = True
            for name, parameter in model.named_parameters():
                if not train_all or "0." in name and "1." not in name:
                    parameter.requires_grad = False
            """,
            line=6,
            message_contains="with train_all=False, 2 trainable / 4 frozen tensors instead of 0 / 6",
        ),
    )
    # The conditions to run twice are those FT001 finds, reported or not.
    needs = ("FT001",)

    @classmethod
    def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
        for chain_site, alternatives in verified.verification.readings.items():
            chain = verified.program.chains[chain_site]
            differing, identical = [], []
            for original, alternative in zip(verified.verification.runs, alternatives):
                label = original.scenario.label()
                for key, written in original.reports.items():
                    other = alternative.reports.get(key)
                    if other is None:
                        continue
                    differs = set(written.trainable_names) ^ set(other.trainable_names)
                    if not differs:
                        identical.append(label)
                        continue
                    changed = [p.name for p in written.parameters if p.name in differs]
                    differing.append(
                        f"with {label}{verified.whose(original.targets[key])},"
                        f" {other.trainable_tensors} trainable / {other.frozen_tensors} frozen"
                        f" tensors instead of {written.trainable_tensors} /"
                        f" {written.frozen_tensors} (e.g. {format_names(changed)})"
                    )
            if differing:
                same = (
                    f"; identical with {', '.join(dict.fromkeys(identical))}" if identical else ""
                )
                yield cls.finding(
                    chain.span,
                    f"read left to right, as `{chain.left_to_right}`, this condition gives another"
                    f" trainable set: {'; '.join(differing)}{same}. Python reads it as"
                    f" `{chain.python_reading}`",
                )
