from __future__ import annotations

from collections.abc import Iterator

from ftlint.check import Invalid, Valid
from ftlint.configfiles.detectron2 import (
    FREEZE_AT,
    Unknown,
    frozen_by,
    is_detectron2,
    is_resnet,
    resolve_from,
)
from ftlint.configfiles.rule import ConfigFile, ConfigFinding, ConfigRule


class Detectron2FreezeAtFromScratch(ConfigRule):
    """
    ## What it does
    Flags a detectron2 config that trains from random initialisation (`MODEL.WEIGHTS: ""`
    written in the file) while `MODEL.BACKBONE.FREEZE_AT` (its own, its `_BASE_` files', or
    the default 2) freezes part of a ResNet backbone. `_BASE_` files are followed when they
    are present; when one is missing, nothing is reported.

    ## Why is this bad?
    [`ResNet.freeze`](https://github.com/facebookresearch/detectron2/blob/main/detectron2/modeling/backbone/resnet.py)
    sets `requires_grad=False` on the stem (`FREEZE_AT >= 1`) and on each stage `resN`
    (`FREEZE_AT >= N`) and turns their BatchNorm layers into `FrozenBatchNorm2d`. With no
    weights to load, those layers keep their random initialisation for the whole run: the
    rest of the network trains on random features. detectron2's own
    `configs/Misc/scratch_*.yaml` set `FREEZE_AT: 0` for that reason.

    ## Example
    ```yaml
    _BASE_: "../Base-RCNN-FPN.yaml"
    MODEL:
      WEIGHTS: ""
    ```

    ## Fix
    Set `MODEL.BACKBONE.FREEZE_AT: 0` when training from scratch, or load pretrained weights.
    """

    code = "FT209"
    name = "detectron2-freeze-at-from-scratch"
    summary = "detectron2 backbone stages frozen while training from random initialisation"
    required_tokens = ("WEIGHTS",)

    VALID = (
        Valid(
            """
            MODEL:
              WEIGHTS: ""
              BACKBONE:
                FREEZE_AT: 0
            """,
            filename="scratch_mask_rcnn.yaml",
        ),
        Valid(
            """
            MODEL:
              WEIGHTS: detectron2://ImageNetPretrained/MSRA/R-50.pkl
            """,
            filename="mask_rcnn.yaml",
        ),
        # The base file is not there: its FREEZE_AT is unknown.
        Valid(
            """
            _BASE_: "../Base-RCNN-FPN.yaml"
            MODEL:
              WEIGHTS: ""
            """,
            filename="scratch.yaml",
        ),
    )
    INVALID = (
        Invalid(
            """
            MODEL:
              WEIGHTS: ""
              BACKBONE:
                FREEZE_AT: 2
            """,
            line=4,
            message_contains="freezes the stem and res2 (their BatchNorm layers turned into "
            "FrozenBatchNorm2d) while `MODEL.WEIGHTS` is empty",
            filename="scratch.yaml",
        ),
        Invalid(
            """
            MODEL:
              WEIGHTS: ""
              MASK_ON: true
            """,
            line=2,
            message_contains="`FREEZE_AT: 2` (detectron2's default)",
            filename="scratch.yaml",
        ),
    )

    @classmethod
    def find(cls, config: ConfigFile) -> Iterator[ConfigFinding]:
        for root in config.document.roots:
            model = root.get("MODEL")
            if not is_detectron2(root) or model is None:
                continue
            weights = model.entry("WEIGHTS")
            if weights is None or weights[1].value != "":
                continue
            try:
                freeze_at, origin = resolve_from(root, config.directory, FREEZE_AT)
                if not isinstance(freeze_at, int) or freeze_at < 1:
                    continue
                if not is_resnet(root, config.directory):
                    continue
            except Unknown:
                continue
            backbone = root.path("MODEL", "BACKBONE")
            own = backbone.entry("FREEZE_AT") if backbone is not None else None
            where = f" ({origin})" if origin else ""
            message = (
                f"`FREEZE_AT: {freeze_at}`{where} freezes {frozen_by(freeze_at)} (their "
                "BatchNorm layers turned into FrozenBatchNorm2d) while `MODEL.WEIGHTS` is "
                "empty: training starts from random initialisation, so the frozen layers stay "
                "random for the whole run; set `MODEL.BACKBONE.FREEZE_AT: 0` to train from scratch"
            )
            yield cls.at(*(own or weights), message)
