"""FT214 beyond its own examples: whole messages, `num_stages` from a base, a missing base."""

from __future__ import annotations

import pytest
from support import lint_config_tree, lint_text

from ftlint.rules.ft214_frozen_stages_beyond_num_stages import FrozenStagesBeyondNumStages


def test_whole_message():
    code = "model = dict(type='FasterRCNN', backbone=dict(type='ResNeXt', frozen_stages=5))\n"
    found = lint_text(code, [FrozenStagesBeyondNumStages])
    assert [d.message for d in found] == [
        "`frozen_stages=5` asks this `ResNeXt` to freeze the stem and stages `layer1` to "
        "`layer5`, but it has 4 (`num_stages`): building the model raises `AttributeError` on "
        "`layer5`; `frozen_stages=4` freezes the stem and all 4 stages"
    ]


def test_num_stages_from_the_base_and_a_missing_base(tmp_path):
    files = {
        "base.py": "model = dict(type='X', backbone=dict(type='ResNetV1c', num_stages=3))\n",
        "child.py": "_base_ = 'base.py'\nmodel = dict(backbone=dict(frozen_stages=4))\n",
        "orphan.py": "_base_ = 'gone.py'\nmodel = dict(backbone=dict(type='ResNet', frozen_stages=5))\n",
    }
    found = lint_config_tree(tmp_path, files, "child.py", [FrozenStagesBeyondNumStages])
    assert [d.location.row for d in found] == [2]
    # `num_stages` may be set in the base that is missing: not guessed.
    assert lint_config_tree(tmp_path, {}, "orphan.py", [FrozenStagesBeyondNumStages]) == []


@pytest.mark.parametrize(
    "backbone",
    [
        "type='ResNet', frozen_stages=4",
        "type='ResNet', frozen_stages=-1",
        "type='ResNet', num_stages=3, frozen_stages=3",
        # Swin counts its own way, RegNet takes its stage count from `arch`.
        "type='SwinTransformer', frozen_stages=5",
        "type='RegNet', frozen_stages=5",
    ],
)
def test_traps(backbone):
    code = f"model = dict(type='FasterRCNN', backbone=dict({backbone}))\n"
    assert lint_text(code, [FrozenStagesBeyondNumStages]) == []
