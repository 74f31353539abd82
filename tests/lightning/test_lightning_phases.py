"""simulate_phases on meta-built modules, checked against Lightning's real behaviour: phases,
configure_optimizers shapes, errors. (Its findings are tested with their codes: FT106 and FT108 in
tests/checks/.)"""

from __future__ import annotations

import pytest
import torch
from lightning.pytorch.callbacks import BackboneFinetuning, BaseFinetuning, Callback
from tiny_lightning import FIXED, TinyClassifier, fit, on_meta
from torch.nn.modules.batchnorm import _BatchNorm

from ftlint.lightning.phases import PhaseSimulationError, simulate_phases


class PhaseRecorder(Callback):
    """Per epoch, from a real fit: which tensors train, are optimized, and which BatchNorm updates."""

    def __init__(self) -> None:
        self.epochs: dict[int, tuple[set[str], set[str], set[str], int]] = {}

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        (optimizer,) = trainer.optimizers
        held = {id(p) for group in optimizer.param_groups for p in group["params"]}
        self.epochs.setdefault(
            trainer.current_epoch,
            (
                {name for name, p in pl_module.named_parameters() if p.requires_grad},
                {name for name, p in pl_module.named_parameters() if id(p) in held},
                {
                    name
                    for name, module in pl_module.named_modules()
                    if isinstance(module, _BatchNorm)
                    and module.training
                    and module.track_running_stats
                },
                len(optimizer.param_groups),
            ),
        )


@pytest.mark.parametrize(
    "make_callback",
    [
        lambda: BackboneFinetuning(unfreeze_backbone_at_epoch=1, train_bn=False),
        lambda: FIXED.BackboneFinetuningFrozenBN(unfreeze_backbone_at_epoch=1, train_bn=False),
        lambda: BackboneFinetuning(unfreeze_backbone_at_epoch=1),
    ],
    ids=["train-bn-false", "fixed-subclass", "train-bn-true"],
)
def test_simulation_on_meta_matches_a_real_fit(make_callback):
    recorder = PhaseRecorder()
    real_module = TinyClassifier()
    fit(real_module, [make_callback(), recorder], max_epochs=2)
    report = simulate_phases(on_meta(TinyClassifier), make_callback(), max_epochs=2)

    assert [phase.first_epoch for phase in report.phases] == [0, 1]
    backbone = {"backbone.0.weight", "backbone.0.bias", "backbone.3.weight", "backbone.3.bias"}
    batchnorm = {"backbone.1.weight", "backbone.1.bias"}
    for phase in report.phases:
        trainable, optimized, updating, groups = recorder.epochs[phase.first_epoch]
        assert phase.backbone_trainable.count == len(backbone & trainable)
        assert phase.batchnorm_trainable.count == len(batchnorm & trainable & optimized)
        assert phase.batchnorm_grad_only == len((batchnorm & trainable) - optimized)
        assert phase.batchnorm_updating_stats.count == len(updating)
        assert phase.optimizer_groups == groups


class LayerByLayer(BaseFinetuning):
    """Unfreezes the backbone's last layer at epoch 1, the rest at epoch 3."""

    def freeze_before_training(self, pl_module):
        self.freeze(pl_module.backbone, train_bn=False)

    def finetune_function(self, pl_module, epoch, optimizer):
        layers = {1: pl_module.backbone[3], 3: pl_module.backbone[:2]}
        if epoch in layers:
            self.unfreeze_and_add_param_group(layers[epoch], optimizer)


def test_each_unfreeze_starts_a_phase():
    report = simulate_phases(on_meta(TinyClassifier), LayerByLayer(), max_epochs=5)

    assert [(phase.name, phase.epochs) for phase in report.phases] == [
        ("frozen phase", "0"),
        ("after unfreeze 1", "1-2"),
        ("after unfreeze 2", "3-4"),
    ]
    assert [str(phase.backbone_trainable) for phase in report.phases] == [
        "no (0/4)",
        "2/4",
        "yes (4/4)",
    ]
    assert report.findings == ()


def test_unfreezing_at_epoch_0_leaves_no_frozen_phase():
    report = simulate_phases(
        on_meta(TinyClassifier), BackboneFinetuning(unfreeze_backbone_at_epoch=0), max_epochs=3
    )

    assert [(phase.name, phase.epochs) for phase in report.phases] == [("after unfreeze", "0-2")]


class ShapedOptimizers(TinyClassifier):
    """Returns its optimizer in one of the shapes Lightning accepts."""

    def __init__(self, shape: str) -> None:
        super().__init__()
        self.shape = shape

    def configure_optimizers(self):
        optimizer = super().configure_optimizers()
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
        return {
            "optimizer": optimizer,
            "list": [optimizer],
            "dict": {"optimizer": optimizer, "lr_scheduler": scheduler},
            "lists": ([optimizer], [scheduler]),
        }[self.shape]


@pytest.mark.parametrize("shape", ["optimizer", "list", "dict", "lists"])
def test_reads_every_configure_optimizers_shape(shape):
    report = simulate_phases(
        on_meta(ShapedOptimizers, shape),
        FIXED.BackboneFinetuningFrozenBN(unfreeze_backbone_at_epoch=1, train_bn=False),
        max_epochs=2,
    )

    assert [phase.optimizer_groups for phase in report.phases] == [1, 2]
    assert report.findings == ()


class NeedsTrainer(TinyClassifier):
    def configure_optimizers(self):
        optimizer = super().configure_optimizers()
        total_steps = self.trainer.estimated_stepping_batches
        return [optimizer], [torch.optim.lr_scheduler.OneCycleLR(optimizer, 0.1, total_steps)]


def test_module_code_that_needs_a_trainer_fails_clearly():
    with pytest.raises(PhaseSimulationError, match="configure_optimizers failed: RuntimeError"):
        simulate_phases(on_meta(NeedsTrainer), BackboneFinetuning())
