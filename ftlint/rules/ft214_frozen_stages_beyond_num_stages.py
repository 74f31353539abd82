from __future__ import annotations

from ftlint.analysis.data.openmmlab import RESNET_FREEZE_STAGES
from ftlint.analysis.mmconfig import MMConfig
from ftlint.check import Invalid, Valid
from ftlint.rules.base import ConfigRule
from ftlint.rules.ft211_norm_eval_sync_bn import model_type
from ftlint.triage import INHERITS

_DEFAULT_NUM_STAGES = 4


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class FrozenStagesBeyondNumStages(ConfigRule):
    """
    ## What it does
    Flags an OpenMMLab ResNet-family backbone (`ResNet`, `ResNetV1c`, `ResNetV1d`, `ResNeXt`,
    `Res2Net`, `ResNeSt`...) whose `frozen_stages` is larger than its `num_stages` (4 unless
    set).

    ## Why is this bad?
    `frozen_stages` counts like this in mmdet, mmseg and mmpretrain's ResNet
    ([`_freeze_stages`](https://github.com/open-mmlab/mmdetection/blob/v3.3.0/mmdet/models/backbones/resnet.py)):
    -1 freezes nothing, 0 the stem, and k the stem and stages `layer1` to `layer{k}`, each put in
    eval mode (its BatchNorm statistics frozen too, whatever `norm_eval` says) with
    `requires_grad=False`. The stages are looked up by name, so a value past `num_stages` asks
    for a `layer{num_stages + 1}` that does not exist: building the model raises
    `AttributeError` before training starts. detectron2's `freeze_at` counts one higher (2 is
    the stem and res2, mmdet's 1), which is where such values often come from.

    ## Example
    ```python
    model = dict(
        type='FasterRCNN',
        backbone=dict(type='ResNet', depth=50, num_stages=4, frozen_stages=5),
    )
    ```

    ## Fix
    `frozen_stages=4` freezes the whole backbone (the stem and its four stages).
    """

    code = "FT214"
    name = "frozen-stages-beyond-num-stages"
    summary = "ResNet `frozen_stages` larger than `num_stages`: building the model fails"
    required_tokens = ("frozen_stages", INHERITS)

    VALID = [
        Valid("model = dict(type='FasterRCNN', backbone=dict(type='ResNet', depth=50, frozen_stages=4))\n"),
        Valid("model = dict(type='FasterRCNN', backbone=dict(type='MyNet', frozen_stages=7))\n"),
    ]
    INVALID = [
        Invalid(
            "model = dict(type='FasterRCNN', backbone=dict(type='ResNet', depth=50, frozen_stages=5))\n",
            line=1,
            message_contains="raises `AttributeError`",
        ),
        Invalid(
            "model = dict(type='EncoderDecoder', backbone=dict(type='ResNetV1c', num_stages=3, frozen_stages=4))\n",
            line=1,
            message_contains="`frozen_stages=3` freezes the stem and all 3 stages",
        ),
    ]

    def check_config(self, config: MMConfig) -> None:
        for _, settings in config.dicts():
            kind = model_type(settings)
            frozen = settings.get("frozen_stages")
            if kind not in RESNET_FREEZE_STAGES or frozen is None:
                continue
            frozen_stages = _int(frozen.value)
            stages = settings.get("num_stages")
            # Absent: the default, unless a base that could not be read sets it.
            num_stages = (
                _int(stages.value)
                if stages is not None
                else _DEFAULT_NUM_STAGES if config.complete else None
            )
            if frozen_stages is None or num_stages is None or frozen_stages <= num_stages:
                continue
            self.report_setting(
                config,
                [frozen],
                f"`frozen_stages={frozen_stages}` asks this `{kind}` to freeze the stem and "
                f"stages `layer1` to `layer{frozen_stages}`, but it has {num_stages} "
                f"(`num_stages`): building the model raises `AttributeError` on "
                f"`layer{num_stages + 1}`; `frozen_stages={num_stages}` freezes the stem and "
                f"all {num_stages} stages",
            )
