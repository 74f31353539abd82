"""simulate_phases on meta-built modules, checked against Lightning's real behaviour."""

from __future__ import annotations

import pytest
import torch
from lightning.pytorch.callbacks import BackboneFinetuning, BaseFinetuning, Callback
from tiny_lightning import TinyClassifier, fit, load_fixture
from torch.nn.modules.batchnorm import _BatchNorm

from ftlint.lightning.phases import PhaseSimulationError, simulate_phases

BUGGY = load_fixture("backbone_finetuning_train_bn_false")
FIXED = load_fixture("backbone_finetuning_fixed")


def on_meta(module_class: type[torch.nn.Module], *args) -> torch.nn.Module:
    with torch.device("meta"):
        return module_class(*args)


def codes_by_phase(report) -> list[tuple[str, str]]:
    return [(finding.phase, finding.code) for finding in report.findings]


def test_train_bn_false_leaves_batchnorm_training_in_both_phases():
    report = simulate_phases(
        on_meta(BUGGY.LitClassifier),
        BackboneFinetuning(unfreeze_backbone_at_epoch=2, train_bn=False),
        max_epochs=4,
    )

    assert report.render().splitlines()[:4] == [
        "LitClassifier with BackboneFinetuning(train_bn=False), epochs 0-3",
        (
            "phase           epochs  backbone trainable  BatchNorm trainable"
            "  BatchNorm updating stats  optimizer"
        ),
        (
            "frozen phase    0-1     no (0/20)           yes (40/40)        "
            "  yes (20/20)               1 group: backbone 40 (40 BatchNorm), head 2"
        ),
        (
            "after unfreeze  2-3     yes (20/20)         yes (40/40)        "
            "  yes (20/20)               2 groups: backbone 60 (40 BatchNorm), head 2"
        ),
    ]
    assert codes_by_phase(report) == [("frozen phase", "FT108"), ("after unfreeze", "FT108")]
    frozen_phase, after_unfreeze = (finding.message for finding in report.findings)
    assert "running statistics" in frozen_phase and "issue #21531" in frozen_phase
    assert "running statistics" not in after_unfreeze  # the convolutions beside them train


def test_subclass_passing_train_bn_is_clean():
    report = simulate_phases(
        on_meta(FIXED.LitClassifier),
        FIXED.BackboneFinetuningFrozenBN(unfreeze_backbone_at_epoch=2, train_bn=False),
        max_epochs=4,
    )

    assert report.findings == ()
    frozen_phase, after_unfreeze = report.phases
    assert (frozen_phase.first_epoch, after_unfreeze.first_epoch) == (0, 2)
    assert str(frozen_phase.batchnorm_trainable) == "no (0/40)"
    assert str(frozen_phase.batchnorm_updating_stats) == "no (0/20)"
    # Lightning's unfreeze makes BatchNorm require grad, but keeps it out of the optimizer.
    assert after_unfreeze.batchnorm_grad_only == 40
    assert str(after_unfreeze.batchnorm_trainable) == "no (0/40)"
    assert "40 require grad in no optimizer" in report.render()


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


def test_re_adding_parameters_the_optimizer_holds_is_ft106():
    # train_bn=True: the frozen phase's trainable BatchNorm joined the first param group.
    report = simulate_phases(
        on_meta(BUGGY.LitClassifier), BackboneFinetuning(unfreeze_backbone_at_epoch=2)
    )

    assert codes_by_phase(report) == [("after unfreeze", "FT106")]
    assert report.findings[0].message.startswith(
        "finetune_function at epoch 2 adds 40 tensors the optimizer already holds"
        " (backbone.1.weight, backbone.1.bias, backbone.4.0.bn1.weight (+37 more))"
    )
    assert report.phases[-1].last_epoch == 999  # Lightning's default max_epochs


class HeadOnlyOptimizer(TinyClassifier):
    def configure_optimizers(self):
        return torch.optim.SGD(self.head.parameters(), lr=0.1)


def test_trainable_batchnorm_outside_the_optimizer_is_ft106():
    report = simulate_phases(
        on_meta(HeadOnlyOptimizer), BackboneFinetuning(unfreeze_backbone_at_epoch=1), max_epochs=3
    )

    assert codes_by_phase(report) == [("frozen phase", "FT106")]
    assert "2 trainable tensors are in no optimizer param group" in report.findings[0].message
    assert "backbone.1.weight, backbone.1.bias" in report.findings[0].message


class ForgetfulFinetuning(BaseFinetuning):
    """Unfreezes the backbone at epoch 1 but never gives it to the optimizer."""

    def freeze_before_training(self, pl_module):
        self.freeze(pl_module.backbone, train_bn=False)

    def finetune_function(self, pl_module, epoch, optimizer):
        if epoch == 1:
            self.make_trainable(pl_module.backbone)


def test_unfreezing_without_a_param_group_is_ft106():
    report = simulate_phases(on_meta(TinyClassifier), ForgetfulFinetuning(), max_epochs=3)

    assert report.train_bn is None
    assert codes_by_phase(report) == [("after unfreeze", "FT106")]
    assert "6 trainable tensors are in no optimizer param group" in report.findings[0].message


class HardcodedFrozenBN(BaseFinetuning):
    """Says train_bn=True, yet freezes BatchNorm in the frozen phase."""

    def __init__(self) -> None:
        super().__init__()
        self.train_bn = True

    def freeze_before_training(self, pl_module):
        self.freeze(pl_module.backbone, train_bn=False)

    def finetune_function(self, pl_module, epoch, optimizer):
        if epoch == 1:
            self.unfreeze_and_add_param_group(pl_module.backbone, optimizer, train_bn=self.train_bn)


def test_frozen_batchnorm_against_train_bn_true_is_ft108():
    report = simulate_phases(on_meta(TinyClassifier), HardcodedFrozenBN(), max_epochs=3)

    assert codes_by_phase(report) == [("frozen phase", "FT108")]
    assert report.findings[0].message.startswith(
        "HardcodedFrozenBN has train_bn=True, but during epochs 0, 2 BatchNorm weight/bias"
        " tensors of the backbone are frozen"
    )


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
