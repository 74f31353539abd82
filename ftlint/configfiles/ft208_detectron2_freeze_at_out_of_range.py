from __future__ import annotations

from collections.abc import Iterator

from ftlint.check import Invalid, Valid
from ftlint.configfiles.detectron2 import STAGES, Unknown, frozen_by, is_detectron2, is_resnet
from ftlint.configfiles.rule import ConfigFile, ConfigFinding, ConfigRule


class Detectron2FreezeAtOutOfRange(ConfigRule):
    """
    ## What it does
    Flags a detectron2 `MODEL.BACKBONE.FREEZE_AT` outside 0–5 on a ResNet backbone, and says
    what it freezes.

    ## Why is this bad?
    detectron2's
    [`ResNet.freeze`](https://github.com/facebookresearch/detectron2/blob/main/detectron2/modeling/backbone/resnet.py)
    freezes the stem when `FREEZE_AT >= 1` and stage `resN` when `FREEZE_AT >= N`, turning
    their BatchNorm layers into `FrozenBatchNorm2d`:

    | `FREEZE_AT` | frozen |
    |---|---|
    | 0 | nothing |
    | 1 | the stem |
    | 2 (default) | the stem and res2 |
    | 3, 4 | the stem and res2 to res3, res4 |
    | 5 | the whole backbone |

    A negative value freezes nothing, like 0; a value above 5 freezes the whole backbone, like
    5: neither says what it does, and both are often a count borrowed from another library:
    detectron2's `FREEZE_AT` is one more than mmdet's `frozen_stages` (`-1` nothing, `0` the
    stem, `k` the stem and stages 1 to k), and torchvision's `trainable_backbone_layers` counts
    the stages that *train*, from the top. See
    [the config reference](https://detectron2.readthedocs.io/en/latest/modules/config.html#yaml-config-references).

    ## Example
    ```yaml
    MODEL:
      BACKBONE:
        NAME: build_resnet_fpn_backbone
        FREEZE_AT: -1
    ```

    ## Fix
    Use 0 to train the whole backbone, 5 to freeze all of it, or the stage count in between.
    """

    code = "FT208"
    name = "detectron2-freeze-at-out-of-range"
    summary = "detectron2 `FREEZE_AT` outside the ResNet's 0–5 stages"
    required_tokens = ("FREEZE_AT",)

    VALID = (
        Valid(
            """
            MODEL:
              BACKBONE:
                NAME: build_resnet_fpn_backbone
                FREEZE_AT: 0
            """,
            filename="mask_rcnn.yaml",
        ),
        # Not a ResNet: other backbones count their own stages.
        Valid(
            """
            MODEL:
              BACKBONE:
                NAME: build_vit_backbone
                FREEZE_AT: 12
            """,
            filename="vit.yaml",
        ),
    )
    INVALID = (
        Invalid(
            """
            MODEL:
              BACKBONE:
                NAME: build_resnet_fpn_backbone
                FREEZE_AT: -1
            """,
            line=4,
            message_contains="`FREEZE_AT: -1` freezes nothing, as 0 does",
            filename="mask_rcnn.yaml",
        ),
        Invalid(
            """
            MODEL:
              BACKBONE:
                FREEZE_AT: 6
            """,
            line=3,
            message_contains="freezes the whole backbone (the stem and res2 to res5), as 5 does",
            filename="faster_rcnn.yaml",
        ),
    )

    @classmethod
    def find(cls, config: ConfigFile) -> Iterator[ConfigFinding]:
        for root in config.document.roots:
            backbone = root.path("MODEL", "BACKBONE")
            if not is_detectron2(root) or backbone is None:
                continue
            entry = backbone.entry("FREEZE_AT")
            freeze_at = entry[1].value if entry is not None else None
            if entry is None or not isinstance(freeze_at, int):
                continue
            key, value = entry
            if 0 <= freeze_at <= STAGES:
                continue
            try:
                if not is_resnet(root, config.directory):
                    continue
            except Unknown:
                continue
            like = 0 if freeze_at < 0 else STAGES
            yield cls.at(
                key,
                value,
                f"`FREEZE_AT: {freeze_at}` freezes {frozen_by(freeze_at)}, as {like} does: "
                "detectron2's ResNet freezes the stem at 1 and stage resN at N, so its range is "
                "0 (nothing) to 5 (the whole backbone); write the value that says what it does",
            )
