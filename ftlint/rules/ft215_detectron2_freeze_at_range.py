from __future__ import annotations

import libcst as cst

from ftlint.analysis.data.detectron2 import FREEZE_AT_RANGE, describe, nearest_in_range
from ftlint.check import Invalid, Valid
from ftlint.prefilters import ft215_detectron2_freeze_at_range as ft215_prefilter
from ftlint.prefilters.ft215_detectron2_freeze_at_range import BACKBONES, FREEZE_AT
from ftlint.rules.base import Rule


def _integer(node: cst.BaseExpression) -> int | None:
    """The value of an integer literal, negated ones included."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _integer(node.expression)
        return None if inner is None else -inner
    return node.evaluated_value if isinstance(node, cst.Integer) else None


def _lazy_backbone(call: cst.Call) -> str | None:
    """`ResNet` for `L(ResNet)(...)` / `LazyCall(RegNet)(...)`, else None."""
    inner = call.func
    if not (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Name)):
        return None
    if inner.func.value not in ("L", "LazyCall") or len(inner.args) != 1:
        return None
    target = inner.args[0].value
    name = target.attr.value if isinstance(target, cst.Attribute) else None
    if isinstance(target, cst.Name):
        name = target.value
    return name if name in BACKBONES else None


def _model_attribute(target: cst.BaseExpression) -> bool:
    """`model.<...>.freeze_at`: a LazyConfig edits its `model` this way."""
    if not (isinstance(target, cst.Attribute) and target.attr.value == FREEZE_AT):
        return False
    root: cst.BaseExpression = target
    while isinstance(root, cst.Attribute):
        root = root.value
    return isinstance(root, cst.Name) and root.value == "model" and root is not target.value


class Detectron2FreezeAtRange(Rule):
    """
    ## What it does
    Flags a detectron2 LazyConfig that gives a ResNet or RegNet backbone a `freeze_at` outside
    0 to 5, in `L(ResNet)(..., freeze_at=N)` or `model.backbone.bottom_up.freeze_at = N`.

    ## Why is this bad?
    detectron2 counts frozen parts from the input side
    ([`ResNet.freeze`](https://detectron2.readthedocs.io/en/latest/modules/modeling.html#detectron2.modeling.ResNet.freeze)):
    0 freezes nothing, 1 the stem, 2 the stem and `res2` (the YAML default,
    `MODEL.BACKBONE.FREEZE_AT`), up to 5, the stem and `res2`-`res5`: the whole backbone. A
    frozen block's parameters get `requires_grad=False` and its BatchNorm layers become
    `FrozenBatchNorm2d`. Any other value is accepted without a word: a negative one freezes
    nothing, as 0 does, and one above 5 freezes everything, as 5 does. Such values come from
    the other conventions: mmdet's `frozen_stages` counts one lower (-1 nothing, 0 the stem,
    1 the stem and the first stage) and torchvision's `trainable_backbone_layers` counts the
    other way (the number of stages left *trainable*, from the output side).

    ## Example
    ```python
    from ..common.models.mask_rcnn_fpn import model

    model.backbone.bottom_up.freeze_at = -1
    ```

    ## Fix
    Write the value in detectron2's count: `freeze_at = 0` to train the whole backbone,
    `freeze_at = 5` to freeze it.
    """

    code = "FT215"
    name = "detectron2-freeze-at-range"
    summary = "detectron2 `freeze_at` outside 0-5: it freezes the same as 0 or 5"
    required_tokens = (FREEZE_AT,)
    # `model.<...>.freeze_at = ` or `L(ResNet)(`: a LazyConfig, not any class with the attribute.
    candidate_pattern = (
        r"\bmodel(?:\s*\.\s*\w+)+\s*=(?!=)|\b(?:L|LazyCall)\(\s*[\w.]*(?:ResNet|RegNet)\s*\)"
    )

    VALID = [
        Valid("model.backbone.bottom_up.freeze_at = 2\n"),
        Valid(
            """
            from detectron2.config import LazyCall as L
            from detectron2.modeling.backbone import ResNet

            backbone = L(ResNet)(stem=None, stages=None, freeze_at=0)
            """
        ),
        # Not a LazyConfig's model: another program's attribute.
        Valid("self.freeze_at = -1\n"),
    ]
    INVALID = [
        Invalid(
            "model.backbone.bottom_up.freeze_at = -1\n",
            line=1,
            message_contains="freezes nothing, as `freeze_at=0` does",
        ),
        Invalid(
            """
            from detectron2.config import LazyCall as L
            from detectron2.modeling.backbone import ResNet

            backbone = L(ResNet)(stem=None, stages=None, freeze_at=6)
            """,
            line=4,
            message_contains="as `freeze_at=5` does",
        ),
    ]

    prefilter = staticmethod(ft215_prefilter.may_report)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and _model_attribute(node.targets[0].target):
            self._check(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        if _lazy_backbone(node) is None:
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == FREEZE_AT:
                self._check(arg.value)

    def _check(self, value: cst.BaseExpression) -> None:
        freeze_at = _integer(value)
        if freeze_at is None or freeze_at in FREEZE_AT_RANGE:
            return
        same = nearest_in_range(freeze_at)
        self.report(
            value,
            f"`freeze_at={freeze_at}` is outside detectron2's 0-5 and freezes "
            f"{describe(freeze_at)}, as `freeze_at={same}` does (0 freezes nothing, 1 the stem, "
            "k the stem and res2 to res{k}; mmdet's `frozen_stages` counts one lower, "
            "torchvision's `trainable_backbone_layers` the other way); write "
            f"`freeze_at={same}`",
        )
