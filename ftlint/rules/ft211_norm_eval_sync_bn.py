from __future__ import annotations

from ftlint.analysis.data.openmmlab import NORM_EVAL_CLASS
from ftlint.analysis.mmconfig import MMConfig, Setting
from ftlint.check import Invalid, Valid
from ftlint.rules.base import ConfigRule
from ftlint.triage import INHERITS


def model_type(settings: dict[str, Setting]) -> str | None:
    """The registry type of a config dict, without its scope (`mmdet.ResNet` -> `ResNet`)."""
    kind = settings.get("type")
    if kind is None or not isinstance(kind.value, str):
        return None
    return kind.value.rpartition(".")[2]


class NormEvalSyncBn(ConfigRule):
    """
    ## What it does
    Flags an OpenMMLab (mmdet, mmseg, mmpretrain) config whose backbone sets `norm_eval=True`
    together with `norm_cfg=dict(type='SyncBN')` or `dict(type='MMSyncBN')`.

    ## Why is this bad?
    With `norm_eval=True` the backbone's `train()` puts its BatchNorm layers back in eval mode
    every time the model trains: they normalise with their running statistics and never update
    them. What counts as BatchNorm is an `isinstance` test in the backbone's own code
    ([mmdet's ResNet.train](https://github.com/open-mmlab/mmdetection/blob/v3.3.0/mmdet/models/backbones/resnet.py)):

    - most backbones (ResNet and its variants, HRNet, RegNet, MobileNet...) test torch's
      `_BatchNorm`, which `SyncBN` (`torch.nn.SyncBatchNorm`) is: the layers run in eval mode,
      so no batch statistics are ever computed or synchronised across GPUs, and `SyncBN` behaves
      exactly as `BN` would;
    - a few (EfficientNet, ShuffleNetV2) test `nn.BatchNorm2d`, which `SyncBatchNorm` is not;
      and `MMSyncBN` (mmcv's `mmcv.ops.SyncBatchNorm`) is a plain `nn.Module`, neither of the two
      ([mmcv/ops/sync_bn.py](https://github.com/open-mmlab/mmcv/blob/main/mmcv/ops/sync_bn.py)):
      `norm_eval=True` has no effect on those layers, which keep normalising with batch
      statistics and updating their running statistics while training, the opposite of what
      `norm_eval` asks for.

    Only model types whose `train()` handles `norm_eval` this way are judged (the table in
    `ftlint/analysis/data/openmmlab.py`, generated from the OpenMMLab sources); `_base_` files
    are followed when present.

    ## Example
    ```python
    model = dict(
        type='MaskRCNN',
        backbone=dict(
            type='ResNet',
            depth=50,
            norm_cfg=dict(type='SyncBN', requires_grad=True),
            norm_eval=True,
        ),
    )
    ```

    ## Fix
    Decide which you want: frozen statistics (`norm_cfg=dict(type='BN', requires_grad=True)`
    with `norm_eval=True`) or synchronised batch statistics (`SyncBN` with `norm_eval=False`).
    """

    code = "FT211"
    name = "norm-eval-sync-bn"
    summary = "`norm_eval=True` with a synchronised BatchNorm that it makes pointless or misses"
    required_tokens = ("SyncBN", INHERITS)

    VALID = [
        Valid(
            """
            model = dict(
                type='MaskRCNN',
                backbone=dict(type='ResNet', norm_cfg=dict(type='SyncBN'), norm_eval=False),
            )
            """
        ),
        Valid(
            """
            model = dict(
                type='MaskRCNN',
                backbone=dict(type='ResNet', norm_cfg=dict(type='BN'), norm_eval=True),
            )
            """
        ),
        # A type whose train() ftlint does not know: not judged.
        Valid(
            """
            model = dict(
                type='MaskRCNN',
                backbone=dict(type='MyNet', norm_cfg=dict(type='SyncBN'), norm_eval=True),
            )
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            model = dict(
                type='MaskRCNN',
                backbone=dict(type='ResNet', norm_cfg=dict(type='SyncBN'), norm_eval=True),
            )
            """,
            line=3,
            message_contains="`SyncBN` behaves exactly as `BN`",
        ),
        Invalid(
            """
            norm_cfg = dict(type='MMSyncBN', requires_grad=True)
            model = dict(
                type='EncoderDecoder',
                backbone=dict(type='ResNetV1c', norm_cfg=norm_cfg, norm_eval=True),
            )
            """,
            line=4,
            message_contains="`norm_eval=True` has no effect",
        ),
    ]

    def check_config(self, config: MMConfig) -> None:
        for _, settings in config.dicts():
            kind = model_type(settings)
            norm_eval = settings.get("norm_eval")
            norm_cfg = settings.get("norm_cfg")
            if kind not in NORM_EVAL_CLASS or norm_eval is None or norm_eval.value is not True:
                continue
            if norm_cfg is None or not isinstance(norm_cfg.value, dict):
                continue
            norm = model_type(norm_cfg.value)
            message = self._message(kind, NORM_EVAL_CLASS[kind], norm)
            if message is not None:
                self.report_setting(config, [norm_eval, norm_cfg], message)

    @staticmethod
    def _message(kind: str, tested: str, norm: str | None) -> str | None:
        if norm == "SyncBN" and tested == "_BatchNorm":
            return (
                f"`norm_eval=True` puts every BatchNorm layer of this `{kind}` back in eval mode "
                "whenever the model trains, `SyncBN` layers included: they normalise with their "
                "running statistics, never computing or synchronising batch statistics across "
                "GPUs, so `SyncBN` behaves exactly as `BN` here; use `type='BN'`, or "
                "`norm_eval=False` to train with synchronised batch statistics"
            )
        if norm == "SyncBN" or norm == "MMSyncBN":
            checked = "torch's `_BatchNorm`" if tested == "_BatchNorm" else "`nn.BatchNorm2d`"
            what = (
                "`MMSyncBN` (mmcv's SyncBatchNorm, a plain `nn.Module`)"
                if norm == "MMSyncBN"
                else "`SyncBN` (`nn.SyncBatchNorm`)"
            )
            return (
                f"`norm_eval=True` has no effect on these layers: this `{kind}`'s `train()` "
                f"puts only {checked} layers in eval mode, and {what} is not one, so they keep "
                "normalising with batch statistics and updating their running statistics "
                "while training (except in stages `frozen_stages` freezes); use `type='BN'` "
                "with `norm_eval=True` to freeze the statistics"
            )
        return None
