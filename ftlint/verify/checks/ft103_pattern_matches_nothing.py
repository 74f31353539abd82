"""FT103 pattern-matches-nothing: a name the freeze code tests for matches none of the model's
names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Finding
from ftlint.text import format_names
from ftlint.verify.name_matching import matches
from ftlint.verify.runtime_check import RuntimeCheck

if TYPE_CHECKING:
    from ftlint.verify.instrument import NameTest
    from ftlint.verify.verified import IteratedNames, VerifiedFile


class PatternMatchesNothing(RuntimeCheck):
    """
    ## What it does
    Reports a string literal that freeze code tests against parameter or module names
    (`'layer4' in name`, `name.startswith('fc')`, `name == 'head.weight'`, literals of a list
    used in `any(...)`) when it matches none of the names of the model the loop iterates.
    `ftlint verify` of an OpenMMLab config reports a `paramwise_cfg.custom_keys` key the same
    way: mmengine tests `key in name` on the built model's parameter names.

    ## Why is this bad?
    A test that matches nothing silently freezes, or trains, nothing of what was meant.
    Typical causes: a typo, another architecture's names (`fc` on a torchvision ViT is
    `heads.head`), or a wrapper that renamed everything: `nn.Sequential(*model.children())`
    names the children by position, so `layer4` of a ResNet becomes `7`.

    ## Example
    ```python
    backbone = nn.Sequential(*list(resnet50().children())[:-1])
    for name, parameter in backbone.named_parameters():
        parameter.requires_grad = "layer4" in name
    ```

    ## Fix
    Use the names the model really has (`ftlint inspect torchvision.models:resnet50` prints
    them), or freeze through the module objects (`resnet.layer4.requires_grad_(True)`) before
    wrapping them.
    """

    code = "FT103"
    name = "pattern-matches-nothing"
    summary = "A name the freeze code tests for matches none of the model's names"
    VALID = (
        Valid(
            """
            from torch import nn

            model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
            for name, parameter in model.named_parameters():
                if not name.startswith("1."):
                    parameter.requires_grad = False
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            from torch import nn

            model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
            for name, parameter in model.named_parameters():
                if "fc" not in name:
                    parameter.requires_grad = False
            """,
            line=5,
            message_contains="'fc' matches none of the 4 parameter names of model",
        ),
    )

    @classmethod
    def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
        for test in verified.program.name_tests:
            for iterated in verified.iterated(test):
                if not any(matches(test, name) for name in iterated.names):
                    yield cls.finding(test.span, cls._message(verified, test, iterated))

    @staticmethod
    def _message(verified: VerifiedFile, test: NameTest, iterated: IteratedNames) -> str:
        names = iterated.names
        top = list(dict.fromkeys(name.split(".")[0] for name in names))
        hint = "; nn.Sequential names its children by position" if iterated.positional else ""
        renamed = verified.renamed(test.literal, iterated)
        if renamed is not None:
            owner, name = renamed
            hint = f"; the {test.literal} of {owner} is named {name!r} here"
        return (
            f"`{test.test}`: {test.literal!r} matches none of the {len(names):,}"
            f" {iterated.noun} names of {iterated.label} (top level:"
            f" {format_names(top, limit=8)}){hint}"
        )
