"""``expect``: assert the freeze state of a live model, with a readable diff on failure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING, Any, Literal

import ftlint.runtime.html as html
from ftlint.runtime.patterns import PatternSet, compile_patterns
from ftlint.runtime.report import (
    FreezeReport,
    OptimizerCoverage,
    ParameterState,
    html_body,
    report,
    tensors,
)
from ftlint.text import format_names, plural

if TYPE_CHECKING:
    from torch import nn
    from torch.optim import Optimizer

__all__ = [
    "FixGroup",
    "FreezeError",
    "Mismatch",
    "MismatchKind",
    "expect",
    "expect_grads",
    "fix_groups",
    "headline",
]

Expectation = int | str | Iterable[str] | None
MismatchKind = Literal[
    "trainable_count",
    "frozen_count",
    "trainable_numel",
    "frozen_numel",
    "trainable_pattern",
    "frozen_pattern",
    "trainable",
    "frozen",
    "optimizer",
    "frozen_batchnorm",
    "no_gradient",
    "stale_gradient",
]

_MAX_SHOWN = 8  # mismatch lines per fix; the freeze map after them has every block
_COUNT_FIX = "the freeze map below shows which blocks hold the trainable tensors"
_PATTERN_FIX = (
    "patterns are dotted-name prefixes or globs over the model's own names;"
    " `ftlint inspect MODULE:CALLABLE` prints them"
)
# The message gives one fix line per run of mismatches that the same change fixes.
_FIXES: dict[MismatchKind, str] = {
    "trainable_count": _COUNT_FIX,
    "frozen_count": _COUNT_FIX,
    "trainable_numel": _COUNT_FIX,
    "frozen_numel": _COUNT_FIX,
    "trainable_pattern": _PATTERN_FIX,
    "frozen_pattern": _PATTERN_FIX,
    "frozen": "freeze them with requires_grad_(False), or add them to the trainable patterns;"
    " substring tests ('layer1' in name) also match layer10, layer11, ...",
    "trainable": "unfreeze them with requires_grad_(True); check the freeze condition (and/or"
    " precedence, substring tests) and whether a pretrained loader froze them",
    "optimizer": "build the optimizer after freezing and after replacing modules, from"
    " [p for p in model.parameters() if p.requires_grad]",
    "frozen_batchnorm": "call .eval() on them after every model.train() (e.g. override"
    " train()), use torchvision.ops.FrozenBatchNorm2d, or pass frozen_batchnorm='ignore'",
    "no_gradient": "check after loss.backward() and before optimizer.zero_grad(); a tensor"
    " the loss does not reach is unused by the forward, or cut off by detach(), torch.no_grad()"
    " or reentrant checkpointing whose inputs do not require grad"
    " (model.enable_input_require_grads())",
    "stale_gradient": "call optimizer.zero_grad(set_to_none=True) when freezing: the optimizer"
    " keeps stepping a frozen tensor whose .grad is not None",
}


@dataclass(frozen=True)
class Mismatch:
    """One difference from the expectation: one ``  - `` line of the FreezeError message.

    ``kind`` names the expectation that failed, and so what ``expected`` and ``actual`` hold:

    - ``trainable_count``, ``frozen_count`` (``trainable=N``, ``frozen=N``),
      ``trainable_numel``, ``frozen_numel``: the tensor (element) counts expected and found;
    - ``trainable_pattern``, ``frozen_pattern``: ``expected`` is a pattern that matches no
      parameter, ``actual`` is None;
    - ``trainable``, ``frozen``: tensors the patterns want trainable (frozen), found the
      other way; ``expected`` and ``actual`` are ``"trainable"`` and ``"frozen"``;
    - ``optimizer``: trainable tensors the optimizer never updates: ``"in a param group"``
      expected, ``"in no param group"`` actual;
    - ``frozen_batchnorm``: frozen BatchNorm modules in train mode: ``"eval"``, ``"train"``;
    - ``no_gradient`` (``grads=True``): trainable tensors whose ``.grad`` is None after the
      backward: ``"a gradient"`` expected, ``"no gradient"`` actual;
    - ``stale_gradient`` (``grads=True``): frozen tensors that hold a ``.grad``, which the
      optimizer still applies: ``"no gradient"``, ``"a gradient"``.

    ``names``: the tensors (for ``frozen_batchnorm``, the modules) of one top-level block;
    empty for counts and patterns. ``text``: the line as the message shows it, sans bullet.
    """

    kind: MismatchKind
    expected: int | str
    actual: int | str | None
    text: str
    names: tuple[str, ...] = ()


class FreezeError(AssertionError):
    """The model's freeze state differs from what ``expect`` was told.

    The message is rendered from the attributes: ``mismatches`` (every difference, in
    message order; the message shows at most 8 per fix), ``expectation`` (the patterns as
    its ``expected:`` line states them; None without patterns), ``report`` (the state
    that was checked, whose freeze map ends the message) and ``context`` (where the check
    ran, e.g. "FreezeCheck at epoch 2", written before the rest; None from ``expect``).
    """

    def __init__(
        self,
        report: FreezeReport,
        mismatches: Sequence[Mismatch],
        expectation: str | None = None,
        context: str | None = None,
    ) -> None:
        self.report = report
        self.mismatches = tuple(mismatches)
        self.expectation = expectation
        self.context = context
        message = _message(report, self.mismatches, expectation)
        super().__init__(message if context is None else f"{context}: {message}")

    def _repr_html_(self) -> str:  # Jupyter's rich display, e.g. of `error` in an except block
        """The message, mismatch by mismatch with their fixes, then the freeze map."""
        title = headline(self.report)
        if self.context is not None:
            title = f"{self.context}: {title}"
        parts = [html.paragraph(f"<b>{html.escape(title)}</b>", warning=True)]
        if self.expectation:
            parts.append(html.paragraph(f"expected: {html.escape(self.expectation)}"))
        for group in fix_groups(self.mismatches):
            items = [
                html.escape(mismatch.text)
                + (
                    f"<br><small>{html.escape(format_names(mismatch.names))}</small>"
                    if mismatch.names
                    else ""
                )
                for mismatch in group.shown
            ]
            if group.hidden:
                items.append(f"... and {group.hidden} more blocks")
            parts.append(f"<ul>{''.join(f'<li>{item}</li>' for item in items)}</ul>")
            parts.append(html.paragraph(f"<i>fix:</i> {html.escape(group.fix)}"))
        parts.append(html_body(self.report, self.report.depth))
        return html.fragment("".join(parts))

    def __reduce__(self) -> tuple[type[FreezeError], tuple[object, ...]]:
        # The default pickles args, the message alone, which __init__ does not take.
        return type(self), (self.report, self.mismatches, self.expectation, self.context)


def expect(
    model: nn.Module,
    *,
    trainable: Expectation = None,
    frozen: Expectation = None,
    trainable_numel: int | None = None,
    frozen_numel: int | None = None,
    optimizer: Optimizer | None = None,
    frozen_batchnorm: Literal["eval", "ignore"] = "eval",
    grads: bool = False,
) -> FreezeReport:
    """Check the freeze state of ``model``; return its report or raise FreezeError.

    ``trainable``/``frozen``: an int counts parameter tensors; patterns (see
    :mod:`ftlint.runtime.patterns`) name exactly the trainable (or frozen) ones,
    everything else being expected frozen (or trainable). ``grads=True``, after the first
    ``loss.backward()``: every trainable tensor holds a gradient and no frozen one does.
    """
    trainable_count, trainable_patterns = _split_expectation(trainable, "trainable")
    frozen_count, frozen_patterns = _split_expectation(frozen, "frozen")
    _check_count(trainable_numel, "trainable_numel")
    _check_count(frozen_numel, "frozen_numel")
    if frozen_batchnorm not in ("eval", "ignore"):
        raise ValueError(f"frozen_batchnorm must be 'eval' or 'ignore', got {frozen_batchnorm!r}")

    freeze_report = report(model, optimizer)
    mismatches = [
        *_count_mismatches(
            freeze_report,
            trainable_count=trainable_count,
            frozen_count=frozen_count,
            trainable_numel=trainable_numel,
            frozen_numel=frozen_numel,
        ),
        *_unmatched_patterns(freeze_report, trainable_patterns, frozen_patterns),
        *_state_mismatches(freeze_report, trainable_patterns, frozen_patterns),
    ]
    if freeze_report.optimizer is not None:
        mismatches += _optimizer_mismatches(freeze_report.optimizer)
    if frozen_batchnorm == "eval":
        mismatches += _batchnorm_mismatches(freeze_report)
    if grads:
        mismatches += _gradient_mismatches(freeze_report, model)
    if mismatches:
        expectation = _describe_patterns(trainable_patterns, frozen_patterns)
        raise FreezeError(freeze_report, mismatches, expectation)
    return freeze_report


def expect_grads(model: nn.Module, **expectations: Any) -> FreezeReport:
    """``expect(model, grads=True, ...)``: call it after the first ``loss.backward()``."""
    return expect(model, grads=True, **expectations)


def _split_expectation(value: Expectation, argument: str) -> tuple[int | None, PatternSet | None]:
    if value is None or isinstance(value, int) and not isinstance(value, bool):
        _check_count(value, argument)
        return value, None
    if isinstance(value, Iterable):
        return None, compile_patterns(value)
    raise TypeError(f"{argument} must be a count or name patterns, got {value!r}")


def _check_count(value: int | None, argument: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{argument} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{argument} must not be negative, got {value}")


def _count_mismatches(
    freeze_report: FreezeReport,
    *,
    trainable_count: int | None,
    frozen_count: int | None,
    trainable_numel: int | None,
    frozen_numel: int | None,
) -> tuple[Mismatch, ...]:
    comparisons: tuple[tuple[MismatchKind, str, int | None, int], ...] = (
        ("trainable_count", "trainable tensors", trainable_count, freeze_report.trainable_tensors),
        ("frozen_count", "frozen tensors", frozen_count, freeze_report.frozen_tensors),
        ("trainable_numel", "trainable elements", trainable_numel, freeze_report.trainable_numel),
        ("frozen_numel", "frozen elements", frozen_numel, freeze_report.frozen_numel),
    )
    return tuple(
        Mismatch(
            kind,
            expected,
            actual,
            f"expected {expected:,} {what}, found {actual:,} ({actual - expected:+,})",
        )
        for kind, what, expected, actual in comparisons
        if expected is not None and expected != actual
    )


def _unmatched_patterns(
    freeze_report: FreezeReport,
    trainable_patterns: PatternSet | None,
    frozen_patterns: PatternSet | None,
) -> tuple[Mismatch, ...]:
    names = [name for parameter in freeze_report.parameters for name in _names(parameter)]
    blocks = [block.name for block in freeze_report.blocks]
    roles: tuple[tuple[MismatchKind, str, PatternSet | None], ...] = (
        ("trainable_pattern", "trainable", trainable_patterns),
        ("frozen_pattern", "frozen", frozen_patterns),
    )
    return tuple(
        Mismatch(
            kind,
            str(pattern),
            None,
            f"{role} pattern {str(pattern)!r} matches no parameter"
            f" (top-level blocks: {format_names(blocks, limit=8)})",
        )
        for kind, role, patterns in roles
        if patterns is not None
        for pattern in patterns.unmatched(names)
    )


def _state_mismatches(
    freeze_report: FreezeReport,
    trainable_patterns: PatternSet | None,
    frozen_patterns: PatternSet | None,
) -> tuple[Mismatch, ...]:
    if trainable_patterns is None and frozen_patterns is None:
        return ()
    unexpectedly_trainable, unexpectedly_frozen, contradictory = [], [], []
    for parameter in freeze_report.parameters:
        if parameter.saved_original:  # peft froze it; its modules_to_save copy is what trains
            continue
        wanted = _wants_trainable(_names(parameter), trainable_patterns, frozen_patterns)
        if wanted is None:
            contradictory.append(
                f"{parameter.name} (also {', '.join(parameter.aliases)})"
                if parameter.aliases
                else parameter.name
            )
        elif parameter.trainable and not wanted:
            unexpectedly_trainable.append(parameter.name)
        elif wanted and not parameter.trainable:
            unexpectedly_frozen.append(parameter.name)
    if contradictory:
        raise ValueError(
            "with both trainable and frozen patterns, every parameter must match exactly"
            f" one of them; these match both or neither: {format_names(contradictory)}"
        )
    return (
        *_by_block(
            "frozen",
            "frozen",
            "trainable",
            unexpectedly_trainable,
            "tensor",
            "trainable, expected frozen",
        ),
        *_by_block(
            "trainable",
            "trainable",
            "frozen",
            unexpectedly_frozen,
            "tensor",
            "frozen, expected trainable",
        ),
    )


def _optimizer_mismatches(coverage: OptimizerCoverage) -> tuple[Mismatch, ...]:
    return _by_block(
        "optimizer",
        "in a param group",
        "in no param group",
        coverage.trainable_missing,
        "trainable tensor",
        "in no optimizer param group (never updated)",
    )


def _batchnorm_mismatches(freeze_report: FreezeReport) -> tuple[Mismatch, ...]:
    return _by_block(
        "frozen_batchnorm",
        "eval",
        "train",
        [bn.name for bn in freeze_report.batchnorms if bn.frozen_but_updating],
        "frozen BatchNorm module",
        "still updating running statistics (train mode)",
    )


def _gradient_mismatches(freeze_report: FreezeReport, model: nn.Module) -> tuple[Mismatch, ...]:
    missing, stale = [], []
    for state, tensor in zip(freeze_report.parameters, tensors(model), strict=True):
        if state.saved_original:  # unused while its modules_to_save copy trains
            continue
        if state.trainable and tensor.grad is None:
            missing.append(state.name)
        elif not state.trainable and tensor.grad is not None:
            stale.append(state.name)
    return (
        *_by_block(
            "no_gradient",
            "a gradient",
            "no gradient",
            missing,
            "trainable tensor",
            "got no gradient from the backward (never updated)",
        ),
        *_by_block(
            "stale_gradient",
            "no gradient",
            "a gradient",
            stale,
            "frozen tensor",
            "with a stale .grad (the optimizer still applies it)",
        ),
    )


def _names(parameter: ParameterState) -> tuple[str, ...]:
    """Every name a pattern may select a tensor by: its own, then its aliases."""
    return (parameter.name, *parameter.aliases)


def _wants_trainable(
    names: tuple[str, ...],
    trainable_patterns: PatternSet | None,
    frozen_patterns: PatternSet | None,
) -> bool | None:
    """Whether the tensor known by ``names`` should train; None if both pattern sets claim it
    (through any of its names), or neither."""
    if frozen_patterns is None:
        return trainable_patterns is not None and trainable_patterns.matches_any(names)
    if trainable_patterns is None:
        return not frozen_patterns.matches_any(names)
    in_trainable = trainable_patterns.matches_any(names)
    return in_trainable if in_trainable != frozen_patterns.matches_any(names) else None


def _by_block(
    kind: MismatchKind,
    expected: str,
    actual: str,
    names: Sequence[str],
    noun: str,
    state: str,
) -> tuple[Mismatch, ...]:
    """One mismatch per top-level block, labelled with the deepest module path the
    names share, so ``layer2`` reads as a whole block and ``layer2.3`` as one part."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.split(".", 1)[0], []).append(name)
    return tuple(
        Mismatch(
            kind,
            expected,
            actual,
            f"{_common_prefix(members)}: {plural(len(members), noun)} {state}",
            tuple(members),
        )
        for members in groups.values()
    )


