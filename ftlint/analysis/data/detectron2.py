"""What detectron2's `freeze_at` freezes, for the rules on its YAML (`MODEL.BACKBONE.FREEZE_AT`) and
LazyConfig (`freeze_at=`) configs. Torch-free and detectron2-free.

From detectron2's `ResNet.freeze` and `RegNet.freeze` (detectron2/modeling/backbone/resnet.py,
regnet.py): `freeze_at >= 1` freezes the stem, and stage `res{k}` is frozen when
`freeze_at >= k`; a frozen block's parameters get `requires_grad=False` and its BatchNorm layers
become `FrozenBatchNorm2d`. Only these two backbones take `freeze_at`; both have a stem and at
most four stages, so 0 to 5 are the values that mean something different.
"""

from __future__ import annotations

DOCS = "https://detectron2.readthedocs.io/en/latest/modules/modeling.html#detectron2.modeling.ResNet.freeze"
STAGES = ("stem", "res2", "res3", "res4", "res5")
FREEZE_AT_RANGE = range(len(STAGES) + 1)  # 0 .. 5
# `MODEL.BACKBONE.FREEZE_AT` in detectron2/config/defaults.py; a LazyConfig's `L(ResNet)(...)`
# takes the constructor's default, 0.
YAML_DEFAULT_FREEZE_AT = 2
LAZY_DEFAULT_FREEZE_AT = 0


def frozen_parts(freeze_at: int) -> tuple[str, ...]:
    """The parts of a ResNet/RegNet backbone that ``freeze_at`` freezes (of those it has)."""
    return STAGES[: max(0, min(freeze_at, len(STAGES)))]


def describe(freeze_at: int) -> str:
    """What ``freeze_at`` freezes, in words: ``the stem and res2``."""
    parts = frozen_parts(freeze_at)
    if not parts:
        return "nothing"
    if len(parts) == 1:
        return "the stem"
    stages = parts[1] if len(parts) == 2 else f"{parts[1]}-{parts[-1]}"
    whole = " (the whole backbone)" if len(parts) == len(STAGES) else ""
    return f"the stem and {stages}{whole}"


def nearest_in_range(freeze_at: int) -> int:
    """The value in :data:`FREEZE_AT_RANGE` that freezes the same parts as ``freeze_at``."""
    return max(FREEZE_AT_RANGE.start, min(freeze_at, FREEZE_AT_RANGE.stop - 1))
