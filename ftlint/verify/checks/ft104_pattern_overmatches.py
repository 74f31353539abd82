"""FT104 pattern-overmatches: a name the freeze code tests for also matches names it likely does
not mean."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Finding
from ftlint.text import format_names, plural
from ftlint.verify.instrument import NameTest
from ftlint.verify.name_matching import matches, occurrences
from ftlint.verify.runtime_check import RuntimeCheck

if TYPE_CHECKING:
    from ftlint.verify.verified import VerifiedFile

_NUMBER = re.compile(r"^\d+$")


class PatternOvermatches(RuntimeCheck):
    """
    ## What it does
    Reports a string literal that freeze code tests against parameter or module names with a
    substring or prefix test, when it also hits names the author most likely did not mean:

    - across a component boundary: `'encoder_layer_1' in name` also hits `encoder_layer_10`
      and `encoder_layer_11`, and `'features.1' in name` hits `features.10` to `features.16`;
    - at several depths: `'bn1' in name` hits the stem's `bn1` and the `bn1` of every
      bottleneck block.

    The names it hit are listed, grouped by block. `ftlint verify` of an OpenMMLab config
    reports a `paramwise_cfg.custom_keys` key that matches inside longer names the same way
    (mmengine tests `key in name`): `'backbone.layer1'` also sets the learning rate of
    `backbone.layer10`.

    ## Why is this bad?
    Substring tests read like component names but are not: the extra matches freeze (or train)
    whole blocks beyond the intended ones, and the counts still look plausible.

    ## Example
    ```python
    for name, parameter in vit.named_parameters():
        if "encoder_layer_1" in name:
            parameter.requires_grad = False
    ```

    ## Fix
    Test whole components: `name.startswith("encoder.layers.encoder_layer_1.")`, or
    `ftlint.runtime.patterns` (`compile_patterns("encoder.layers.encoder_layer_1")`), which
    matches dotted prefixes at component boundaries.
    """

    code = "FT104"
    name = "pattern-overmatches"
    summary = "A name the freeze code tests for also matches names it likely does not mean"
    VALID = (
        Valid(
            """
            from torch import nn

            model = nn.Sequential(*[nn.Linear(4, 4) for _ in range(12)])
            for name, parameter in model.named_parameters():
                if name.startswith("1."):
                    parameter.requires_grad = False
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            from torch import nn

            model = nn.Sequential(*[nn.Linear(4, 4) for _ in range(12)])
            for name, parameter in model.named_parameters():
                if name.startswith("1"):
                    parameter.requires_grad = False
            """,
            line=5,
            message_contains="'1' also matches inside longer names: 10 (2 parameters), 11 (2 parameters)",
        ),
    )

    @classmethod
    def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
        for test in verified.program.name_tests:
            if test.kind not in ("substring", "prefix"):
                continue
            for iterated in verified.iterated(test):
                hits = [name for name in iterated.names if matches(test, name)]
                message = hits and _overmatch(
                    test, hits, iterated.noun, leaf_names=iterated.noun != "module"
                )
                if message:
                    yield cls.finding(test.span, f"`{test.test}` on {iterated.label}: {message}")


def at_boundaries(literal: str, name: str, start: int, end: int) -> bool:
    starts = start == 0 or name[start - 1] == "." or literal.startswith(".")
    ends = end == len(name) or name[end] == "." or literal.endswith(".")
    return starts and ends


def component_end(name: str, end: int) -> str:
    """The name up to the end of the component where a match ends."""
    stop = name.find(".", end)
    return name if stop < 0 else name[:stop]


def _overmatch(test: NameTest, hits: list[str], noun: str, *, leaf_names: bool) -> str | None:
    """Why a substring or prefix test hits more than it likely means, or None."""
    whole: dict[str, int] = {}  # hits at component boundaries: where, at which depth
    partial: Counter[str] = Counter()
    for name in hits:
        found = list(occurrences(test, name))
        bounded = [(s, e) for s, e in found if at_boundaries(test.literal, name, s, e)]
        if not bounded:
            partial[component_end(name, found[0][1])] += 1
        for start, end in bounded:
            if not (leaf_names and end == len(name)):  # weight/bias: meant everywhere
                whole[name[:end]] = name.count(".", 0, start)
    if partial and whole:
        meant = sorted(whole)
        return (
            f"{test.literal!r} also matches inside longer names: {_listing(partial, noun)}, besides"
            f" {format_names(meant)}. Test whole components, e.g."
            f" name.startswith({(meant[0] + '.')!r})"
        )
    if len(set(whole.values())) > 1:
        groups: Counter[str] = Counter()
        for name in hits:
            for start, end in occurrences(test, name):
                if name[:end] in whole:
                    groups[
                        ".".join("*" if _NUMBER.match(c) else c for c in name[:end].split("."))
                    ] += 1
                    break
        shallowest = min(whole, key=whole.__getitem__)
        return (
            f"{test.literal!r} matches at {len(set(whole.values()))} depths, not only"
            f" {shallowest!r}: {_listing(groups, noun)}. To mean only {shallowest!r}, test"
            f" name.startswith({(shallowest + '.')!r})"
        )
    return None


def _listing(groups: Counter[str], noun: str) -> str:
    return ", ".join(f"{group} ({plural(count, noun)})" for group, count in groups.items())
