"""Lightning's finetuning callbacks: their names and what `BackboneFinetuning(train_bn=False)`
does (https://github.com/Lightning-AI/pytorch-lightning/blob/2.6.6/src/lightning/pytorch/callbacks/finetuning.py)."""

from __future__ import annotations

_MODULES = (
    "lightning.pytorch.callbacks",
    "lightning.pytorch.callbacks.finetuning",
    "pytorch_lightning.callbacks",
    "pytorch_lightning.callbacks.finetuning",
)
BACKBONE_FINETUNING = frozenset(f"{module}.BackboneFinetuning" for module in _MODULES)
BASE_FINETUNING = frozenset(f"{module}.BaseFinetuning" for module in _MODULES)


def ignored_train_bn_message(epoch: str) -> str:
    """What ``BackboneFinetuning(train_bn=False)`` does, unfreezing at epoch ``epoch``."""
    return (
        "`train_bn=False` is ignored while the backbone is frozen: Lightning's "
        "`BackboneFinetuning.freeze_before_training` calls `self.freeze(pl_module.backbone)` "
        "without `train_bn`, so the backbone's BatchNorm weights and biases stay trainable "
        f"and its running statistics keep updating until epoch {epoch}; the flag only "
        "applies after unfreezing (Lightning <= 2.6.6, issue #21531). Override "
        "`freeze_before_training` to call `self.freeze(pl_module.backbone, "
        "train_bn=self.train_bn)`"
    )