def _common_prefix(names: Sequence[str]) -> str:
    prefix = []
    for components in zip(*(name.split(".") for name in names), strict=False):
        if len(set(components)) > 1:
            break
        prefix.append(components[0])
    return ".".join(prefix)


def _describe_patterns(
    trainable_patterns: PatternSet | None, frozen_patterns: PatternSet | None
) -> str | None:
    if trainable_patterns is not None and frozen_patterns is not None:
        return f"trainable = {trainable_patterns}; frozen = {frozen_patterns}"
    if trainable_patterns is not None:
        return f"trainable = {trainable_patterns} (everything else frozen)"
    if frozen_patterns is not None:
        return f"frozen = {frozen_patterns} (everything else trainable)"
    return None


@dataclass(frozen=True)
class FixGroup:
    """A run of mismatches that the same change fixes: the first few shown, then a count."""

    fix: str
    shown: tuple[Mismatch, ...]
    hidden: int


def fix_groups(mismatches: Sequence[Mismatch]) -> list[FixGroup]:
    """The mismatches as the message shows them: one group per run with the same fix."""
    groups = []
    for fix, run in groupby(mismatches, key=lambda mismatch: _FIXES[mismatch.kind]):
        members = tuple(run)
        groups.append(FixGroup(fix, members[:_MAX_SHOWN], max(len(members) - _MAX_SHOWN, 0)))
    return groups


def headline(freeze_report: FreezeReport) -> str:
    return f"{freeze_report.model_name} does not match the expected freeze state"


def _message(
    freeze_report: FreezeReport, mismatches: tuple[Mismatch, ...], expectation: str | None
) -> str:
    lines = [headline(freeze_report)]
    if expectation:
        lines.append(f"expected: {expectation}")
    for group in fix_groups(mismatches):
        for mismatch in group.shown:
            lines.append(f"  - {mismatch.text}")
            if mismatch.names:
                lines.append(f"      {format_names(mismatch.names)}")
        if group.hidden:
            lines.append(f"  - ... and {group.hidden} more blocks")
        lines.append(f"    fix: {group.fix}")
    lines.append("")
    lines.append(freeze_report.render(color=False))
    return "\n".join(lines)
