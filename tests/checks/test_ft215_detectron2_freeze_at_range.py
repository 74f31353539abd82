"""FT215 beyond its own examples: whole messages, the shared semantics table, traps."""

from __future__ import annotations

import pytest
from support import lint_text

from ftlint.analysis.data.detectron2 import describe
from ftlint.rules.ft215_detectron2_freeze_at_range import Detectron2FreezeAtRange


def test_whole_message():
    found = lint_text("model.backbone.bottom_up.freeze_at = 7\n", [Detectron2FreezeAtRange])
    assert [(d.location.row, d.location.column, d.message) for d in found] == [
        (
            1,
            38,
            "`freeze_at=7` is outside detectron2's 0-5 and freezes the stem and res2-res5 (the "
            "whole backbone), as `freeze_at=5` does (0 freezes nothing, 1 the stem, k the stem "
            "and res2 to res{k}; mmdet's `frozen_stages` counts one lower, torchvision's "
            "`trainable_backbone_layers` the other way); write `freeze_at=5`",
        )
    ]


@pytest.mark.parametrize(
    ("freeze_at", "words"),
    [(-1, "nothing"), (0, "nothing"), (1, "the stem"), (2, "the stem and res2"),
     (4, "the stem and res2-res4"), (5, "the stem and res2-res5 (the whole backbone)")],
)  # fmt: skip
def test_describe(freeze_at, words):
    assert describe(freeze_at) == words


def test_regnet_lazy_call_and_noqa():
    code = """
    from detectron2.config import LazyCall as L
    from detectron2.modeling.backbone import RegNet

    a = L(RegNet)(stem_class=None, freeze_at=-2)
    b = L(RegNet)(stem_class=None, freeze_at=-2)  # noqa: FT215
    """
    assert [d.location.row for d in lint_text(code, [Detectron2FreezeAtRange])] == [4]


@pytest.mark.parametrize(
    "code",
    [
        "model.backbone.bottom_up.freeze_at = 0\n",
        "model.backbone.freeze_at = 5\n",
        "freeze_at = -1\n",
        "trainer.freeze_at = -1\n",
        "model.freeze_at = n\n",
        "x = L(FPN)(freeze_at=9)\n",
        "x = ResNet(stem, stages, freeze_at=9)\n",
    ],
)
def test_traps(code):
    assert lint_text(code, [Detectron2FreezeAtRange]) == []
