"""``expect``: assert the freeze state of a live model, with a readable diff on failure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ftlint.runtime.freeze_map import format_names, plural
from ftlint.runtime.patterns import PatternSet, compile_patterns
from ftlint.runtime.report import FreezeReport, OptimizerCoverage, report

if TYPE_CHECKING:
    from torch import nn
    from torch.optim import Optimizer

__all__ = ["FreezeError", "expect"]

Expectation = int | str | Iterable[str] | None

_MAX_GROUPS = 8  # block rows per check; the freeze map after them has every block
_PATTERN_HINT = (
    "patterns are dotted-name prefixes or globs over the model's own names;"
    " `ftlint inspect MODULE:CALLABLE` prints them"
)


class FreezeError(AssertionError):
    """The model's freeze state differs from what ``expect`` was told.

    ``report`` is the FreezeReport the check ran on (None after unpickling).
    """

    def __init__(self, message: str, report: FreezeReport | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class _Finding:
    summary: str
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Check:
    """Findings of one kind, and what to do about them."""

    findings: tuple[_Finding, ...]
    hint: str


def expect(
    model: nn.Module,
    *,
    trainable: Expectation = None,
    frozen: Expectation = None,
    trainable_numel: int | None = None,
    frozen_numel: int | None = None,
    optimizer: Optimizer | None = None,
    frozen_batchnorm: Literal["eval", "ignore"] = "eval",
) -> FreezeReport:
    """Check the freeze state of ``model``; return its report or raise FreezeError.

    ``trainable``/``frozen``: an int counts parameter tensors; patterns (see
    :mod:`ftlint.runtime.patterns`) name exactly the trainable (or frozen) ones,
    everything else being expected frozen (or trainable).
    """
    trainable_count, trainable_patterns = _split_expectation(trainable, "trainable")
    frozen_count, frozen_patterns = _split_expectation(frozen, "frozen")
    _check_count(trainable_numel, "trainable_numel")
    _check_count(frozen_numel, "frozen_numel")
    if frozen_batchnorm not in ("eval", "ignore"):
        raise ValueError(f"frozen_batchnorm must be 'eval' or 'ignore', got {frozen_batchnorm!r}")

    freeze_report = report(model, optimizer)
    checks = [
        _count_check(
            freeze_report,
            trainable_count=trainable_count,
            frozen_count=frozen_count,
            trainable_numel=trainable_numel,
            frozen_numel=frozen_numel,
        ),
        _unmatched_pattern_check(freeze_report, trainable_patterns, frozen_patterns),
        *_pattern_checks(freeze_report, trainable_patterns, frozen_patterns),
    ]
    if freeze_report.optimizer is not None:
        checks.append(_optimizer_check(freeze_report.optimizer))
    if frozen_batchnorm == "eval":
        checks.append(_batchnorm_check(freeze_report))
    failed = [check for check in checks if check.findings]
    if failed:
        expected = _describe_patterns(trainable_patterns, frozen_patterns)
        raise FreezeError(_message(freeze_report, expected, failed), freeze_report)
    return freeze_report


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


def _count_check(
    freeze_report: FreezeReport,
    *,
    trainable_count: int | None,
    frozen_count: int | None,
    trainable_numel: int | None,
    frozen_numel: int | None,
) -> _Check:
    comparisons = (
        ("trainable tensors", trainable_count, freeze_report.trainable_tensors),
        ("frozen tensors", frozen_count, freeze_report.frozen_tensors),
        ("trainable elements", trainable_numel, freeze_report.trainable_numel),
        ("frozen elements", frozen_numel, freeze_report.frozen_numel),
    )
    return _Check(
        tuple(
            _Finding(f"expected {expected:,} {what}, found {actual:,} ({actual - expected:+,})")
            for what, expected, actual in comparisons
            if expected is not None and expected != actual
        ),
        "the freeze map below shows which blocks hold the trainable tensors",
    )


def _unmatched_pattern_check(
    freeze_report: FreezeReport,
    trainable_patterns: PatternSet | None,
    frozen_patterns: PatternSet | None,
) -> _Check:
    names = [parameter.name for parameter in freeze_report.parameters]
    blocks = [block.name for block in freeze_report.blocks]
    findings = tuple(
        _Finding(
            f"{role} pattern {str(pattern)!r} matches no parameter"
            f" (top-level blocks: {format_names(blocks, limit=8)})"
        )
        for role, patterns in (("trainable", trainable_patterns), ("frozen", frozen_patterns))
        if patterns is not None
        for pattern in patterns.unmatched(names)
    )
    return _Check(findings, _PATTERN_HINT)


def _pattern_checks(
    freeze_report: FreezeReport,
    trainable_patterns: PatternSet | None,
    frozen_patterns: PatternSet | None,
) -> tuple[_Check, ...]:
    if trainable_patterns is None and frozen_patterns is None:
        return ()
    unexpectedly_trainable, unexpectedly_frozen, contradictory = [], [], []
    for parameter in freeze_report.parameters:
        wanted = _wants_trainable(parameter.name, trainable_patterns, frozen_patterns)
        if wanted is None:
            contradictory.append(parameter.name)
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
        _Check(
            _group_findings(unexpectedly_trainable, "tensor", "trainable, expected frozen"),
            "freeze them with requires_grad_(False), or add them to the trainable patterns;"
            " substring tests ('layer1' in name) also match layer10, layer11, ...",
        ),
        _Check(
            _group_findings(unexpectedly_frozen, "tensor", "frozen, expected trainable"),
            "unfreeze them with requires_grad_(True); check the freeze condition (and/or"
            " precedence, substring tests) and whether a pretrained loader froze them",
        ),
    )


def _optimizer_check(coverage: OptimizerCoverage) -> _Check:
    return _Check(
        _group_findings(
            coverage.trainable_missing,
            "trainable tensor",
            "in no optimizer param group (never updated)",
        ),
        "build the optimizer after freezing and after replacing modules, from"
        " [p for p in model.parameters() if p.requires_grad]",
    )


def _batchnorm_check(freeze_report: FreezeReport) -> _Check:
    return _Check(
        _group_findings(
            [bn.name for bn in freeze_report.batchnorms if bn.frozen_but_updating],
            "frozen BatchNorm module",
            "still updating running statistics (train mode)",
        ),
        "call .eval() on them after every model.train() (e.g. override train()),"
        " use torchvision.ops.FrozenBatchNorm2d, or pass frozen_batchnorm='ignore'",
    )


def _wants_trainable(
    name: str, trainable_patterns: PatternSet | None, frozen_patterns: PatternSet | None
) -> bool | None:
    """Whether ``name`` should train; None if both pattern sets claim it, or neither."""
    if frozen_patterns is None:
        return trainable_patterns is not None and trainable_patterns.matches(name)
    if trainable_patterns is None:
        return not frozen_patterns.matches(name)
    in_trainable = trainable_patterns.matches(name)
    return in_trainable if in_trainable != frozen_patterns.matches(name) else None


def _group_findings(names: Sequence[str], noun: str, state: str) -> tuple[_Finding, ...]:
    """One finding per top-level block, labelled with the deepest module path the
    names share, so ``layer2`` reads as a whole block and ``layer2.3`` as one part."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.split(".", 1)[0], []).append(name)
    return tuple(
        _Finding(
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


def _message(freeze_report: FreezeReport, expected: str | None, failed: list[_Check]) -> str:
    lines = [f"{freeze_report.model_name} does not match the expected freeze state"]
    if expected:
        lines.append(f"expected: {expected}")
    for check in failed:
        for finding in check.findings[:_MAX_GROUPS]:
            lines.append(f"  - {finding.summary}")
            if finding.names:
                lines.append(f"      {format_names(finding.names)}")
        if len(check.findings) > _MAX_GROUPS:
            lines.append(f"  - ... and {len(check.findings) - _MAX_GROUPS} more blocks")
        lines.append(f"    fix: {check.hint}")
    lines.append("")
    lines.append(freeze_report.render(color=False))
    return "\n".join(lines)
