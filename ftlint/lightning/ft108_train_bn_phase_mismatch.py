"""FT108: the finding of the Lightning finetuning phase simulation (torch-free: the catalog
imports it; the simulation is :mod:`ftlint.lightning.verify_hook`)."""

from __future__ import annotations

from ftlint.check import Invalid, Valid
from ftlint.verify.runtime_check import SimulatedCheck

__all__ = ["TrainBnPhaseMismatch"]


class TrainBnPhaseMismatch(SimulatedCheck):
    """
    ## What it does
    Simulates a Lightning finetuning callback (`BackboneFinetuning` or a `BaseFinetuning`
    subclass) on the model, built on the meta device: `freeze_before_training`, the optimizer
    from `configure_optimizers`, then `finetune_function` epoch by epoch. It reports a phase
    (the frozen phase, or a phase after an unfreeze) in which the backbone's BatchNorm layers
    contradict the callback's `train_bn`:

    - `train_bn=False`, yet BatchNorm weights and biases require grad and sit in an optimizer
      (they train), or BatchNorm layers update their running statistics while the layers
      around them are frozen;
    - `train_bn=True`, yet BatchNorm weights and biases are frozen.

    ## Why is this bad?
    Lightning's `BackboneFinetuning.freeze_before_training` calls
    `self.freeze(pl_module.backbone)` without `train_bn` (Lightning <= 2.6.6, issue #21531), so
    with `train_bn=False` the BatchNorm layers stay trainable and keep updating their statistics
    during the whole frozen phase. When `configure_optimizers` filters on `requires_grad`, as
    Lightning recommends, they also join the optimizer then and stay in it after the unfreeze:
    `train_bn=False` changes nothing for them in either phase.

    ## Example
    ```python
    from lightning.pytorch.callbacks import BackboneFinetuning

    finetuning = BackboneFinetuning(unfreeze_backbone_at_epoch=2, train_bn=False)
    ```
    `ftlint verify` prints:
    ```text
    phase           epochs  backbone trainable  BatchNorm trainable  BatchNorm updating stats
    frozen phase    0-1     no (0/20)           yes (40/40)          yes (20/20)
    after unfreeze  2-999   yes (20/20)         yes (40/40)          yes (20/20)
    ```

    ## Fix
    Make the frozen phase honour the flag:

    ```python
    class BackboneFinetuningFrozenBN(BackboneFinetuning):
        def freeze_before_training(self, pl_module):
            self.freeze(pl_module.backbone, train_bn=self.train_bn)
    ```
    In a custom `BaseFinetuning` subclass, pass `train_bn=self.train_bn` to every `self.freeze`
    and `self.unfreeze_and_add_param_group` call.
    """

    code = "FT108"
    name = "train-bn-phase-mismatch"
    summary = "BatchNorm trains, or stays frozen, against the finetuning callback's `train_bn`"
    simulator = "ftlint.lightning.verify_hook"
    triggers = ("lightning", "pytorch_lightning")
    VALID = (
        Valid(
            """
            import lightning.pytorch as pl
            import torch
            from lightning.pytorch.callbacks import BackboneFinetuning
            from torch import nn


            class FrozenBatchNormFinetuning(BackboneFinetuning):
                def freeze_before_training(self, pl_module):
                    self.freeze(pl_module.backbone, train_bn=self.train_bn)


            class Classifier(pl.LightningModule):
                def __init__(self):
                    super().__init__()
                    self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
                    self.head = nn.Linear(8, 2)

                def configure_optimizers(self):
                    return torch.optim.Adam([p for p in self.parameters() if p.requires_grad])


            model = Classifier()
            finetuning = FrozenBatchNormFinetuning(unfreeze_backbone_at_epoch=2, train_bn=False)
            trainer = pl.Trainer(max_epochs=4, callbacks=[finetuning])
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            import lightning.pytorch as pl
            import torch
            from lightning.pytorch.callbacks import BackboneFinetuning
            from torch import nn


            class Classifier(pl.LightningModule):
                def __init__(self):
                    super().__init__()
                    self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
                    self.head = nn.Linear(8, 2)

                def configure_optimizers(self):
                    return torch.optim.Adam([p for p in self.parameters() if p.requires_grad])


            model = Classifier()
            finetuning = BackboneFinetuning(unfreeze_backbone_at_epoch=2, train_bn=False)
            trainer = pl.Trainer(max_epochs=4, callbacks=[finetuning])
            """,
            line=18,
            message_contains='frozen phase: BackboneFinetuning has train_bn=False',
        ),
    )
